"""A slow or faulty AWS endpoint: a local HTTP proxy that sleeps before forwarding each request to moto's server.

Point AWS_ENDPOINT_URL at `SlowProxy(moto_url, delay).url` and every AWS call
takes at least `delay` seconds longer, as a slow or distant AWS does. Each
request is handled in its own thread, so concurrent calls wait side by side,
not one after another. `forwarded` counts the requests answered by moto.

`fault` makes it misbehave until set back to None: "hang" (hold the request
`hang_seconds`, then close it unanswered), "drop" (close it at once), an HTTP
status such as 500 or 503 (an EC2-style error body), or "throttle" (503 with
RequestLimitExceeded, as EC2 throttles). `throttle("CopyImage", 2)` throttles only the next two calls
of that EC2 action (each answered as EC2 does: HTTP 503, RequestLimitExceeded) and forwards the rest;
`throttled` counts the calls answered that way.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class SlowProxy:
    """Forwards every request to `target` after sleeping `delay` seconds; counts what it forwarded."""

    def __init__(self, target: str, delay: float = 0.1) -> None:
        parts = urlsplit(target)
        self.delay = delay
        self.fault: str | int | None = None
        self.hang_seconds = 60.0
        self._lock = threading.Lock()
        self._forwarded = 0
        self._throttle: dict[str, int] = {}
        self.throttled: list[str] = []  # the actions answered with RequestLimitExceeded, in order
        handler = type("Handler", (_Forward,), {"host": parts.hostname, "port": parts.port, "proxy": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    @property
    def forwarded(self) -> int:
        """How many requests were forwarded to the target and answered so far."""
        with self._lock:
            return self._forwarded

    def _count(self) -> None:
        with self._lock:
            self._forwarded += 1

    def throttle(self, action: str, times: int) -> None:
        """Answer the next `times` calls of the EC2 `action` with RequestLimitExceeded (HTTP 503)."""
        with self._lock:
            self._throttle[action] = times

    def _take_throttle(self, body: bytes) -> bool:
        action = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
        with self._lock:
            if self._throttle.get(action, 0) <= 0:
                return False
            self._throttle[action] -= 1
            self.throttled.append(action)
            return True

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()


class _Forward(BaseHTTPRequestHandler):
    host: str
    port: int
    proxy: SlowProxy
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def do_POST(self) -> None:
        self._forward("POST")

    def do_GET(self) -> None:
        self._forward("GET")

    def _forward(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
        fault = "throttle" if self.proxy._take_throttle(body) else self.proxy.fault
        if fault is not None:
            self._misbehave(fault)
            return
        time.sleep(self.proxy.delay)
        upstream = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        upstream.request(method, self.path, body=body, headers=headers)
        resp = upstream.getresponse()
        data = resp.read()
        upstream.close()
        self.proxy._count()
        self.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in HOP_HEADERS:
                self.send_header(key, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _misbehave(self, fault: str | int) -> None:
        if fault in ("hang", "drop"):
            if fault == "hang":
                time.sleep(self.proxy.hang_seconds)
            self.close_connection = True
            return
        status, code = (503, "RequestLimitExceeded") if fault == "throttle" else (int(fault), f"Status{fault}")
        data = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>injected by the test</Message></Error></Errors><RequestID>chaos</RequestID></Response>"
        ).encode()
        self.send_response(status)
        self.send_header("content-type", "text/xml")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass
