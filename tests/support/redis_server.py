"""A private redis-server a test can stop and start again on the same port, keeping its data (append-only file)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import redis

from tests.conftest import free_port, unavailable


class RedisServer:
    """redis-server on a free loopback port; `stop()` then `start()` brings the same data back."""

    def __init__(self, workdir: Path, persistent: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", "install it (apt-get install redis-server) or run ./scripts/test")
        self.binary = str(binary)
        self.port = free_port()
        self.dir = workdir
        self.persistent = persistent
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, wait: bool = True) -> None:
        keep = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.dir)]
        self.proc = subprocess.Popen([*args, *keep], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            self.wait_until_up()

    def wait_until_up(self, timeout: float = 15.0) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                assert time.monotonic() < deadline, f"redis-server on {self.port} did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class HungServer:
    """A TCP listener that accepts connections and never answers: a Redis (or anything) that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)  # read nothing, answer nothing

    def stop(self) -> None:
        self._stopped.set()
        self.sock.close()
        for conn in self._held:
            conn.close()
