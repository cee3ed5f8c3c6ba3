"""Scoring the knowledge base against a question set: right single answers, right among choices, declines.

The project's set (tests/knowledge/questions.jsonl) is split in two halves: `tune` (the calibration is
fitted on it) and `measured` (only ever scored). `imagebot kb eval` prints both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.base import ROOT, KnowledgeError, load_entries
from knowledge.confidence import CHOICES, Decision

QUESTIONS = ROOT.parent / "tests" / "knowledge" / "questions.jsonl"
HALVES = ("tune", "measured")


@dataclass(frozen=True)
class Question:
    q: str
    half: str
    out_of_scope: bool
    right: frozenset[str]  # entries that answer it (empty when out of scope)


FORMAT = (
    'each line is a JSON object with "q" and one of: "expect" (the id of the entry that answers it, '
    'with "also" for other right ones), "must" (groups of words the answer\'s title or text must hold, '
    'one word of each group, as in [["kernel"], ["share"]]), or "out_of_scope": true'
)


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """A question set in either format: entry ids (`expect`) or words the answer must hold (`must`).

    A `must` line is right for every entry whose title and answer hold one word of each group, so both
    formats score the same way. A line without `half` counts as measured. A malformed line raises a
    KnowledgeError naming the file and line.
    """
    texts: dict[str, str] = {}  # entry id -> its title and answer, lower-cased; read once, for `must` lines
    questions: list[Question] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            questions.append(_question(line, f"{path.name} line {number}", texts))
    return questions


def _question(line: str, where: str, texts: dict[str, str]) -> Question:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"{where}: not JSON ({exc.msg}); {FORMAT}") from None
    if not isinstance(row, dict) or not isinstance(row.get("q"), str) or not row["q"].strip():
        raise KnowledgeError(f'{where}: no question text in "q"; {FORMAT}')
    half = str(row.get("half") or "measured")
    if row.get("out_of_scope"):
        return Question(row["q"], half, True, frozenset())
    if isinstance(row.get("expect"), str):
        return Question(row["q"], half, False, frozenset([row["expect"], *map(str, row.get("also") or ())]))
    must = row.get("must")
    if isinstance(must, list) and must and all(isinstance(g, list) and g for g in must):
        if not texts:
            texts.update((e.id, f"{e.title}\n{e.answer}".lower()) for e in load_entries())
        return Question(row["q"], half, False, _holding([[str(w) for w in g] for g in must], texts))
    raise KnowledgeError(f'{where}: neither "expect", "must" nor "out_of_scope"; {FORMAT}')


def _holding(groups: list[list[str]], texts: dict[str, str]) -> frozenset[str]:
    """The entries whose title and answer hold one word (case-insensitive) of every group."""
    return frozenset(i for i, text in texts.items() if all(any(w.lower() in text for w in g) for g in groups))


@dataclass
class Score:
    half: str
    in_scope: int = 0
    right: int = 0  # the right entry, as the single answer
    among: int = 0  # the right entry answered or among the "did you mean" choices
    wrong: int = 0  # a single answer, and the wrong one
    first: int = 0  # the right entry ranked first, whatever was decided (the ranking's ceiling for `right`)
    top3: int = 0  # the right entry among the three ranked first (the ceiling for `among`)
    out_of_scope: int = 0
    declined: int = 0  # out of scope and not answered (offered choices or nothing)
    offered: int = 0  # out of scope and offered choices
    misses: list[str] = field(default_factory=list)

    def add(self, question: Question, decision: Decision) -> None:
        ids = [m.entry.id for m in decision.choices]
        answered = decision.match.entry.id if decision.match else None
        if question.out_of_scope:
            self.out_of_scope += 1
            self.declined += answered is None
            self.offered += bool(ids)
            if answered:
                self.misses.append(f"out of scope, answered {answered}: {question.q}")
            return
        self.in_scope += 1
        ranked = [m.entry.id for m in decision.ranked[:CHOICES]]
        self.first += bool(ranked) and ranked[0] in question.right
        self.top3 += bool(question.right & set(ranked))
        self.right += answered in question.right
        self.among += answered in question.right or bool(question.right & set(ids))
        self.wrong += answered is not None and answered not in question.right
        if answered not in question.right:
            got = answered or (f"choices {ids}" if ids else "no match")
            self.misses.append(f"wanted {sorted(question.right)}, got {got}: {question.q}")

    def line(self) -> str:
        return (
            f"{self.half:9s} in scope {self.right}/{self.in_scope} right ({pct(self.right, self.in_scope)}), "
            f"{self.among}/{self.in_scope} among choices ({pct(self.among, self.in_scope)}), {self.wrong} wrong; "
            f"out of scope {self.declined}/{self.out_of_scope} declined ({pct(self.declined, self.out_of_scope)}), "
            f"{self.offered} offered choices; ranked first {self.first}/{self.in_scope}, "
            f"in the top three {self.top3}/{self.in_scope}"
        )


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def evaluate(questions: Iterable[Question], decide: Callable[[str], Decision]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for question in questions:
        scores.setdefault(question.half, Score(question.half)).add(question, decide(question.q))
    return dict(sorted(scores.items(), key=lambda kv: HALVES.index(kv[0]) if kv[0] in HALVES else 9))


TARGETS = {"right": 0.97, "among": 0.99, "declined": 1.0}  # on the measured half


def met(score: Score) -> dict[str, bool]:
    return {
        "right": score.right >= TARGETS["right"] * score.in_scope,
        "among": score.among >= TARGETS["among"] * score.in_scope,
        "declined": score.declined >= TARGETS["declined"] * score.out_of_scope,
    }


def report(scores: dict[str, Score], misses: bool = False) -> tuple[str, bool]:
    """Printable lines for `imagebot kb eval`, and whether the measured half meets the targets."""
    lines = [s.line() for s in scores.values()]
    measured = scores.get("measured")
    ok = measured is not None and all(met(measured).values())
    if measured is not None:
        wanted = ", ".join(f"{k} {v:.0%}" for k, v in TARGETS.items())
        lines.append(f"targets on the measured half ({wanted}): {'met' if ok else 'NOT met'}")
    tune = scores.get("tune")
    if misses and tune is not None:
        lines.append("tuning half, not right (the measured half is only ever scored, never listed):")
        lines += [f"  {m}" for m in tune.misses]
    return "\n".join(lines), ok
