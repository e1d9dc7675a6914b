"""Mode collapse from the sample signals of the fixed-latent grids.

- total (``mode_collapse``): the samples' mean pairwise distance in the
  domain feature space falls below ``TOTAL_DIVERSITY`` of the real data's
  (the grid shows one sample over and over; stylegan3 #140 "total collapse").
- partial (``partial_collapse``): toy2d has lost at least half of the modes it
  once reached, or the class histogram of the samples sits far from uniform
  (KL >= ``CLASS_KL_FRACTION`` of the one-class value log K), or diversity is
  below ``PARTIAL_DIVERSITY``.  A total collapse is also a partial one; the
  monitor reports only the total one while it lasts.

Thresholds: see BENCHMARKS.md, *Training health* — after their first 3
grids, healthy runs measured stay at diversity >= 0.54 and class KL <= 0.54
log K (a minimax ring8 run still spreading over half the ring); collapsed
toy2d runs sit at diversity 0.05-0.3 and the collapsed MLP GAN on MNIST at
KL = log 10 (one digit).
"""

from __future__ import annotations

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

TOTAL_DIVERSITY = 0.3
PARTIAL_DIVERSITY = 0.5
CLASS_KL_FRACTION = 0.6  # KL >= 0.6 log K: the samples fill at most K^0.4 classes' worth (ring8 2.3, grid25 3.6, 10 classes 2.5)
MODES_LOST = 0.5  # fraction of the best mode count below which modes count as lost
MIN_MODES_REACHED = 4  # "lost half the modes" only means something once a few were found
WARMUP_GRIDS = 3  # an untrained G is not collapsed: skip the first grids


def _grids(history: History) -> int:
    return len(history.values("health/diversity"))


@DETECTORS.register("mode_collapse")
class TotalCollapse(Detector):
    name, serious, keys, patience = "mode_collapse", True, ("health/diversity",), 2
    implies = ("partial_collapse",)

    def check(self, history: History, run: RunInfo) -> dict | None:
        diversity = history.last("health/diversity")
        if _grids(history) <= WARMUP_GRIDS or diversity is None or diversity >= TOTAL_DIVERSITY:
            return None
        return {"diversity": diversity}


@DETECTORS.register("partial_collapse")
class PartialCollapse(Detector):
    name, serious, keys, patience = "partial_collapse", True, ("health/diversity",), 3

    def check(self, history: History, run: RunInfo) -> dict | None:
        diversity = history.last("health/diversity")
        if _grids(history) <= WARMUP_GRIDS or diversity is None:
            return None
        evidence = {}
        modes, best = history.last("health/modes"), history.peak.get("health/modes", 0.0)
        if modes is not None and best >= MIN_MODES_REACHED and modes <= MODES_LOST * best:
            evidence.update(modes=modes, best_modes=best)
        kl, kl_max = history.last("health/class_kl"), history.last("health/class_kl_max")
        if kl is not None and kl_max and kl >= CLASS_KL_FRACTION * kl_max:
            evidence.update(class_kl=kl, one_class_kl=kl_max)
        if diversity < PARTIAL_DIVERSITY:
            evidence.update(diversity=diversity)
        return evidence or None
