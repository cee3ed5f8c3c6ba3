"""Answering a question from the knowledge base: the confident entry, if any, and the nearest topics."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from knowledge.base import load_entries
from knowledge.search import Index, Match

TOP = 5


_index: Index | None = None
_index_lock = threading.Lock()


def index() -> Index:
    """The search index, once per process on first use (under a lock: threads ask at once).

    Read from the on-disk cache when the knowledge base and the search code are unchanged, else built
    and cached for the next start (knowledge.index_cache).
    """
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                from knowledge.index_cache import load_or_build

                _index = load_or_build(lambda: Index(load_entries()))
    return _index


@dataclass(frozen=True)
class Answer:
    question: str
    match: Match | None  # the confident match, if any
    nearest: tuple[Match, ...]

    def to_json(self) -> dict[str, Any]:
        m = self.match
        return {
            "matched": m is not None,
            "id": m.entry.id if m else None,
            "title": m.entry.title if m else None,
            "answer": m.entry.answer if m else None,
            "score": round(m.score, 3) if m else (round(self.nearest[0].score, 3) if self.nearest else 0.0),
            "sources": [{"title": s.title, "url": s.url, "seed": s.seed} for s in m.entry.sources] if m else [],
            "related": list(m.entry.related) if m else [e.entry.id for e in self.nearest[:3]],
        }


def find_answer(question: str) -> Answer:
    """The best entry that confidently answers the question, and the nearest topics."""
    matches = index().search(question, limit=TOP)
    confident = next((m for m in matches if m.confident), None)
    return Answer(question, confident, tuple(matches))


def ask_json(question: str) -> dict[str, Any]:
    return find_answer(question).to_json()
