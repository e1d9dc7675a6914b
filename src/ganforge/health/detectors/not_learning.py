"""The generator is not learning: its gradients have vanished.

With logged gradient norms: G's norm has fallen below ``VANISH`` of the
largest it reached (after ``WARMUP_ROWS`` rows).  Without them (runs logged
before grad norms), the minimax loss shows it directly: G's loss
log(1 - D(G(z))) near 0 means D(G(z)) ~ 0, where that loss's gradient
vanishes (Goodfellow et al. 2014, section 3).
"""

from __future__ import annotations

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

VANISH = 0.01
WARMUP_ROWS = 4
MINIMAX_FLAT_LOSS = -0.01  # log(1 - D(G(z))) above this: D(G(z)) < 0.01


@DETECTORS.register("g_not_learning")
class NotLearning(Detector):
    name, serious, keys, patience = "g_not_learning", True, ("g/loss",), 4

    def check(self, history: History, run: RunInfo) -> dict | None:
        if history.has("g/grad_norm"):
            norms = history.values("g/grad_norm")
            peak = history.peak.get("g/grad_norm", 0.0)
            if len(norms) > WARMUP_ROWS and peak > 0 and norms[-1] < VANISH * peak:
                return {"g_grad_norm": norms[-1], "peak_g_grad_norm": peak}
            return None
        loss = history.last("g/loss")
        if run.loss == "minimax" and loss is not None and loss > MINIMAX_FLAT_LOSS:
            return {"g_loss": loss}
        return None
