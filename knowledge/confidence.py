"""From search signals to one honest decision: answer, offer up to three choices, or decline.

Three small logistic models, fitted on the tuning half of the project's question set
(knowledge.calibrate writes them to knowledge/calibration.json):
- the ranker scores each candidate entry from its signals (BM25, phrasings, trigrams, coverage);
- the judge gives the probability that the top-ranked entry is the right answer, from the ranker's
  score, its margin over the runner-up, coverage, words the base never uses, and how much closer the
  question is to a curated out-of-scope example than to the entry;
- the chooser, from the same features, the probability that the best three hold the right entry:
  below the answer threshold it decides between "did you mean" and an honest no.
The two thresholds (answer, choices) are chosen on the same half; the other half only measures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from knowledge.base import ROOT, Entry
from knowledge.logistic import Logistic, sigmoid
from knowledge.search import Candidate, Query, Signals

CALIBRATION = ROOT / "calibration.json"
RANK_FEATURES = (
    "bm25",
    "relative",
    "key_bm25",
    "key_relative",
    "phrase_bm25",
    "phrase_relative",
    "bayes",
    "bayes_gap",
    "phrasing",
    "weighted",
    "contained",
    "chars",
    "coverage",
    "key_coverage",
    "rare_coverage",
    "meaning",
    "meaning_gap",
    "answer_meaning",
)
JUDGE_FEATURES = (
    "rank",
    "margin",
    "coverage",
    "key_coverage",
    "weighted",
    "chars",
    "unknown",
    "outside_weighted",
    "outside_chars",
    "meaning",
    "outside_meaning",
)
CHOICES = 3
Kind = Literal["answer", "choices", "none"]


@dataclass(frozen=True)
class Match:
    entry: Entry
    signals: Signals
    rank: float  # the ranker's logit
    score: float  # the ranker's probability that this entry is the one asked about


@dataclass(frozen=True)
class Decision:
    kind: Kind
    confidence: float  # the judge's probability that ranked[0] is the right answer
    ranked: tuple[Match, ...]  # best first, at most five
    choices: tuple[Match, ...]  # what a "did you mean" offers (empty unless kind == "choices")

    @property
    def match(self) -> Match | None:
        return self.ranked[0] if self.kind == "answer" else None


@dataclass(frozen=True)
class Calibration:
    ranker: Logistic
    judge: Logistic
    chooser: Logistic  # the probability that the choices hold the right entry
    answer_at: float  # judge probability at or above which the top entry is the answer
    choices_at: float  # below that, chooser probability at or above which the choices are offered
    choice_floor: float  # a choice's ranker probability must be at least this

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> Calibration:
        return cls.from_json(json.loads(path.read_text()))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        """What `imagebot kb calibrate` wrote (knowledge/calibrate.py)."""
        return cls(
            Logistic.from_json(data["ranker"]),
            Logistic.from_json(data["judge"]),
            Logistic.from_json(data["chooser"]),
            float(data["answer_at"]),
            float(data["choices_at"]),
            float(data["choice_floor"]),
        )


@cache
def calibration() -> Calibration:
    return Calibration.load()


@dataclass(frozen=True)
class Best:
    """The best value of each BM25 among a question's candidates (the relative features divide by them)."""

    bm25: float
    key_bm25: float
    phrase_bm25: float
    bayes: float
    meaning: float

    @classmethod
    def of(cls, candidates: list[Candidate]) -> Best:
        return cls(
            max((c.signals.bm25 for c in candidates), default=0.0),
            max((c.signals.key_bm25 for c in candidates), default=0.0),
            max((c.signals.phrase_bm25 for c in candidates), default=0.0),
            max((c.signals.bayes for c in candidates), default=0.0),
            max((c.signals.meaning for c in candidates), default=0.0),
        )


def rank_features(signals: Signals, best: Best) -> list[float]:
    s = signals
    return [
        s.bm25,
        _ratio(s.bm25, best.bm25),
        s.key_bm25,
        _ratio(s.key_bm25, best.key_bm25),
        s.phrase_bm25,
        _ratio(s.phrase_bm25, best.phrase_bm25),
        s.bayes,
        best.bayes - s.bayes,
        s.phrasing,
        s.weighted,
        s.contained,
        s.chars,
        s.coverage,
        s.key_coverage,
        s.rare_coverage,
        s.meaning,
        best.meaning - s.meaning,
        s.answer_meaning,
    ]


def _ratio(value: float, best: float) -> float:
    return value / best if best else 0.0


def judge_features(query: Query, ranked: list[Match]) -> list[float]:
    top = ranked[0]
    runner_up = ranked[1].rank if len(ranked) > 1 else top.rank - 10.0
    s, out = top.signals, query.outside
    return [
        top.rank,
        top.rank - runner_up,
        s.coverage,
        s.key_coverage,
        s.weighted,
        s.chars,
        query.unknown,
        out.weighted - s.weighted,
        out.chars - s.chars,
        s.meaning,
        out.meaning - s.meaning,
    ]


def rank(candidates: list[Candidate], ranker: Logistic) -> list[Match]:
    best = Best.of(candidates)
    matches = []
    for c in candidates:
        logit = ranker.logit(rank_features(c.signals, best))
        matches.append(Match(c.entry, c.signals, logit, sigmoid(logit)))
    return sorted(matches, key=lambda m: (-m.rank, m.entry.id))


def offered(ranked: Sequence[Match], floor: float) -> tuple[Match, ...]:
    """What a "did you mean" offers: the best entries, at most three, each at least `floor` likely."""
    return tuple(m for m in ranked[:CHOICES] if m.score >= floor)


def decide(query: Query, candidates: list[Candidate], cal: Calibration | None = None) -> Decision:
    cal = cal or calibration()
    ranked = rank(candidates, cal.ranker)
    if not ranked:
        return Decision("none", 0.0, (), ())
    features = judge_features(query, ranked)
    confidence = cal.judge.probability(features)
    top = tuple(ranked[:5])
    if confidence >= cal.answer_at:
        return Decision("answer", confidence, top, ())
    choices = offered(ranked, cal.choice_floor)
    if choices and cal.chooser.probability(features) >= cal.choices_at:
        return Decision("choices", confidence, top, choices)
    return Decision("none", confidence, top, ())
