"""The generator is not learning: its gradients have vanished.

With logged gradient norms: G's norm has fallen below ``VANISH`` of its
median over the recent history (after ``WARMUP_ROWS`` rows).  The median, not
the peak: a run whose norms spiked to 130 during a rough start and then
settled at 0.2-1 is learning (measured on toy2d with 100x learning rates).  With a
saturating (minimax) loss, whether or not norms were logged, the loss shows
it directly: G's loss log(1 - D(G(z))) near 0 means D(G(z)) ~ 0, where that
loss's gradient vanishes (Goodfellow et al. 2014, section 3); this also
catches a G starved from its first steps, whose norms were never large.
"""

from __future__ import annotations

import statistics

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
        evidence = {}
        loss = history.last("g/loss")
        if run.saturating and loss is not None and MINIMAX_FLAT_LOSS < loss <= 0.0:  # log(1 - D) <= 0 always
            evidence["g_loss"] = loss  # starved from the first steps on: no earlier norm to compare with
        norms = history.values("g/grad_norm")
        typical = statistics.median(norms) if norms else 0.0
        if len(norms) > WARMUP_ROWS and typical > 0 and norms[-1] < VANISH * typical:
            evidence.update(g_grad_norm=norms[-1], median_g_grad_norm=typical)
        return evidence or None
