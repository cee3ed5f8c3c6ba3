"""Fit knowledge/calibration.json on the tuning half of the question set (`imagebot kb calibrate`).

1. The ranker learns, from every candidate entry of every in-scope tuning question, which signals
   mark the right entry.
2. The judge learns when the top-ranked entry is right, and the chooser when the best three hold it,
   from curated examples and the tuning questions; each tuning question is scored by a judge and a
   chooser that did not see it (5-fold cross-fitting), so its figures are what a new question gets.
3. The thresholds maximise right answers on the tuning half with a wrong answer costing two right
   ones and an out-of-scope answer twenty; below that, choices are offered where the chooser says they
   usually hold the right entry (useless choices cost a quarter of a right answer, choices for an
   out-of-scope question one: a "did you mean" that misses is one more try, a flat "no match" for a
   question the base covers is a dead end).
Run it after changing entries, phrasings or the search; `imagebot kb eval` then scores both halves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

from knowledge.base import Entry
from knowledge.confidence import (
    CALIBRATION,
    JUDGE_FEATURES,
    RANK_FEATURES,
    Best,
    judge_features,
    offered,
    rank,
    rank_features,
)
from knowledge.evaluate import Question
from knowledge.language import is_english
from knowledge.logistic import Logistic, fit
from knowledge.scope import outside as off_topic
from knowledge.search import Candidate, Index, Query

FOLDS = 5
SHORTLIST = 15  # candidates per question the ranker learns from
# A choice's ranker probability must reach this. Tuning value at 0, .01, .02, .05, .1: 152.25, 154.25,
# 154.25, 150.75, 149.75 (the tie goes to the higher floor: fewer weak choices on show)
CHOICE_FLOOR = 0.02
# A wrong answer at 3.0 left 37 of the team's 44 dev questions with a sure answer; at 2.0, 43
COST_WRONG, COST_OUTSIDE = 2.0, 20.0
COST_USELESS_CHOICES = 0.25  # choices without the right entry: one more try for the asker
COST_OUTSIDE_CHOICES = 1.0  # choices for a question the base cannot answer: a false hope


class Judged(NamedTuple):
    """A tuning question as judges that did not see it scored it."""

    question: Question
    confidence: float  # the judge's probability that the top entry is right
    top: str  # the top entry's id
    choices: list[str]  # the ids a "did you mean" would offer
    holds: float  # the chooser's probability that those choices hold the right entry


@dataclass(frozen=True)
class Example:
    """A question searched, with what would answer it (nothing, when it is out of scope)."""

    right: frozenset[str]
    question: Question | None  # None for a curated example (a held-out phrasing or out-of-scope line)
    query: Query
    candidates: list[Candidate]

    @property
    def outside(self) -> bool:
        return not self.right


def calibrate(entries: Sequence[Entry], outside: Sequence[str], questions: Sequence[Question]) -> dict[str, Any]:
    """The calibration, from the curated examples (held out fold by fold) and the tuning half."""
    curated = [example for fold in range(FOLDS) for example in _held_out(entries, outside, fold)]
    index = Index(entries, outside)
    searched = [q for q in questions if q.half == "tune" and is_english(q.q) and off_topic(q.q) is None]
    tune = [Example(q.right, q, *index.search(q.q)) for q in searched]
    ranker = _fit_ranker([e for e in curated if not e.outside])
    ranked = {id(e): r for e in [*curated, *tune] if (r := rank(e.candidates, ranker))}  # each ranked once
    labelled = [e for e in [*curated, *tune] if id(e) in ranked]
    rows = {id(e): judge_features(e.query, ranked[id(e)]) for e in labelled}
    offers = {id(e): [m.entry.id for m in offered(ranked[id(e)], CHOICE_FLOOR)] for e in labelled}
    top_right = {id(e): ranked[id(e)][0].entry.id in e.right for e in labelled}  # what the judge learns
    holds_right = {id(e): bool(e.right & set(offers[id(e)])) for e in labelled}  # what the chooser learns
    folds = {id(e): _fold("tune", e.question.q) for e in tune if e.question}
    judged: list[Judged] = []
    for fold in range(FOLDS):  # the tuning questions' probabilities come from models that did not see them
        seen = [e for e in labelled if folds.get(id(e)) != fold]  # every curated example, the other folds
        fold_judge, fold_chooser = _fit(seen, rows, top_right), _fit(seen, rows, holds_right)
        for e in labelled:
            if e.question and folds[id(e)] == fold:
                row, top = rows[id(e)], ranked[id(e)][0].entry.id
                confidence, holds = fold_judge.probability(row), fold_chooser.probability(row)
                judged.append(Judged(e.question, confidence, top, offers[id(e)], holds))
    judge, chooser = _fit(labelled, rows, top_right), _fit(labelled, rows, holds_right)
    answer_at = _answer_threshold(judged)
    below = [j for j in judged if j.confidence < answer_at]
    choices_at = _choices_threshold(below)
    return {
        "about": "fitted by `imagebot kb calibrate`: models on curated examples and the tuning half, "
        "thresholds on the tuning half; see knowledge/calibrate.py",
        "curated_examples": len(curated),
        "tuning_questions": len(tune),
        "answer_at": round(answer_at, 6),
        "choices_at": round(choices_at, 6),
        "choice_floor": CHOICE_FLOOR,
        "tuning_value": round(_answer_value(judged, answer_at) + _choices_value(below, choices_at), 2),
        "ranker": ranker.to_json(),
        "judge": judge.to_json(),
        "chooser": chooser.to_json(),
    }


def _held_out(entries: Sequence[Entry], outside: Sequence[str], fold: int) -> list[Example]:
    """One fold's phrasings and out-of-scope lines, searched in an index built without them."""

    def held(*key: str) -> bool:
        return _fold(*key) == fold

    kept = [replace(e, questions=tuple(q for q in e.questions if not held(e.id, q))) for e in entries]
    index = Index(kept, [q for q in outside if not held("outside", q)])
    examples = [
        Example(frozenset([e.id]), None, *index.search(q)) for e in entries for q in e.questions if held(e.id, q)
    ]
    examples += [Example(frozenset(), None, *index.search(q)) for q in outside if held("outside", q)]
    return examples


