"""Divergence: non-finite losses, gradients or samples, or losses / gradients that have exploded.

The trainer skips a non-finite step and counts it in ``nonfinite_steps``
(and writes a non-finite interval mean as the string "nan" / "inf"); a
diverged generator gives non-finite samples.  Finite explosions count too:
gradient norms above ``MAX_GRAD_NORM`` (ganhacks: "norms over 100 mean
trouble"; the runs labelled healthy in BENCHMARKS.md peak at 201, a diverged
one reaches 1e13 in 25 steps) or D's mean
logits beyond ``MAX_LOGIT`` (a sigmoid saturated at float32 precision), or
samples spread over ``MAX_SPREAD`` times the data (``health/diversity``).
"""

from __future__ import annotations

import math

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

LOSSES = ("d/loss", "g/loss", "d/grad_norm", "g/grad_norm")
MAX_GRAD_NORM = 1e3
MAX_LOGIT = 1e3
MAX_SPREAD = 4.0  # samples 4x more spread than the data: G has left it (healthy runs measured <= 1.31)


@DETECTORS.register("divergence")
class Divergence(Detector):
    name, serious, keys, patience = "divergence", True, ("d/loss", "g/loss", "health/nonfinite_samples",
                                                         "health/diversity"), 1
    # Every other judgement is made on the numbers of a diverged run (blown-up samples, saturated D): while it
    # lasts, divergence is the one diagnosis (grid25 at lr 2.0 also showed a "collapse" of its wrecked samples).
    implies = ("mode_collapse", "partial_collapse", "d_overpowering", "g_not_learning", "oscillation")

    def check(self, history: History, run: RunInfo) -> dict | None:
        step = history.step
        evidence = {}
        for key in LOSSES + ("d/logit_real", "d/logit_fake", "d/real_score", "d/fake_score"):
            value = _current(history, key, step)
            if value is not None and not math.isfinite(value):
                evidence[key] = value
        if (_current(history, "nonfinite_steps", step) or 0) > 0:
            evidence["nonfinite_steps"] = _current(history, "nonfinite_steps", step)
        if _current(history, "health/nonfinite_samples", step):
            evidence["nonfinite_samples"] = 1.0
        spread = _current(history, "health/diversity", step)
        if spread is not None and spread > MAX_SPREAD:
            evidence["diversity"] = spread
        for key in ("d/grad_norm", "g/grad_norm"):
            value = _current(history, key, step)
            if value is not None and math.isfinite(value) and value > MAX_GRAD_NORM:
                evidence[key] = value
        if not run.wasserstein:  # a WGAN critic's scores are unbounded by design
            for key in ("d/logit_real", "d/logit_fake"):
                value = _current(history, key, step)
                if value is not None and math.isfinite(value) and abs(value) > MAX_LOGIT:
                    evidence[key] = value
        return evidence or None


def _current(history: History, key: str, step: int) -> float | None:
    """The value of ``key`` logged at ``step`` (None when this row did not carry it)."""
    values = history.series.get(key)
    return values[-1][1] if values and values[-1][0] == step else None
