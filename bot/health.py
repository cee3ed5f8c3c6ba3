"""Liveness, readiness and metrics over HTTP, for probes and Prometheus.

`GET /healthz` is 200 while the process runs. `GET /readyz` is 200 when Redis
answers and the policy is loaded, else 503 with the reason. `GET /metrics` is
this process's metrics (bot.core.metrics) and the fleet-wide ones read from
Redis at scrape time: jobs waiting, running, scheduled and failed, and jobs
ended by kind and status. `imagebot serve` answers these on $PORT; `socket`
and `worker` on IMAGEBOT_HEALTH_PORT.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
import waitress
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from bot.core.config import Settings
from bot.jobs.queue import QUEUE
from bot.jobs.store import JobStore
from bot.services import Services

log = logging.getLogger(__name__)

PATHS = ("/healthz", "/readyz", "/metrics")
StartResponse = Callable[..., Any]
PROBE_TIMEOUT = 1.0  # a hung Redis must not hang the probe
LABELS = ["kind", "status"]


class FleetMetrics(Collector):
    """What every process can read from Redis: the queue and jobs ended, by kind and status."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def collect(self) -> Iterator[Any]:
        try:
            depth = self._depth()
            ended = JobStore(self.client, self.settings).ended_counts()
        except redis.RedisError as exc:
            log.warning("metrics could not read Redis", extra={"error": type(exc).__name__})
            return
        gauge = GaugeMetricFamily("imagebot_queue_jobs", "RQ jobs on the imagebot queue, by state", labels=["state"])
        for state, count in depth.items():
            gauge.add_metric([state], count)
        yield gauge
        counter = CounterMetricFamily("imagebot_jobs_ended", "Jobs ended, by kind and status", labels=LABELS)
        for (kind, status), count in sorted(ended.items()):
            counter.add_metric([kind, status], count)
        yield counter

    def _depth(self) -> dict[str, int]:
        keys = {
            "started": StartedJobRegistry(QUEUE, connection=self.client).key,  # counted without RQ's clean-up
            "scheduled": ScheduledJobRegistry(QUEUE, connection=self.client).key,
            "failed": FailedJobRegistry(QUEUE, connection=self.client).key,
        }
        with self.client.pipeline(transaction=False) as pipe:
            pipe.llen(f"rq:queue:{QUEUE}")
            for name in keys.values():
                pipe.zcard(name)
            counts = pipe.execute()
        return dict(zip(("queued", *keys), (int(c) for c in counts), strict=True))


class Health:
    """The WSGI app for the three probe paths."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self.settings = settings
        self.services = services
        self.probe = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
        )
        self.fleet = CollectorRegistry()
        self.fleet.register(FleetMetrics(self.probe, settings))

    def not_ready(self) -> str | None:
        """Why this process should not get traffic now, or None."""
        if self.services.policy is None:
            return "the access policy is not loaded"
        try:
            self.probe.ping()
        except redis.RedisError as exc:
            host = self.settings.redis_url.split("@")[-1]
            return f"Redis at {host} does not answer ({type(exc).__name__})"
        return None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json(start_response, "200 OK", {"status": "alive"})
        if path == "/readyz":
            reason = self.not_ready()
            if reason:
                return _json(start_response, "503 Service Unavailable", {"status": "not ready", "reason": reason})
            return _json(start_response, "200 OK", {"status": "ready"})
        if path == "/metrics":
            body = generate_latest(REGISTRY) + generate_latest(self.fleet)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
            return [body]
        return _json(start_response, "404 Not Found", {"error": "not found"})


def _json(start_response: StartResponse, status: str, body: dict[str, str]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def serve_health(settings: Settings, health: Health) -> Any:
    """The probes on IMAGEBOT_HEALTH_PORT in a background thread (for `socket` and `worker`); None when unset."""
    if settings.health_port is None:
        return None
    server = waitress.create_server(health, host=settings.bind, port=settings.health_port, threads=2)
    threading.Thread(target=server.run, name="imagebot-health", daemon=True).start()
    log.info("health and metrics listening", extra={"port": settings.health_port})
    return server
