"""`imagebot serve` as a real process for tests: start it on a free port, talk raw HTTP to it, stop it."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import BOT_TOKEN, free_port
from tests.support.knowledge import cache_the_index
from tests.support.signing import SIGNING_SECRET

REPO = Path(__file__).resolve().parents[2]


def signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature over raw bytes (also for bodies that are not UTF-8)."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


class ServeProcess:
    """`python -m bot.cli serve` with the test services; its stderr (JSON log lines) goes to a file."""

    def __init__(self, settings: Any, log_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.log = log_dir / f"serve-{self.port}.log"
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": settings.slack_api_url,
            "REDIS_URL": settings.redis_url,
            "PORT": str(self.port),
            "IMAGEBOT_BIND": "127.0.0.1",
            **{k: v for k, v in (("AWS_ENDPOINT_URL", settings.aws_endpoint_url),) if v},
            **env,
        }
        cache_the_index()
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"], env=environment, cwd=REPO, stderr=out, stdout=out
            )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            assert self.proc.poll() is None, "imagebot serve exited:\n" + self.log.read_text()
            assert time.monotonic() < deadline, "imagebot serve did not start:\n" + self.log.read_text()
            time.sleep(0.1)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 10
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def post_signed(self, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str]:
        ts = str(int(time.time()))
        signed = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(body, ts)}
        headers = {"Content-Type": content_type, **signed}
        return self.request("POST", "/slack/events", body, headers)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()
