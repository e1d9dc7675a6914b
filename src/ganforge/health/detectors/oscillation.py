"""Oscillation: the FID (or, without evaluation, the sample diversity) cycles without progress.

Over the last ``WINDOW`` values: at least ``TURNS`` changes of direction, a
swing of more than ``SWING`` of the smallest value, and no new best in the
window.  Unregularised GANs circle their equilibrium instead of reaching it
(Mescheder et al. 2018); an FID that goes up and down for several
evaluations says so.  Not serious: training can still leave the cycle.
"""

from __future__ import annotations

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

WINDOW = 6
TURNS = 3
SWING = 0.25


@DETECTORS.register("oscillation")
class Oscillation(Detector):
    name, serious, keys, patience = "oscillation", False, ("eval/fid",), 1

    def check(self, history: History, run: RunInfo) -> dict | None:
        fids = history.values("eval/fid")
        if len(fids) < WINDOW + 1:
            return None
        window, before = fids[-WINDOW:], fids[:-WINDOW]
        steps = [b - a for a, b in zip(window, window[1:])]
        turns = sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0)
        swing = (max(window) - min(window)) / max(min(window), 1e-9)
        if turns >= TURNS and swing > SWING and min(window) >= min(before):
            return {"fid_turns": turns, "fid_swing": swing, "fid": window[-1]}
        return None
