"""The recent values of every logged signal, as the detectors read them."""

from __future__ import annotations

import math
from collections import deque

WINDOW = 64  # values kept per signal: enough for trends over ~64 log rows


def as_float(value) -> float | None:
    """A logged value as a float: numbers, and the strings "nan" / "inf" the trainer writes for non-finite ones."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


class History:
    """Per-signal deques of (step, value) and the best/worst value seen, from metrics.jsonl rows."""

    def __init__(self) -> None:
        self.series: dict[str, deque] = {}
        self.peak: dict[str, float] = {}  # the largest finite value seen per signal (e.g. modes reached)
        self.step = 0

    def add(self, row: dict) -> set[str]:
        """Append a row's numeric values; returns the keys added (a value already held for this step is skipped)."""
        self.step = int(row.get("step", self.step))
        added = set()
        for key, raw in row.items():
            value = as_float(raw)
            if key == "step" or value is None or self._holds(key, self.step):
                continue
            added.add(key)
            self.series.setdefault(key, deque(maxlen=WINDOW)).append((self.step, value))
            if math.isfinite(value):
                self.peak[key] = max(self.peak.get(key, value), value)
        return added

    def _holds(self, key: str, step: int) -> bool:
        """Whether ``key`` already has a value at ``step`` (a row passed twice counts once)."""
        values = self.series.get(key)
        return bool(values) and values[-1][0] == step

    def last(self, key: str) -> float | None:
        values = self.series.get(key)
        return values[-1][1] if values else None

    def values(self, key: str, n: int | None = None) -> list[float]:
        """The last n values of ``key`` (all kept when n is None), oldest first."""
        values = [v for _, v in self.series.get(key, ())]
        return values if n is None else values[-n:]

    def has(self, *keys: str) -> bool:
        return all(key in self.series for key in keys)

    def state_dict(self) -> dict:
        return {"series": {k: list(v) for k, v in self.series.items()}, "peak": dict(self.peak), "step": self.step}

    def load_state_dict(self, state: dict) -> None:
        self.series = {k: deque([tuple(p) for p in v], maxlen=WINDOW) for k, v in state.get("series", {}).items()}
        self.peak = dict(state.get("peak", {}))
        self.step = int(state.get("step", 0))
