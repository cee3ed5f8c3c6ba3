"""Services the benchmarks start for themselves: a free port and a redis-server of the run's own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(needed_by: str) -> tuple[subprocess.Popen[bytes], str, str]:
    """A redis-server of this run's own: (process, url, its working directory).

    Exits naming `needed_by` (the benchmark's module) when redis-server is not
    installed, and exits too when it does not answer a ping within about 5 s.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit(f"{needed_by} needs redis-server (apt-get install redis-server)")
    port, workdir = free_port(), tempfile.mkdtemp(prefix="imagebot-bench-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return proc, url, workdir
        except redis.ConnectionError:
            time.sleep(0.05)
    sys.exit(f"redis-server did not start on {url}")


def stop_redis(proc: subprocess.Popen[bytes], workdir: str) -> None:
    """Stop a redis-server from start_redis and remove its working directory."""
    proc.terminate()
    proc.wait(5)
    shutil.rmtree(workdir, ignore_errors=True)
