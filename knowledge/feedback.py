"""What people tell the knowledge base: questions it could not answer for sure, and votes on its answers.

Gaps (no match, a "did you mean", or a 👎) go to a capped Redis stream that expires when nobody asks for a
while; votes are one per user per entry (a later vote replaces the earlier one). Question text is scrubbed
of tokens before it is kept; nothing else a person typed is stored.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import redis

GAPS = "imagebot:kb:gaps"
VOTES = "imagebot:kb:votes:{0}"  # a hash: user id -> "up" | "down"
VOTED = "imagebot:kb:voted"  # the set of entry ids that have votes
GAPS_MAX = 5000
KEEP_SECONDS = 90 * 86400
NO_MATCH, CHOICES, DOWN_VOTE = "no match", "did you mean", "down-vote"
PICKED = "picked"  # a "did you mean" choice someone clicked: the question is a phrasing for that entry


@dataclass(frozen=True)
class Gap:
    """One question asked this often, that the knowledge base did not answer for sure."""

    question: str
    kind: str
    times: int
    candidates: tuple[str, ...]
    last_asked: float


@dataclass(frozen=True)
class Votes:
    entry_id: str
    up: int
    down: int


class Feedback:
    """The gap log and the votes, in Redis."""

    def __init__(self, client: redis.Redis, scrub: Callable[[str], str]) -> None:
        self.redis = client
        self.scrub = scrub

    def record_gap(self, question: str, kind: str, candidates: list[str], user_id: str) -> None:
        fields = {
            "question": self.scrub(question)[:500],
            "kind": kind,
            "candidates": json.dumps(candidates[:3]),
            "user": user_id,
            "ts": f"{time.time():.3f}",
        }
        with self.redis.pipeline() as pipe:
            pipe.xadd(GAPS, fields, maxlen=GAPS_MAX, approximate=True)  # type: ignore[arg-type]
            pipe.expire(GAPS, KEEP_SECONDS)
            pipe.execute()

    def vote(self, entry_id: str, user_id: str, up: bool, question: str = "") -> bool:
        """One vote per user per entry: voting again replaces the earlier vote. False when it changed nothing."""
        before = self.redis.hget(VOTES.format(entry_id), user_id)
        direction = b"up" if up else b"down"
        with self.redis.pipeline() as pipe:
            pipe.hset(VOTES.format(entry_id), user_id, "up" if up else "down")
            pipe.expire(VOTES.format(entry_id), KEEP_SECONDS)
            pipe.sadd(VOTED, entry_id)
            pipe.expire(VOTED, KEEP_SECONDS)
            pipe.execute()
        if before == direction:
            return False
        if not up:
            self.record_gap(question or f"(an answer from {entry_id})", DOWN_VOTE, [entry_id], user_id)
        return True

    def votes(self, entry_id: str) -> Votes:
        values = [v.decode() for v in self.redis.hvals(VOTES.format(entry_id))]  # type: ignore[union-attr]
        return Votes(entry_id, values.count("up"), values.count("down"))

    def gaps(self, limit: int = 20) -> list[Gap]:
        """The questions most often left without a sure answer (or voted down), most frequent first."""
        return self._tally(limit, lambda kind: kind != PICKED)

    def picks(self, limit: int = 20) -> list[Gap]:
        """Questions whose asker picked an entry from a "did you mean": phrasings to add to that entry."""
        return self._tally(limit, lambda kind: kind == PICKED)

    def _tally(self, limit: int, wanted: Callable[[str], bool]) -> list[Gap]:
        rows = self.redis.xrevrange(GAPS, count=GAPS_MAX)
        counts: Counter[str] = Counter()
        first: dict[str, Gap] = {}
        for _id, raw in rows:  # type: ignore[union-attr]
            fields = {k.decode(): v.decode() for k, v in raw.items()}
            if not wanted(fields["kind"]):
                continue
            key = normal(fields["question"])
            if fields["kind"] == PICKED:
                key += "\0" + fields["candidates"]  # the same question may be picked for two entries
            counts[key] += 1
            first.setdefault(key, _gap(fields))  # rows come newest first: the latest wording and candidates
        ranked = sorted(counts, key=lambda k: (-counts[k], -first[k].last_asked))
        return [replace(first[k], times=counts[k]) for k in ranked[:limit]]

    def most_down_voted(self, limit: int = 10) -> list[Votes]:
        ids = sorted(i.decode() for i in self.redis.smembers(VOTED))  # type: ignore[union-attr]
        with self.redis.pipeline(transaction=False) as pipe:  # one round trip, however many entries
            for i in ids:
                pipe.hvals(VOTES.format(i))
            values = pipe.execute()
        tallies = [Votes(i, v.count(b"up"), v.count(b"down")) for i, v in zip(ids, values, strict=True)]
        down = [t for t in tallies if t.down]
        return sorted(down, key=lambda t: (-t.down, t.up, t.entry_id))[:limit]


def normal(question: str) -> str:
    """Questions that differ only in case, spacing and punctuation count as one."""
    return " ".join(re.findall(r"\w+", question.lower()))


def _gap(fields: dict[str, str]) -> Gap:
    return Gap(fields["question"], fields["kind"], 1, tuple(json.loads(fields["candidates"])), float(fields["ts"]))
