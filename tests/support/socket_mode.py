"""A local WebSocket server standing in for Slack's side of Socket Mode, for end-to-end tests of `imagebot socket`.

The protocol, as Slack documents it (docs.slack.dev, "Using Socket Mode", and the apps.connections.open method):

- the app calls `apps.connections.open` with its app-level token in the Authorization header and gets a
  temporary `wss://…/link/?ticket=…&app_id=…` URL;
- on connecting it is sent `{"type": "hello", "num_connections": …, "debug_info": {…}, "connection_info": {…}}`;
- Slack then sends envelopes `{"envelope_id", "type", "payload", "accepts_response_payload"}` (`type` is
  `slash_commands`, `events_api` or `interactive`), and the app acks each one with `{"envelope_id": …}`, adding a
  `"payload"` (the reply) when the envelope accepts one;
- Slack asks the app to move with `{"type": "disconnect", "reason": "refresh_requested", …}`; the app calls
  `apps.connections.open` again and opens a new connection.

Here the URLs are `ws://127.0.0.1:<port>/link/?ticket=…&app_id=…`, handed out by the Web API stand-in
(`SlackStandIn.answer("apps.connections.open", …)`). Each ticket is good for one connection (Slack only says its
URLs are temporary; this is the strict reading): as soon as one is used, the stand-in is told to hand out the next,
and a handshake with an unknown or used ticket is refused with a 401 and counted in `refused`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

if TYPE_CHECKING:
    from websockets.http11 import Request, Response
    from websockets.sync.server import Server, ServerConnection

    from tests.support.slack_api import SlackStandIn

ENVELOPE_TYPES = ("slash_commands", "events_api", "interactive")


@dataclass
class Link:
    """One WebSocket connection from the app: its number (1 = first), its ticket, what it sent and whether it ended."""

    number: int
    ticket: str
    websocket: ServerConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)

    def __repr__(self) -> str:
        state = "ended" if self.ended.is_set() else "open"
        return f"<connection {self.number} ({state}), {len(self.received)} message(s) received>"


@dataclass(frozen=True)
class Ack:
    """The app's acknowledgement of one envelope, and the connection it came back on."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int


