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

A check at which the samples' diversity **rises** (more than ``RISE`` x
its best earlier value) can refute a collapse but not confirm one: when its
evidence holds it abstains (:data:`~ganforge.health.detectors.ABSTAIN`),
neither counting toward the alarm nor clearing the checks that held before
it.  An untrained G is as collapsed as a constant one (diversity 0.004-0.04
of the data's at step 0 on every benchmark preset, one class on MNIST), so a
low value alone cannot tell a G that is still learning to spread from a
collapsed one, and no number of first checks can safely be ignored (a G that
spreads and then collapses does it in 100 steps on toy2d).  The trend can: a
learning G's diversity grows by far more than ``RISE`` per check until it is
near the data's, and once spread it shows its coverage (modes, classes),
which refutes the collapse; a collapsed G's stays flat or falls.  A
constant G holds at its first check.  Abstaining rather than failing
matters for the minimax GANs on toy2d, whose one-class blob grows and
shrinks as it wanders (ring8 seed 1: diversity 0.27, 0.35, 0.20 at steps
100-300, every sample in one ring sector): a failing check at each growth
spurt reset the streak and delayed the diagnosis to step 700.

Each condition counts only while its own signal has stalled too
(:func:`stalled`): no new mode, class KL not clearly below its best.  Modes
lost count only where the samples are concentrated (class KL >=
``MODES_KL_FRACTION`` log K): a G that draws the whole ring slightly off the
modes (SNGAN at 300-500 steps: 2-3 of 8 modes within 3 std, class KL 0.01
log K) has lost none.  The class KL counts only while the diversity is not
rising: MNIST blobs are read as one class until they become digits.

Thresholds: see BENCHMARKS.md, *Training health*.
"""

from __future__ import annotations

from ganforge.health.detectors import ABSTAIN, DETECTORS, Abstain, Detector
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

TOTAL_DIVERSITY = 0.3
PARTIAL_DIVERSITY = 0.5
CLASS_KL_FRACTION = 0.6  # KL >= 0.6 log K: the samples fill at most K^0.4 classes' worth (ring8 2.3, grid25 3.6, 10 classes 2.5)
MODES_COVERED = 0.5  # toy2d: at most this fraction of the modes covered
MODES_KL_FRACTION = 0.25  # ... counts while class KL >= 0.25 log K (<= K^0.75 classes' worth: 4 of 8 = 0.33 log K)
RISE = 1.25  # "improving": above 1.25x the best earlier value (diversity, modes) ...
MIN_RISE = 0.02  # ... and by at least this much (a constant G's 0 -> 0.001 is not progress); modes: one more
DIVERSITY = "health/diversity"
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


def rising(history: History) -> bool:
    """Whether the samples' diversity is clearly above its best earlier check (G is spreading out)."""
    return not stalled(history, DIVERSITY)


def _verdict(evidence: dict, history: History) -> dict | None | Abstain:
    """A rising check can refute a collapse but not confirm one: evidence found while it rises abstains."""
    if not evidence:
        return None
    return ABSTAIN if rising(history) else evidence


@DETECTORS.register("mode_collapse")
class TotalCollapse(Detector):
    name, serious, keys, patience = "mode_collapse", True, (DIVERSITY,), 2
    implies = ("partial_collapse",)

    def check(self, history: History, run: RunInfo) -> dict | None | Abstain:
        diversity = history.last(DIVERSITY)
        if diversity is None or diversity >= TOTAL_DIVERSITY:
            return None
        return _verdict({"diversity": diversity, "best_diversity": max(history.values(DIVERSITY))}, history)


@DETECTORS.register("partial_collapse")
class PartialCollapse(Detector):
    name, serious, keys, patience = "partial_collapse", True, (DIVERSITY,), 3

    def check(self, history: History, run: RunInfo) -> dict | None | Abstain:
        diversity = history.last(DIVERSITY)
        if diversity is None:
            return None
        kl, kl_max = history.last("health/class_kl"), history.last("health/class_kl_max")
        evidence = _modes_lost(history, diversity, kl, kl_max)
        # Early images are blobs the classifier reads as one class: a KL counts only once G stops spreading.
        if (kl is not None and kl_max and kl >= CLASS_KL_FRACTION * kl_max and not rising(history)
                and stalled(history, "health/class_kl", lower_is_better=True, scale=kl_max)):
            evidence.update(class_kl=kl, one_class_kl=kl_max)
        if diversity < PARTIAL_DIVERSITY:
            evidence.update(diversity=diversity)
        return _verdict(evidence, history)


def _modes_lost(history: History, diversity: float, kl: float | None, kl_max: float | None) -> dict:
    """toy2d: {modes, modes_total} when at most half the modes are covered, none is new, and the samples are
    concentrated (class KL >= MODES_KL_FRACTION log K); else {}."""
    modes, total = history.last("health/modes"), history.last("health/modes_total")
    if modes is None or not total or modes > MODES_COVERED * total:
        return {}
    # 0 modes counts once G is spread out (a cloud that misses every mode), not while it is still a blob.
    on_data = bool(modes) or diversity >= PARTIAL_DIVERSITY
    concentrated = kl is None or not kl_max or kl >= MODES_KL_FRACTION * kl_max
    if on_data and concentrated and stalled(history, "health/modes", rise=1.0, min_rise=0.5):
        return {"modes": modes, "modes_total": total}
    return {}
