"""Typo repair against the knowledge base's vocabulary: symmetric-delete lookup, edit distance 1 (2 if long)."""

from __future__ import annotations

from collections import defaultdict

MIN_LENGTH = 5  # shorter words are left alone: too many near neighbours ("ecs", "ecr", "eks")
LONG = 8  # words this long may be two edits away


def deletion_index(vocabulary: dict[str, int]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        for variant in _deletes(word, _depth(word)):
            index[variant].append(word)
    return dict(index)


def repair(word: str, deletes: dict[str, list[str]], vocabulary: dict[str, int]) -> str | None:
    """The knowledge base word a typo most likely meant (nearest, then most frequent), or None."""
    if len(word) < MIN_LENGTH or word.isdigit():
        return None
    depth = _depth(word)
    candidates = {c for variant in _deletes(word, depth) for c in deletes.get(variant, ())}
    scored = [(distance(word, c), -vocabulary[c], c) for c in candidates]
    scored = [s for s in scored if s[0] <= depth]
    return min(scored)[2] if scored else None


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _depth(word: str) -> int:
    return 2 if len(word) >= LONG else 1


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found
