"""32 people at once: every quick subcommand from 32 threads against one Services, 2,000 calls.

Zero internal errors, and every answer is the one the same command gets when asked alone.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tests.support.jobkinds  # noqa: F401  (the test.steps job kind)
from bot.access.policy import Policy
from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.framework.starting import submit
from bot.services import Services
from knowledge import answers
from knowledge.search import stem

THREADS = 32
CALLS = 2_000
QUESTIONS = [
    json.loads(line)["q"]
    for line in (Path(__file__).parents[2] / "knowledge" / "dev_questions.jsonl").read_text().splitlines()
]
ADMIN = Policy.model_validate(
    {"roles": {"admin": {"permissions": ["admin"]}}, "grants": {"users": {"U0USER": ["admin"]}}}
)


@pytest.fixture
def shared(settings):
    """One Services for everyone, as in a running bot; a job to look at."""
    services = Services(settings, policy=ADMIN)
    ctx = Context(settings, services, user_id="U0USER", channel_id="C0CHAN", registry=REGISTRY)
    record, _ = submit(ctx, "test.steps", {"steps": 1}, "a job to look at")
    yield ctx, record.id
    services.close()


def quick_commands(job_id: str) -> list[str]:
    """Every subcommand that answers at once and the same each time (no AWS, Docker, new job or clock)."""
    fixed = [
        "help",
        "help ami status",
        "help nope",
        "compare",
        "compare isolation",
        "compare strtup",
        "job ffff",
        f"job cancel {job_id}0",
        "jobs --limit 0",
        "ask",
        "ami status ami-nothex",
    ]
    return fixed + [f"ask {q}" for q in QUESTIONS]


def test_quick_commands_from_32_threads_answer_as_they_do_alone(shared, monkeypatch):
    ctx, job_id = shared
    commands = quick_commands(job_id)
    alone = {text: dispatch(ctx, text).to_json()["blocks"] for text in commands}
    monkeypatch.setattr(answers, "_index", None)  # cold, as after a start: the index is built under load
    stem.cache_clear()
    rng = random.Random(7)
    calls = [rng.choice(commands) for _ in range(CALLS)]
    barrier = threading.Barrier(THREADS)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, so a shared-state race shows

    def person(share: list[str]) -> list[tuple[str, list]]:
        barrier.wait()
        return [(text, dispatch(ctx, text).to_json()["blocks"]) for text in share]

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = [r for part in pool.map(person, [calls[i::THREADS] for i in range(THREADS)]) for r in part]
    finally:
        sys.setswitchinterval(switch)
    assert len(results) == CALLS
    errors = [text for text, blocks in results if "Something went wrong" in json.dumps(blocks)]
    assert not errors, f"{len(errors)} internal errors, e.g. {errors[:3]}"
    different = [text for text, blocks in results if blocks != alone[text]]
    assert not different, f"{len(different)} answers differ from the single-threaded run, e.g. {different[:3]}"
