"""Oscillation: the FID (or, without evaluation, the samples' spread) cycles without progress.

Over the last ``WINDOW`` values of a "distance from the data" series: at
least ``TURNS`` changes of direction, a swing of more than the series'
threshold, and no new best in the window.  Unregularised GANs circle their
equilibrium instead of reaching it (Mescheder et al. 2018); a G that hops
between modes (Metz et al. 2017) swings between spread-out and bunched-up
samples.  Not serious: training can still leave the cycle.

The series, first one the run logs:

- ``eval/fid`` (periodic evaluation): swing > ``FID_SWING`` of the smallest value;
- ``health/diversity`` (the sample checks, every ``train.health_every``):
  the distance |log diversity| of the samples' spread from the data's (0 =
  as spread as the data), swing > ``SPREAD_SWING`` (the spread doubling or
  halving between checks in the window).  Healthy runs in BENCHMARKS.md
  stay within a factor 1.3 of their own level once spread.
"""

from __future__ import annotations

import math

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

WINDOW = 6
TURNS = 3
FID_SWING = 0.25  # relative to the smallest FID in the window
SPREAD_SWING = math.log(2)  # absolute, in |log diversity|
MIN_DIVERSITY = 1e-6  # a constant G's 0 would be an infinite distance


def _fid(history: History) -> list[float]:
    return history.values("eval/fid")


def _spread_distance(history: History) -> list[float]:
    return [abs(math.log(max(v, MIN_DIVERSITY))) for v in history.values("health/diversity") if math.isfinite(v)]


# (series name in the evidence, values of the run, swing threshold, whether the swing is relative to the minimum)
SERIES = (("fid", _fid, FID_SWING, True), ("spread_distance", _spread_distance, SPREAD_SWING, False))


@DETECTORS.register("oscillation")
class Oscillation(Detector):
    name, serious, keys, patience = "oscillation", False, ("eval/fid", "health/diversity"), 1

    def check(self, history: History, run: RunInfo) -> dict | None:
        for label, values_of, threshold, relative in SERIES:
            values = values_of(history)
            if values:
                return _cycling(label, values, threshold, relative)
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
