"""Oscillation: training cycles instead of progressing.

Two shapes, each read from the signals the run logs:

- **mode hopping** (``health/top_class``, ``health/top_share`` of the sample
  checks): over the last ``HOP_WINDOW`` checks the samples stay concentrated
  (mean share of the most frequent class >= ``HOP_SHARE``) while that class
  keeps changing (>= ``HOPS`` changes between consecutive checks, >=
  ``HOP_CLASSES`` different classes).  This is the standard GAN of Metz et
  al. 2017 (fig. 1) on the ring of 8: G covers one mode at a time and the
  covered mode moves around the ring, D chasing it.  A stable collapse keeps
  its class (0 changes); a G that covers the data has a top share near 1/K.
- **cycling distance from the data**: over the last ``WINDOW`` values at
  least ``TURNS`` changes of direction, a swing of more than the series'
  threshold, and no new best in the window.  Unregularised GANs circle their
  equilibrium instead of reaching it (Mescheder et al. 2018).  The series:
  ``eval/fid`` (periodic evaluation; swing > ``FID_SWING`` of the smallest
  value), or, for runs whose samples have no classes (so no hops to read),
  the samples' spread |log health/diversity| (0 = as spread as the data;
  swing > ``SPREAD_SWING``, the spread doubling or halving).

Not serious: training can still leave the cycle (the hopping G is also
collapsed, which the collapse detectors report).  Thresholds: BENCHMARKS.md,
*Training health*.
"""

from __future__ import annotations

import math

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

HOP_WINDOW = 5  # sample checks (400 steps at train.health_every=100)
HOP_SHARE = 0.4  # mean share of the top class: >= 3.2x uniform on ring8, 10x on grid25, 4x on 10 classes
HOPS = 2  # changes of the top class between consecutive checks in the window ...
HOP_CLASSES = 3  # ... visiting at least this many classes (two modes taking turns on top is a stable 2-mode collapse)
WINDOW = 6
TURNS = 3
FID_SWING = 0.25  # relative to the smallest FID in the window
SPREAD_SWING = math.log(2)  # absolute, in |log diversity|
MIN_DIVERSITY = 1e-6  # a constant G's 0 would be an infinite distance


@DETECTORS.register("oscillation")
class Oscillation(Detector):
    name, serious, keys, patience = "oscillation", False, ("eval/fid", "health/diversity"), 1

    def check(self, history: History, run: RunInfo) -> dict | None:
        evidence = None
        if history.has("eval/fid"):
            evidence = _cycling("fid", history.values("eval/fid"), FID_SWING, relative=True)
        if evidence is None and history.has("health/top_class", "health/top_share"):
            evidence = hopping(history.values("health/top_class"), history.values("health/top_share"))
        elif evidence is None and history.has("health/diversity"):
            spread = [abs(math.log(max(v, MIN_DIVERSITY))) for v in history.values("health/diversity") if math.isfinite(v)]
            evidence = _cycling("spread_distance", spread, SPREAD_SWING, relative=False)
        return evidence


def hopping(top_class: list[float], top_share: list[float]) -> dict | None:
    """Evidence when, over the last HOP_WINDOW checks, the samples sit on one class at a time and it keeps moving.

    Args: the per-check most frequent class id and its share of the samples, oldest first.
    """
    if len(top_class) < HOP_WINDOW or len(top_share) < HOP_WINDOW:
        return None
    classes, shares = top_class[-HOP_WINDOW:], top_share[-HOP_WINDOW:]
    hops = sum(1 for a, b in zip(classes, classes[1:]) if a != b)
    share = sum(shares) / len(shares)
    if share >= HOP_SHARE and hops >= HOPS and len(set(classes)) >= HOP_CLASSES:
        return {"hops": hops, "classes_visited": len(set(classes)), "top_share": share, "top_class": classes[-1]}
    return None


def _cycling(label: str, values: list[float], threshold: float, relative: bool) -> dict | None:
    """Evidence when the last WINDOW values (lower = better) turn often, swing widely and set no new best."""
    if len(values) < WINDOW + 1:
        return None
    window, before = values[-WINDOW:], values[:-WINDOW]
    steps = [b - a for a, b in zip(window, window[1:])]
    turns = sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0)
    swing = max(window) - min(window)
    swing = swing / max(min(window), 1e-9) if relative else swing
    if turns >= TURNS and swing > threshold and min(window) >= min(before):
        return {f"{label}_turns": turns, f"{label}_swing": swing, label: window[-1]}
    return None
