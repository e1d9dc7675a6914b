"""Mode collapse from the sample signals of the fixed latents (logged every ``train.health_every`` steps).

- total (``mode_collapse``): the samples' mean pairwise distance in the
  domain feature space is below ``TOTAL_DIVERSITY`` of the real data's
  (the grid shows one sample over and over; stylegan3 #140 "total collapse");
- partial (``partial_collapse``): toy2d covers at most half of its modes
  (0 modes counts only for samples spread at least ``PARTIAL_DIVERSITY``:
  a blob that has not reached the data yet is the total rule's business),
  or the class histogram of the samples sits far from uniform (KL >=
  ``CLASS_KL_FRACTION`` of the one-class value log K), or diversity is below
  ``PARTIAL_DIVERSITY``.  A total collapse is also a partial one; the
  monitor reports only the total one while it lasts.

Each condition counts only while its signal has **stalled**: it is no clear
improvement on every earlier check (:func:`stalled`).  An untrained G is as
collapsed as a constant one (diversity 0.004-0.04 of the data's at step 0
on every benchmark preset, one class on MNIST), so a low value alone cannot
tell a G that is still learning to spread from a collapsed one, and no
number of first checks can safely be ignored (a G that spreads and then
collapses does it in 100 steps on toy2d).  The trend can: a learning G's
diversity grows by far more than ``RISE`` per check until it is near the
data's; a collapsed G's stays flat or falls.  A constant G holds at its
first check.

Thresholds: see BENCHMARKS.md, *Training health*.
"""

from __future__ import annotations

from ganforge.health.detectors import DETECTORS, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

TOTAL_DIVERSITY = 0.3
PARTIAL_DIVERSITY = 0.5
CLASS_KL_FRACTION = 0.6  # KL >= 0.6 log K: the samples fill at most K^0.4 classes' worth (ring8 2.3, grid25 3.6, 10 classes 2.5)
MODES_COVERED = 0.5  # toy2d: at most this fraction of the modes covered
RISE = 1.25  # "improving": above 1.25x the best earlier value (diversity, modes) ...
MIN_RISE = 0.02  # ... and by at least this much (a constant G's 0 -> 0.001 is not progress); modes: one more
KL_DROP = 0.1  # class KL: improving when below the best earlier value by 10% of log K (64 samples: noise ~0.08 nats)


def stalled(history: History, key: str, lower_is_better: bool = False, scale: float = 1.0, rise: float = RISE,
            min_rise: float = MIN_RISE) -> bool:
    """Whether the latest value of ``key`` is no clear improvement on every earlier one (True at the first check).

    Higher is better unless ``lower_is_better``: improving means above
    ``rise`` x the best earlier value and by at least ``min_rise``; for class
    KL (lower is better) at least ``KL_DROP * scale`` below the best earlier value.
    """
    values = history.values(key)
    if len(values) < 2:
        return True
    current, earlier = values[-1], values[:-1]
    if lower_is_better:
        return current > min(earlier) - KL_DROP * scale
    best = max(earlier)
    return current <= max(rise * best, best + min_rise)


@DETECTORS.register("mode_collapse")
class TotalCollapse(Detector):
    name, serious, keys, patience = "mode_collapse", True, ("health/diversity",), 2
    implies = ("partial_collapse",)

    def check(self, history: History, run: RunInfo) -> dict | None:
        diversity = history.last("health/diversity")
        if diversity is None or diversity >= TOTAL_DIVERSITY or not stalled(history, "health/diversity"):
            return None
        return {"diversity": diversity, "best_diversity": max(history.values("health/diversity"))}


@DETECTORS.register("partial_collapse")
class PartialCollapse(Detector):
    name, serious, keys, patience = "partial_collapse", True, ("health/diversity",), 3

    def check(self, history: History, run: RunInfo) -> dict | None:
        diversity = history.last("health/diversity")
        if diversity is None:
            return None
        evidence = {}
        spreading = not stalled(history, "health/diversity")
        modes, total = history.last("health/modes"), history.last("health/modes_total")
        # 0 modes counts once G is spread out (a cloud that misses every mode), not while it is still a blob.
        on_data = bool(modes) or diversity >= PARTIAL_DIVERSITY
        if (modes is not None and total and on_data and modes <= MODES_COVERED * total and not spreading
                and stalled(history, "health/modes", rise=1.0, min_rise=0.5)):
            evidence.update(modes=modes, modes_total=total)
        kl, kl_max = history.last("health/class_kl"), history.last("health/class_kl_max")
        # Early images are blobs the classifier reads as one class: a KL counts only once G stops spreading.
        if (kl is not None and kl_max and kl >= CLASS_KL_FRACTION * kl_max and not spreading
                and stalled(history, "health/class_kl", lower_is_better=True, scale=kl_max)):
            evidence.update(class_kl=kl, one_class_kl=kl_max)
        if diversity < PARTIAL_DIVERSITY and not spreading:
            evidence.update(diversity=diversity)
        return evidence or None
