"""Complement Naive Bayes over the entries' phrasings: which entry's way of being asked a question resembles.

Each entry is a class, trained on its title, phrasings and tags (and, weighted down, its answer): stems
and word pairs. Complement NB (Rennie et al., 2003) scores a class by how much more the question's
terms belong to it than to all the others, which holds up with few, short examples per class.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from knowledge import text
from knowledge.base import Entry

SMOOTHING = 0.3
ANSWER_WEIGHT = 0.1


def features(body: str) -> Counter[str]:
    stems = text.stems(body)
    return Counter([*stems, *text.pairs(stems)])


class Bayes:
    def __eq__(self, other: object) -> bool:  # a cached index equals a fresh one (knowledge.index_cache)
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.classes: list[dict[str, float]] = []
        for entry in entries:
            counts: Counter[str] = Counter()
            for body in (entry.title, *entry.questions, *(t.replace("-", " ") for t in entry.tags)):
                counts.update(features(body))
            weighted = {k: float(v) for k, v in counts.items()}
            for term, n in features(entry.answer).items():
                weighted[term] = weighted.get(term, 0.0) + ANSWER_WEIGHT * n
            self.classes.append(weighted)
        self.everywhere: Counter[str] = Counter()
        for c in self.classes:
            self.everywhere.update(c)
        self.vocabulary = len(self.everywhere)
        self.totals = [sum(c.values()) for c in self.classes]
        self.total = sum(self.totals)

    def scores(self, body: str) -> list[float]:
        """One score per entry, in index order: higher means more like that entry's phrasings."""
        asked = {t: n for t, n in features(body).items() if t in self.everywhere}
        a, v = SMOOTHING, self.vocabulary
        out = []
        for c, size in zip(self.classes, self.totals, strict=True):
            score = 0.0
            for term, n in asked.items():
                own = (c.get(term, 0.0) + a) / (size + a * v)
                rest = (self.everywhere[term] - c.get(term, 0.0) + a) / (self.total - size + a * v)
                score += n * (math.log(own) - math.log(rest))
            out.append(score)
        return out