def _fold(*key: str) -> int:
    """A stable fold for an example, from its text: adding or removing one example moves no other."""
    return int(hashlib.sha256("\0".join(key).encode()).hexdigest(), 16) % FOLDS


def _fit(examples: Sequence[Example], rows: dict[int, list[float]], labels: dict[int, bool]) -> Logistic:
    """The judge (is the top entry right?) or the chooser (do the choices hold it?), from the same features.

    Real questions and curated examples alike: training the judge only on the tuning questions, or
    weighting them up to match the curated examples, scored lower on the tuning objective (71.5 and 83
    against 89 when measured), so every example counts once. Offering choices by the judge's probability
    (before the chooser) offered them to 7 of 68 out-of-scope tuning questions; by the chooser's, to 1,
    with as many right entries among them.
    """
    return fit(JUDGE_FEATURES, [rows[id(e)] for e in examples], [labels[id(e)] for e in examples])


def write(data: dict[str, Any], path: Path = CALIBRATION) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _fit_ranker(examples: Sequence[Example]) -> Logistic:
    rows, labels = [], []
    for example in examples:
        candidates = example.candidates
        best = Best.of(candidates)
        shortlist = sorted(
            candidates, key=lambda c: -(c.signals.bm25 / (best.bm25 or 1) + c.signals.weighted + c.signals.chars)
        )
        for c in shortlist[:SHORTLIST]:
            rows.append(rank_features(c.signals, best))
            labels.append(c.entry.id in example.right)
    return fit(RANK_FEATURES, rows, labels)


def _answer_value(judged: Sequence[Judged], t: float) -> float:
    """Right answers at cut `t`, less the cost of the wrong and the out-of-scope ones."""
    total = 0.0
    for j in judged:
        if j.confidence < t:
            continue
        if j.question.out_of_scope:
            total -= COST_OUTSIDE
        else:
            total += 1.0 if j.top in j.question.right else -COST_WRONG
    return total


def _choices_value(judged: Sequence[Judged], t: float) -> float:
    """Choices that hold the right entry at cut `t`, less the cost of useless ones."""
    total = 0.0
    for j in judged:
        if j.holds < t or not j.choices:
            continue
        if j.question.out_of_scope:
            total -= COST_OUTSIDE_CHOICES
        else:
            total += 1.0 if j.question.right & set(j.choices) else -COST_USELESS_CHOICES
    return total


def _answer_threshold(judged: Sequence[Judged]) -> float:
    return _best_cut(sorted({j.confidence for j in judged}), lambda t: _answer_value(judged, t))


def _choices_threshold(judged: Sequence[Judged]) -> float:
    return _best_cut(sorted({j.holds for j in judged}), lambda t: _choices_value(judged, t))


def _best_cut(probabilities: list[float], value: Any) -> float:
    """The cut (midway between two observed probabilities) with the highest value; ties go to the higher cut."""
    cuts = [(a + b) / 2 for a, b in pairwise(probabilities)] or [0.5]
    cuts.append(1.0)
    return max(cuts, key=lambda t: (value(t), t))
