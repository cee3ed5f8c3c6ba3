"""Pull progress: the engine's pull events folded into layers done/total, bytes and a monotonic fraction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.formatting import human_size

ProgressCallback = Callable[[float, str, dict[str, Any]], None]

DOWNLOAD_SHARE = 0.6  # a layer's progress: downloading fills 0..0.6, extracting 0.6..1
ALMOST = 0.99  # the most a pull shows before the engine has confirmed it
PENDING_STATES = ("Pulling fs layer", "Waiting")
DONE_STATES = ("Pull complete", "Already exists")


@dataclass
class Layer:
    downloaded: int = 0
    size: int | None = None
    score: float = 0.0
    done: bool = False


@dataclass
class PullTracker:
    """Folds the engine's pull events into layers done/total, bytes and a monotonic fraction."""

    layers: dict[str, Layer] = field(default_factory=dict)
    fraction: float = 0.0
    stage: str = "resolving"
    digest: str | None = None
    status: str | None = None
    last_layer: str = ""
    last_status: str = ""

    def feed(self, event: dict[str, Any]) -> bool:
        """Take one event; True when the progress it shows changed."""
        status = str(event.get("status") or "")
        if status.startswith("Digest: "):
            self.digest = status.removeprefix("Digest: ").strip()
            return False
        if status.startswith("Status: "):
            self.status = status.removeprefix("Status: ").strip()
            return False
        layer_id = event.get("id")
        if not layer_id or not self._is_layer_event(status):
            return False
        before = (self.fraction, self.stage, self.layers_done, self.bytes_downloaded)
        self._apply(self.layers.setdefault(str(layer_id), Layer()), status, event.get("progressDetail") or {})
        self.last_layer, self.last_status = str(layer_id), status
        self.fraction = max(self.fraction, min(ALMOST, self._computed()))
        return (self.fraction, self.stage, self.layers_done, self.bytes_downloaded) != before

    @staticmethod
    def _is_layer_event(status: str) -> bool:
        return status in (*PENDING_STATES, *DONE_STATES) or status.startswith(
            ("Downloading", "Verifying", "Download complete", "Extracting", "Retrying")
        )

    def _apply(self, layer: Layer, status: str, detail: dict[str, Any]) -> None:
        current, total = int(detail.get("current") or 0), int(detail.get("total") or 0)
        if status == "Downloading":
            if total and layer.size and total < layer.size:  # a resumed layer: the engine counts what is left
                current, total = current + layer.size - total, layer.size
            layer.size = total or layer.size
            layer.downloaded = min(current, total) if total else current
            layer.score = max(layer.score, DOWNLOAD_SHARE * (current / total if total else 0))
            self.stage = "downloading"
        elif status in ("Verifying Checksum", "Download complete"):
            layer.downloaded = layer.size or layer.downloaded
            layer.score = max(layer.score, DOWNLOAD_SHARE)
            self.stage = "verifying" if status.startswith("Verifying") else self.stage
        elif status == "Extracting":
            layer.score = max(layer.score, DOWNLOAD_SHARE + (1 - DOWNLOAD_SHARE) * (current / total if total else 0))
            self.stage = "extracting"
        elif status in DONE_STATES:
            layer.downloaded = layer.size or layer.downloaded
            layer.score, layer.done = 1.0, True
        elif status.startswith("Retrying"):
            self.stage = "retrying"
        elif self.stage == "resolving":
            self.stage = "downloading"

    def _computed(self) -> float:
        return sum(layer.score for layer in self.layers.values()) / len(self.layers) if self.layers else 0.0

    @property
    def layers_done(self) -> int:
        return sum(1 for layer in self.layers.values() if layer.done)

    @property
    def bytes_downloaded(self) -> int:
        return sum(layer.downloaded for layer in self.layers.values())

    @property
    def bytes_total(self) -> int:
        """The sizes the engine has announced so far (small layers may never announce theirs)."""
        return sum(layer.size or 0 for layer in self.layers.values())

    def detail(self) -> dict[str, Any]:
        return {
            "layers_done": self.layers_done,
            "layers_total": len(self.layers),
            "bytes_downloaded": self.bytes_downloaded,
            "bytes_total": self.bytes_total,
            "layer": self.last_layer,
            "status": self.last_status,
        }


def describe_progress(stage: str, detail: dict[str, Any]) -> str:
    """One line for a progress message: `downloading · 2/4 layers · 12.0 MB of 48.1 MB`."""
    parts = [stage]
    if detail.get("layers_total"):
        parts.append(f"{detail['layers_done']}/{detail['layers_total']} layers")
    if detail.get("bytes_total"):
        parts.append(f"{human_size(detail['bytes_downloaded'])} of {human_size(detail['bytes_total'])}")
    return " · ".join(parts)


def throttled(on_progress: ProgressCallback, seconds: float = 1.0) -> ProgressCallback:
    """Pass on stage changes, the end and at most one update per `seconds` (for writers to Redis/Slack)."""
    last: dict[str, Any] = {"at": 0.0, "stage": None}

    def forward(fraction: float, stage: str, detail: dict[str, Any]) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or stage != last["stage"] or now - last["at"] >= seconds:
            last["at"], last["stage"] = now, stage
            on_progress(fraction, stage, detail)

    return forward
