"""Many people ask at once: answers are the same as when asked one at a time, and nothing raises."""

import json
import random
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from knowledge import answers, embed
from knowledge.search import stem

QUESTIONS = [json.loads(line)["q"] for line in (Path(__file__).parent / "dev_questions.jsonl").read_text().splitlines()]


def ask_all_at_once(threads: int) -> list[list[str | None]]:
    barrier = threading.Barrier(threads)

    def one_person(_: int) -> list[str | None]:
        barrier.wait()  # everyone starts together
        return [(a.match.entry.id if a.match else None) for a in map(answers.find_answer, QUESTIONS)]

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one_person, range(threads)))


def test_cold_concurrent_questions_get_the_answers_a_single_person_gets(monkeypatch):
    expected = [(a.match.entry.id if a.match else None) for a in map(answers.find_answer, QUESTIONS)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as possible: a race shows at once
    try:
        rounds(monkeypatch, expected)
    finally:
        sys.setswitchinterval(switch)


def rounds(monkeypatch, expected):
    for _ in range(3):  # cold every round: no index, no model, no cached stems; the shared stemmer used to corrupt both
        monkeypatch.setattr(answers, "_index", None)
        monkeypatch.setattr(embed, "_encoder", None)
        stem.cache_clear()
        assert ask_all_at_once(12) == [expected] * 12


def test_stems_are_right_when_many_threads_stem_at_once():
    words = sorted({w for e in answers.load_entries() for w in re.findall(r"[a-z]{3,}", e.answer.lower())})
    stem.cache_clear()
    expected = {w: stem(w) for w in words}
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_ in range(10):
            stem.cache_clear()
            orders = [random.Random(round_ * 100 + n).sample(words, len(words)) for n in range(8)]
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda order: {w: stem(w) for w in order}, orders))
            assert all(r == expected for r in results)
    finally:
        sys.setswitchinterval(switch)
