"""Discriminator overpowering: D tells every real from every fake, so G's gradient carries little.

Evidence, in order of preference:

- D's accuracy on real and on fake both >= ``ACC`` (``d/acc_real``,
  ``d/acc_fake`` from :func:`~ganforge.health.signals.d_signals`; the DCGAN
  tutorial's healthy D(x), D(G(z)) sit near 0.5) *and* D's mean outputs on
  real and fake at least ``min_gap`` apart (logits: 10, i.e. sigmoid 0.993 vs
  0.007 on average).  The gap is what separates an overpowering D from a
  healthy DCGAN's early confident D: on MNIST the healthy preset's D is right
  on >= 95% of both for ~150 steps with a gap of at most 7.6, while a D with 10x
  G's learning rate or 5 steps per G step sits at a gap of 10-18
  (BENCHMARKS.md, *Training health*);
- runs logged without accuracies: the mean outputs alone, each beyond the
  ``margin`` (logit +-3 = sigmoid 0.95) and ``min_gap`` apart.

Held for ``patience`` log rows, so a D that wins briefly is not flagged.  A
WGAN critic's scores have no real/fake threshold and a strong critic is what
WGAN wants, so wasserstein runs are never flagged here.
"""

from __future__ import annotations

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

ACC = 0.95
# loss -> (decision threshold, margin of each side, minimum real - fake gap of D's mean outputs)
SCORE_RULE = {"lsgan": (0.5, 0.4, 0.9), "hinge": (0.0, 1.0, 2.0)}
DEFAULT_RULE = (0.0, 3.0, 10.0)  # logits: sigmoid(3) = 0.953; gap 10 = sigmoid(+-5)


@DETECTORS.register("d_overpowering")
class Overpowering(Detector):
    name, serious, keys, patience = "d_overpowering", True, ("d/loss",), 4

    def check(self, history: History, run: RunInfo) -> dict | None:
        if run.wasserstein:
            return None
        if history.has("d/acc_real", "d/acc_fake"):
            real, fake = history.last("d/acc_real"), history.last("d/acc_fake")
            gap = _gap(history)
            min_gap = SCORE_RULE.get(run.loss, DEFAULT_RULE)[2]
            if real is None or fake is None or min(real, fake) < ACC or (gap is not None and gap < min_gap):
                return None
            evidence = {"acc_real": real, "acc_fake": fake, **({"logit_gap": gap} if gap is not None else {})}
        else:
            evidence = _from_scores(history, run)
            if evidence is None:
                return None
        for key in ("d/sign_real", "g/loss", "d/loss"):
            if history.last(key) is not None:
                evidence[key.split("/")[1]] = history.last(key)
        return evidence


def _scores(history: History) -> tuple[float | None, float | None]:
    """D's mean outputs on real and fake (d/logit_* or the older d/real_score, d/fake_score)."""
    real = history.last("d/logit_real") if history.has("d/logit_real") else history.last("d/real_score")
    fake = history.last("d/logit_fake") if history.has("d/logit_fake") else history.last("d/fake_score")
    return real, fake


def _gap(history: History) -> float | None:
    real, fake = _scores(history)
    return None if real is None or fake is None else real - fake


def _from_scores(history: History, run: RunInfo) -> dict | None:
    """Overpowering from D's mean outputs alone (runs logged without accuracies)."""
    real, fake = _scores(history)
    if real is None or fake is None:
        return None
    centre, margin, min_gap = SCORE_RULE.get(run.loss, DEFAULT_RULE)
    if real - centre >= margin and centre - fake >= margin and real - fake >= min_gap:
        return {"real_score": real, "fake_score": fake}
    return None
