"""Discriminator overpowering: D tells every real from every fake, so G's gradient carries little.

Evidence, in order of preference:

- D's accuracy on real and on fake both >= ``ACC`` (``d/acc_real``,
  ``d/acc_fake`` from :func:`~ganforge.health.signals.d_signals`; the DCGAN
  tutorial's healthy D(x), D(G(z)) sit near 0.5);
- runs logged without accuracies: D's mean outputs on real and fake both
  beyond the score that means ``ACC`` (logit +-3 = sigmoid 0.95; LSGAN's 0-1
  targets: 0.9 / 0.1).

Held for ``patience`` log rows, so a D that wins briefly is not flagged.  A
WGAN critic's scores have no real/fake threshold and a strong critic is what
WGAN wants, so wasserstein runs are never flagged here.
"""

from __future__ import annotations

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

ACC = 0.95
SCORE_MARGIN = {"lsgan": (0.5, 0.4)}  # loss -> (decision threshold, margin meaning ~ACC)
DEFAULT_MARGIN = (0.0, 3.0)  # logits: sigmoid(3) = 0.953


@DETECTORS.register("d_overpowering")
class Overpowering(Detector):
    name, serious, keys, patience = "d_overpowering", True, ("d/loss",), 4

    def check(self, history: History, run: RunInfo) -> dict | None:
        if run.wasserstein:
            return None
        if history.has("d/acc_real", "d/acc_fake"):
            real, fake = history.last("d/acc_real"), history.last("d/acc_fake")
            if real is None or fake is None or min(real, fake) < ACC:
                return None
            evidence = {"acc_real": real, "acc_fake": fake}
        else:
            evidence = _from_scores(history, run)
            if evidence is None:
                return None
        for key in ("d/sign_real", "g/loss", "d/loss"):
            if history.last(key) is not None:
                evidence[key.split("/")[1]] = history.last(key)
        return evidence


def _from_scores(history: History, run: RunInfo) -> dict | None:
    """Overpowering from D's mean outputs (d/logit_* or the older d/real_score, d/fake_score)."""
    real = history.last("d/logit_real") if history.has("d/logit_real") else history.last("d/real_score")
    fake = history.last("d/logit_fake") if history.has("d/logit_fake") else history.last("d/fake_score")
    if real is None or fake is None:
        return None
    centre, margin = SCORE_MARGIN.get(run.loss, DEFAULT_MARGIN)
    if real - centre >= margin and centre - fake >= margin:
        return {"real_score": real, "fake_score": fake}
    return None
