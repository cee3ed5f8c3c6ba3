"""Knowledge base speed: index build time and answer time per question.

Runs every dev question once (cold caches), then the set repeated 1000 times,
through the same `find_answer` that `/image ask` uses; the baseline measured
in the same run is the simplest search there is (count the question's words
in each entry's word set, take the best), so the ratio shows what typo
repair, synonyms, BM25 and the confidence check cost on top. Target: p99 < 2 ms.

    .venv/bin/python -m bench.kb [path/to/questions.jsonl]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from knowledge import answers
from knowledge.base import load_entries

DEV = Path(__file__).resolve().parents[1] / "tests" / "knowledge" / "dev_questions.jsonl"


def timed(fn, items):  # type: ignore[no-untyped-def]
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    q = statistics.quantiles(ms, n=100)
    print(f"{name:34s} n={len(ms):6d}  p50={q[49]:.3f} ms  p99={q[98]:.3f} ms  max={max(ms):.3f} ms")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    questions = [json.loads(line)["q"] for line in path.read_text().splitlines() if line.strip()]
    start = time.perf_counter()
    entries = load_entries()
    loaded = time.perf_counter()
    answers.index()
    built = time.perf_counter()
    load_ms, build_ms = 1000 * (loaded - start), 1000 * (built - loaded)
    print(f"entries: {len(entries)}  load {load_ms:.1f} ms  index build {build_ms:.1f} ms")
    report("answer, dev questions once", timed(answers.find_answer, questions))
    many = questions * 1000
    times = timed(answers.find_answer, many)
    report("answer, dev questions x1000", times)
    bags = [(e.id, set(f"{e.title} {' '.join(e.questions)} {e.answer}".lower().split())) for e in entries]

    def naive(question: str) -> str:
        asked = set(question.lower().split())
        return max(bags, key=lambda bag: len(asked & bag[1]))[0]

    baseline = timed(naive, many)
    report("baseline: naive word-overlap scan", baseline)
    p50 = statistics.quantiles(times, n=100)[49]
    p99 = statistics.quantiles(times, n=100)[98]
    print(f"ratio p50 find_answer/naive = {p50 / statistics.quantiles(baseline, n=100)[49]:.2f}")
    print(f"p99 {p99:.3f} ms against the 2 ms target: {'met' if p99 < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
