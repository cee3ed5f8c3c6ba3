"""The dev question set: right answers for in-scope questions, honest "no match" for the rest."""

import json
from pathlib import Path

from knowledge.answers import find_answer

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
