"""Start-up time of the command line: `imagebot ask` (text and --json) and `imagebot run`, against `python -c pass`.

Every run is a fresh process (cold interpreter, warm OS file cache), started
with `subprocess.run` and timed from spawn to exit; the baseline, a bare
`python -c pass` with the same interpreter, is measured in the same run,
interleaved with the commands so that a busy machine slows all of them
alike. Each command's median and min over RUNS (default 10) is printed in
seconds and as a multiple of the baseline's median. The knowledge index cache
(knowledge/index_cache.py) points at a temporary directory: the first `ask`,
with that cache empty, is timed on its own and not counted in the runs.
The commands read the environment as they would for you (REDIS_URL: the
`ask` reply without --json is audited there, as every command is).
Target: `imagebot ask` median <= 0.5 s, with and without --json.

    .venv/bin/python -m bench.startup [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "are AMIs region specific?"
TARGET = 0.5
CACHE_ENV = "IMAGEBOT_CACHE_DIR"


def imagebot() -> list[str]:
    """The installed `imagebot` script next to this interpreter, else `python -m bot.cli`."""
    script = Path(sys.executable).parent / "imagebot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    f'imagebot ask "{QUESTION}"': [*imagebot(), "ask", QUESTION],
    f'imagebot ask --json "{QUESTION}"': [*imagebot(), "ask", "--json", QUESTION],
    'imagebot run "/image help"': [*imagebot(), "run", "/image help"],
}
BASELINE = "python -c pass (baseline)"
ASK = f'imagebot ask "{QUESTION}"'
ASKS = (ASK, f'imagebot ask --json "{QUESTION}"')


def once(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of one fresh process, spawn to exit; a failing command stops the bench."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    # `ask` exits 1 when nothing matched; anything else is a broken command, not a figure
    if done.returncode not in (0, 1) or (done.returncode == 1 and "ask" not in argv):
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory(prefix="imagebot-bench-cache-") as cache:
        env = {**os.environ, CACHE_ENV: cache}
        first = once(COMMANDS[ASK], env)  # builds the index cache (when there is one)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(runs):
            for name, argv in COMMANDS.items():
                times[name].append(once(argv, env))
    base = statistics.median(times[BASELINE])
    print(f"cold start, {runs} fresh processes each (median, min; x = multiple of the baseline median)")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"  {name:48s} median {median:6.3f} s  min {min(ts):6.3f} s  x{median / base:6.1f}")
    print(f"  {'first ask, index cache empty (not in the runs)':48s} once   {first:6.3f} s")
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not (REPO / "bot" / "__pycache__").is_dir():
        print("note: PYTHONDONTWRITEBYTECODE is set, bot/ has no __pycache__: each run compiles the project's code")
    slowest = max(statistics.median(times[name]) for name in ASKS)
    verdict = "met" if slowest <= TARGET else "missed"
    print(f"target imagebot ask median <= {TARGET} s (with and without --json): {verdict} ({slowest:.3f} s)")


if __name__ == "__main__":
    main()
