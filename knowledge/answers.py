"""Answering a question from the knowledge base: one sure answer, up to three choices, or an honest no."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from knowledge.base import adopt_entries, load_entries, load_outside
from knowledge.confidence import Decision, Match, decide
from knowledge.language import is_english
from knowledge.scope import Outside, outside
from knowledge.search import Index

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

                built = load_or_build(build_index)
                adopt_entries(built.entries)
                _index = built
    return _index


def build_index() -> Index:
    return Index(load_entries(), load_outside())


@dataclass(frozen=True)
class Answer:
    question: str
    decision: Decision
    english: bool = True
    outside: Outside | None = None  # declined before the search: plainly another topic (knowledge.scope)

    @property
    def match(self) -> Match | None:
        """The sure answer, if there is one."""
        return self.decision.match

    @property
    def choices(self) -> tuple[Match, ...]:
        """The "did you mean" entries when the best ones are close but not sure."""
        return self.decision.choices

    @property
    def nearest(self) -> tuple[Match, ...]:
        return self.decision.ranked

    def to_json(self) -> dict[str, Any]:
        m = self.match
        return {
            "matched": m is not None,
            "english": self.english,
            "outside": self.outside.topic if self.outside else None,
            "confidence": round(self.decision.confidence, 3),
            "id": m.entry.id if m else None,
            "title": m.entry.title if m else None,
            "answer": m.entry.answer if m else None,
            "sources": [{"title": s.title, "url": s.url, "seed": s.seed} for s in m.entry.sources] if m else [],
            "choices": [{"id": c.entry.id, "title": c.entry.title} for c in self.choices],
            "related": list(m.entry.related) if m else [e.entry.id for e in self.nearest[:3]],
        }


DECLINED = Decision("none", 0.0, (), ())  # decided before any search: not English, or plainly another topic


def find_answer(question: str) -> Answer:
    """The entry that surely answers the question, else the choices worth offering, else nothing."""
    if not is_english(question):
        return Answer(question, DECLINED, english=False)
    topic = outside(question)
    if topic is not None:
        return Answer(question, DECLINED, outside=topic)
    query, candidates = index().search(question)
    return Answer(question, decide(query, candidates))


def decide_question(question: str) -> Decision:
    return find_answer(question).decision


def ask_json(question: str) -> dict[str, Any]:
    return find_answer(question).to_json()