class SocketModeServer:
    """Slack's Socket Mode endpoint on a free loopback port, run in a background thread.

    Use `serve_through(slack_api)` so that `apps.connections.open` hands out its URLs, then
    `wait_for_connection(n)`, `request(...)` (send an envelope, wait for its ack), `disconnect()` and `drop()`.
    """

    def __init__(self, app_id: str = "A0TEST") -> None:
        self.app_id = app_id
        self.links: list[Link] = []
        self.refused: list[str] = []  # handshake paths refused (unknown or reused ticket)
        self._issued: list[str] = []
        self._used: set[str] = set()
        self._slack_api: SlackStandIn | None = None
        self._tickets = itertools.count(1)
        self._changed = threading.Condition()
        self._server: Server = serve(
            self._serve_link,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            close_timeout=2,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-mode-server", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The loopback port the server listens on."""
        return int(self._server.socket.getsockname()[1])

    # ------------------------------------------------------------ URLs

    def serve_through(self, slack_api: SlackStandIn) -> None:
        """Have the Web API stand-in answer `apps.connections.open` with this server's URLs, a fresh one per use."""
        self._slack_api = slack_api
        self._offer_next_url()

    def _offer_next_url(self) -> None:
        """Mint a ticket and make its URL the stand-in's answer to the next apps.connections.open."""
        ticket = f"T{next(self._tickets):04d}-{uuid.uuid4().hex[:12]}"
        with self._changed:
            self._issued.append(ticket)
        if self._slack_api is not None:
            url = f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"
            self._slack_api.answer("apps.connections.open", {"ok": True, "url": url})

    def _check_ticket(self, websocket: ServerConnection, request: Request) -> Response | None:
        """Accept a handshake only for the ticket handed out last and not used yet; then hand out the next."""
        ticket = _ticket_of(request.path)
        with self._changed:
            fresh = bool(self._issued) and ticket == self._issued[-1] and ticket not in self._used
            if fresh:
                self._used.add(ticket)
            else:
                self.refused.append(request.path)
                self._changed.notify_all()
        if not fresh:
            return websocket.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        self._offer_next_url()
        return None

    # ----------------------------------------------------- connections

    def _serve_link(self, websocket: ServerConnection) -> None:
        """One connection: say hello, then record everything the app sends until the connection ends."""
        link = self._register(websocket)
        try:
            websocket.send(json.dumps(self._hello()))
            for message in websocket:
                self._record(link, message)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.ended.set()
                self._changed.notify_all()

    def _register(self, websocket: ServerConnection) -> Link:
        """Number and record a connection that completed its handshake."""
        ticket = _ticket_of(websocket.request.path if websocket.request else "")
        with self._changed:
            link = Link(number=len(self.links) + 1, ticket=ticket, websocket=websocket)
            self.links.append(link)
            self._changed.notify_all()
        return link

    def _hello(self) -> dict[str, Any]:
        """Slack's first message on every connection."""
        with self._changed:
            open_links = sum(1 for link in self.links if not link.ended.is_set())
        return {
            "type": "hello",
            "num_connections": open_links,
            "debug_info": {"host": "applink-test-1", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }

    def _record(self, link: Link, message: str | bytes) -> None:
        """Keep one message from the app (an ack, normally), decoded."""
        try:
            decoded = json.loads(message)
        except ValueError:
            decoded = {"unparsed": message if isinstance(message, str) else message.decode(errors="replace")}
        with self._changed:
            link.received.append(decoded if isinstance(decoded, dict) else {"unparsed": decoded})
            self._changed.notify_all()

    def wait_for_connection(self, number: int, timeout: float, alive: Callable[[], bool] | None = None) -> Link:
        """Block until the app has opened its `number`th connection; fail loudly (or when `alive()` turns false)."""
        return self._wait(
            lambda: self.links[number - 1] if len(self.links) >= number else None,
            timeout,
            f"connection {number} was not opened",
            alive,
        )

    @property
    def current(self) -> Link:
        """The newest connection, where Slack would send the next envelope."""
        with self._changed:
            if not self.links:
                raise AssertionError("the app has not connected yet")
            return self.links[-1]

    # ------------------------------------------------------- envelopes

    def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        accepts_response_payload: bool = False,
        link: Link | None = None,
        **extra: Any,
    ) -> str:
        """Send one envelope (on `link`, else the current connection); its envelope_id is returned."""
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"not a Socket Mode envelope type: {kind}")
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            **extra,
        }
        (link or self.current).websocket.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float, alive: Callable[[], bool] | None = None) -> Ack:
        """Block until the app acks `envelope_id` on any connection; fail loudly otherwise."""
        return self._wait(lambda: self._find_ack(envelope_id), timeout, f"envelope {envelope_id} was not acked", alive)

    def _find_ack(self, envelope_id: str) -> Ack | None:
        """The first message from the app, on any connection, that names `envelope_id`."""
        for link in self.links:
            for message in link.received:
                if message.get("envelope_id") == envelope_id:
                    return Ack(envelope_id, message.get("payload"), link.number)
        return None

    def request(
        self,
        kind: str,
        payload: dict[str, Any],
        timeout: float,
        accepts_response_payload: bool = False,
        alive: Callable[[], bool] | None = None,
        **extra: Any,
    ) -> Ack:
        """Send an envelope on the current connection and return its ack."""
        envelope_id = self.send_envelope(kind, payload, accepts_response_payload, **extra)
        return self.wait_for_ack(envelope_id, timeout, alive)

    # ------------------------------------------------ connection churn

    def disconnect(self, reason: str = "refresh_requested", link: Link | None = None) -> Link:
        """Ask the app to move to a new connection, as Slack does before it recycles one; returns the old link."""
        link = link or self.current
        link.websocket.send(json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-1"}}))
        return link

    def drop(self, link: Link | None = None) -> Link:
        """End a connection abruptly, as a dead network path or proxy does: FIN, and never a close frame."""
        link = link or self.current
        with contextlib.suppress(OSError):  # already gone
            # nothing more goes out (so no close frame), and the connection's reader thread wakes up and ends it
            link.websocket.socket.shutdown(socket.SHUT_RDWR)
        return link

    def wait_until_ended(self, link: Link, timeout: float) -> None:
        """Block until `link` is closed (by either side); fail loudly otherwise."""
        self._wait(lambda: True if link.ended.is_set() else None, timeout, f"connection {link.number} stayed open")

    def stop(self) -> None:
        """Close every connection (with a close frame) and stop listening."""
        self._server.shutdown()
        self._thread.join(5)

    # ---------------------------------------------------------- waiting

    def _wait(
        self, found: Callable[[], Any], timeout: float, what: str, alive: Callable[[], bool] | None = None
    ) -> Any:
        """Block until `found()` returns something; fail loudly at the deadline or when `alive()` turns false."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (result := found()) is None:
                left = deadline - time.monotonic()
                if left <= 0 or (alive is not None and not alive()):
                    why = f"within {timeout:.0f} s" if left <= 0 else "before the app exited"
                    raise AssertionError(f"{what} {why}; {self.summary()}")
                self._changed.wait(min(left, 0.5))
            return result

    def summary(self) -> str:
        """What happened so far, for failure messages (no tokens: the server never sees any)."""
        return f"connections: {self.links}, refused handshakes: {len(self.refused)}"


def _ticket_of(path: str) -> str:
    """The `ticket` query parameter of a handshake path ("" when there is none)."""
    return parse_qs(urlsplit(path).query).get("ticket", [""])[0]
