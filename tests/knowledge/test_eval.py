"""The question sets: the team's dev set, and the project's own set in two halves (tuning and measured)."""

import json
import subprocess
import sys
from pathlib import Path

from knowledge.answers import decide_question, find_answer
from knowledge.base import entries_by_id, load_entries, load_outside
from knowledge.calibrate import calibrate
from knowledge.confidence import CALIBRATION
from knowledge.evaluate import QUESTIONS, evaluate, report
from knowledge.evaluate import load_questions as load_question_set

IDS = frozenset(entries_by_id())

DEV = Path(__file__).resolve().parent / "dev_questions.jsonl"  # the team's dev set, copied into the project


def load_questions():
    return [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]


def answers(q):
    answer = find_answer(q["q"])
    if answer.match is None:
        return False
    text = f"{answer.match.entry.title}\n{answer.match.entry.answer}".lower()
    return all(any(s.lower() in text for s in group) for group in q["must"])


def test_dev_questions_are_answered(capsys):
    questions = load_questions()
    in_scope = [q for q in questions if not q.get("out_of_scope")]
    good = [q["q"] for q in in_scope if answers(q)]
    missed = [q["q"] for q in in_scope if q["q"] not in good]
    with capsys.disabled():
        print(
            f"\nKB dev set: {len(good)}/{len(in_scope)} in-scope answered ({len(good) / len(in_scope):.1%}); "
            f"missed: {missed}"
        )
    assert len(good) / len(in_scope) >= 0.95, missed


def test_out_of_scope_questions_get_no_answer():
    for q in load_questions():
        if q.get("out_of_scope"):
            assert find_answer(q["q"]).match is None, q["q"]


# --------------------------------------------------------------------- the project's question set

# Floors on the measured half, at or one question under its figures when the calibration was last fitted:
# a change that scores lower fails here. (Changes are chosen on the tuning half; the targets are
# 97% right, 99% among choices, 100% declined; `imagebot kb eval` says how far off.)
FLOOR_RIGHT = 0.765  # at least 133 of 173 (now 134)
FLOOR_AMONG = 0.93  # at least 161 of 173 (now 162)
FLOOR_DECLINED = 0.95  # at least 63 of 66 (now 63)
CEILING_FALSE_HOPES = 3  # out-of-scope questions offered a "did you mean" (now 2; 7 before the chooser)


def test_the_question_set_is_big_varied_and_split_in_two():
    questions = load_set()
    assert len(questions) >= 250
    outside = [q for q in questions if q.out_of_scope]
    assert len(outside) >= 50
    assert {q.half for q in questions} == {"tune", "measured"}
    for half in ("tune", "measured"):
        mine = [q for q in questions if q.half == half]
        assert abs(len(mine) - len(questions) / 2) <= 2, half
        assert sum(q.out_of_scope for q in mine) >= 40, half
    assert all(q.right <= IDS for q in questions), "every expected entry exists"


def test_both_halves_are_scored_and_the_measured_half_holds(capsys):
    scores = evaluate(load_set(), decide_question)
    text, _met = report(scores)
    with capsys.disabled():
        print("\n" + text)
    measured = scores["measured"]
    outside = [m for m in measured.misses if m.startswith("out of scope")]
    assert measured.declined >= FLOOR_DECLINED * measured.out_of_scope, outside
    assert measured.right >= FLOOR_RIGHT * measured.in_scope, text
    assert measured.among >= FLOOR_AMONG * measured.in_scope, text
    assert measured.offered <= CEILING_FALSE_HOPES, text


def test_the_calibration_is_fitted_on_the_tuning_half_alone():
    tune_only = [q for q in load_set() if q.half == "tune"]
    fitted = calibrate(load_entries(), load_outside(), tune_only)
    committed = json.loads(CALIBRATION.read_text())
    assert _close(fitted, committed), "knowledge/calibration.json is stale: run `imagebot kb calibrate`"


def test_kb_eval_prints_both_halves():
    proc = kb_eval()
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("tune ") and lines[1].startswith("measured "), proc.stdout + proc.stderr
    assert "right" in lines[1] and "among choices" in lines[1] and "declined" in lines[1]
    assert "ranked first" in lines[1] and "in the top three" in lines[1]  # where the ranking alone would stop
    assert lines[2].startswith("targets on the measured half")
    assert proc.returncode == (0 if lines[2].endswith(": met") else 1)


def load_set():
    return load_question_set(QUESTIONS)


def _close(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-4
    return a == b


def kb_eval(*args):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "eval", *args], capture_output=True, text=True, timeout=120
    )


def test_kb_eval_scores_the_teams_dev_format_with_words_the_answer_must_hold(tmp_path):
    lines = [
        {"q": "Does a Docker container share the host kernel?", "must": [["kernel"], ["share"]]},
        {"q": "Does a Docker container share the host kernel?", "must": [["no entry says zyxwvu"]]},
        {"q": "What is the capital of France?", "out_of_scope": True},
    ]
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    proc = kb_eval("--questions", str(path))
    assert proc.stdout.startswith("measured  in scope 1/2 right"), proc.stdout + proc.stderr
    assert "out of scope 1/1 declined" in proc.stdout
    assert proc.returncode == 1  # 50% right misses the target


def test_kb_eval_names_the_bad_line_and_the_format_instead_of_a_traceback(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text('{"q": "how do i copy an ami", "expect": "copy-ami"}\n{"q": "what is an ami"}\n')
    proc = kb_eval("--questions", str(path))
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith('imagebot: cannot read the question set: mine.jsonl line 2: neither "expect"')
    assert '"must" (groups of words' in proc.stderr
