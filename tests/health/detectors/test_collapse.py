"""The collapse rules on measured signal sequences: a rising check abstains, modes lost need concentrated samples."""

import math

from ganforge.health import HealthMonitor
from ganforge.health.detectors import ABSTAIN, DETECTORS
from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo

RING8 = {"recipe": {"name": "gan", "loss": "minimax"}, "data": {"source": "toy2d", "variant": "ring8"}}
LOG8, LOG25 = math.log(8), math.log(25)


def check(step, diversity, kl_fraction, modes, total=8):
    k = LOG8 if total == 8 else LOG25
    return {"step": step, "health/diversity": diversity, "health/class_kl": kl_fraction * k, "health/class_kl_max": k,
            "health/modes": float(modes), "health/modes_total": float(total)}


def fired(rows):
    m = HealthMonitor(RING8)
    for row in rows:
        m.observe(row)
    return [(d.name, d.step) for d in m.timeline], m


def test_a_wandering_one_class_blob_is_named_within_500_steps():
    """ring8-minimax seed 1 as measured (benchmarks/health.py): every sample in one ring sector from step 100 while
    the blob grows and shrinks (diversity 0.27, 0.35, 0.20, 0.66, 0.57).  The growth spurts at 200 and 400 abstain;
    the old rule failed them, reset the streak and named the collapse at 700."""
    rows = [check(100, 0.271, 1.0, 1), check(200, 0.354, 1.0, 1), check(300, 0.203, 1.0, 0),
            check(400, 0.657, 0.85, 0), check(500, 0.570, 1.0, 0)]
    names, m = fired(rows)
    assert names == [("partial_collapse", 500)]
    assert m.timeline[0].evidence["class_kl"] == round(LOG8, 4)


def test_a_rising_check_abstains_only_when_its_evidence_holds():
    history, run = History(), RunInfo.from_config(RING8)
    partial = DETECTORS.get("partial_collapse")()
    history.add(check(100, 0.271, 1.0, 1))
    assert partial.check(history, run) is not None and partial.check(history, run) is not ABSTAIN
    history.add(check(200, 0.354, 1.0, 1))  # 1.31x its best: rising, still one class
    assert partial.check(history, run) is ABSTAIN
    history.add(check(300, 1.2, 0.02, 7))  # rising and covering the ring: refuted
    assert partial.check(history, run) is None


def test_a_rising_check_that_shows_coverage_clears_the_streak():
    """grid25 WGAN-GP seed 1 as measured: 7 of 25 modes at 100 and 300, but 14 modes and an even class histogram at
    200.  The check at 200 refutes the collapse, so 300 starts a new streak."""
    rows = [check(100, 0.68, 0.30, 7, 25), check(200, 1.17, 0.04, 14, 25), check(300, 0.62, 0.32, 7, 25)]
    names, m = fired(rows)
    assert names == [] and m.streak["partial_collapse"] == 1


def test_the_whole_ring_a_little_off_the_modes_is_not_partial_collapse():
    """SNGAN ring8 at 300-700 steps: 2-3 of 8 modes within 3 std but samples all round the ring (class KL 0.01 log K).
    The old rule counted the modes alone and named a partial collapse at the third check."""
    rows = [check(100 * i, d, 0.01, m) for i, (d, m) in enumerate(zip([1.0, 1.05, 1.1, 1.08, 1.1], [3, 2, 3, 2, 3]), 1)]
    assert fired(rows)[0] == []


def test_modes_lost_with_concentrated_samples_is_partial_collapse():
    rows = [check(100 * i, 0.9, 0.45, 2) for i in range(1, 5)]  # 2 of 8 modes, class KL 0.45 log K
    names, m = fired(rows)
    assert names == [("partial_collapse", 300)] and m.timeline[0].evidence["modes"] == 2
