"""Precision/recall and density/coverage on hand-worked 1-D examples and a brute-force check."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from ganforge.errors import GanforgeError
from ganforge.metrics import density_coverage, prdc, precision_recall


def col(values):
    """1-D points as an (N, 1) feature matrix."""
    return np.asarray(values, dtype=np.float64)[:, None]


def test_precision_recall_k1_by_hand():
    real, fake = col([0, 1, 3, 7]), col([0.5, 2.5, 12, 13])
    # Real radii (distance to nearest other real): 0->1: 1, 1->0: 1, 3->1: 2, 7->3: 4
    #   real balls [-1,1] [0,2] [1,5] [3,11], union [-1, 11].
    # Fake radii: 0.5->2.5: 2, 2.5->0.5: 2, 12->13: 1, 13->12: 1
    #   fake balls [-1.5,2.5] [0.5,4.5] [11,13] [12,14].
    # precision: fakes in [-1,11]: 0.5 yes, 2.5 yes, 12 no, 13 no -> 2/4
    # recall: reals in a fake ball: 0 yes, 1 yes, 3 yes ([0.5,4.5]), 7 no -> 3/4
    assert precision_recall(real, fake, k=1) == {"precision": 0.5, "recall": 0.75}


def test_precision_recall_default_k3_by_hand():
    real, fake = col([0, 1, 2, 3, 10]), col([5, 6, 7, 30])
    # Real 3rd-NN distances: 0: {1,2,3,10} -> 3;  1: {1,1,2,9} -> 2;  2: {2,1,1,8} -> 2;
    #   3: {3,2,1,7} -> 3;  10: {10,9,8,7} -> 9.  Balls [-3,3] [-1,3] [0,4] [0,6] [1,19].
    # Fake 3rd-NN distances: 5: {1,2,25} -> 25;  6: {1,1,24} -> 24;  7: {2,1,23} -> 23;
    #   30: {25,24,23} -> 25.  Balls [-20,30] [-18,30] [-16,30] [5,55].
    # precision: 5, 6, 7 lie in [1,19]; 30 in no real ball -> 3/4
    # recall: every real lies in [-20,30] -> 1 (the outlier fake inflates the fake balls:
    #   the weakness density/coverage were designed to avoid)
    assert precision_recall(real, fake) == {"precision": 0.75, "recall": 1.0}


def test_balls_are_closed():
    # Real radii 2 and 2; fake 4 is exactly 2 from real 2, on the ball's surface.
    # Closed balls (the papers' definition) count it: precision 1/2. (Strict '<' would give 0.)
    # Fake radii: 4->9: 5, 9->4: 5; both reals lie in [-1, 9] -> recall 1.
    assert precision_recall(col([0, 2]), col([4, 9]), k=1) == {"precision": 0.5, "recall": 1.0}


def test_density_coverage_default_k5_by_hand():
    real = col([0, 1, 2, 3, 4, 5])
    # Real 5th-NN distances: 0: {1,2,3,4,5} -> 5;  1: {1,1,2,3,4} -> 4;  2: {2,1,1,2,3} -> 3;
    #   3: {3,2,1,1,2} -> 3;  4: {4,3,2,1,1} -> 4;  5: {5,4,3,2,1} -> 5.
    #   Balls [-5,5] [-3,5] [-1,5] [0,6] [0,8] [0,10].
    # fake 0.5 lies in all 6 balls, 7 in [0,8] and [0,10] (2), 9.5 in [0,10] (1), 20 in none:
    #   density = (6 + 2 + 1 + 0) / (k=5 * M=4) = 9/20 = 0.45
    # coverage: nearest fake of each real: 0.5, 0.5, 1.5, 2.5, 3, 2 are all within the radii -> 1
    out = density_coverage(real, col([0.5, 7, 9.5, 20]))
    assert out == pytest.approx({"density": 0.45, "coverage": 1.0}, abs=1e-12)
    # Without the fake at 0.5: density = (2 + 1) / 20 = 0.15; nearest-fake distances
    #   7 > 5, 6 > 4, 5 > 3, 4 > 3, 3 <= 4, 2 <= 5 -> reals 4 and 5 covered: 2/6
    out = density_coverage(real, col([7, 9.5, 20, 30]))
    assert out == pytest.approx({"density": 0.15, "coverage": 1 / 3}, abs=1e-12)


def test_density_coverage_k1_by_hand():
    real, fake = col([0, 1, 3, 7]), col([0.5, 2.5, 12, 13])
    # Real balls as in the k=1 precision test: [-1,1] [0,2] [1,5] [3,11].
    # density: 0.5 in 2 balls, 2.5 in 1 ([1,5]), 12 and 13 in none -> 3 / (1 * 4) = 0.75
    # coverage: nearest fakes 0.5 <= 1, 0.5 <= 1, 0.5 <= 2, 4.5 > 4 -> 3/4
    assert density_coverage(real, fake, k=1) == pytest.approx({"density": 0.75, "coverage": 0.75})


def test_identical_sets():
    x = np.random.default_rng(0).normal(size=(200, 5))
    out = prdc(x, x)
    assert out["precision"] == 1.0 and out["recall"] == 1.0 and out["coverage"] == 1.0


def brute_force(real, fake, k_pr, k_dc):
    """Independent reference: full scipy distance matrices, sorted rows."""
    d_rr, d_ff, d_rf = cdist(real, real), cdist(fake, fake), cdist(real, fake)
    r_pr = np.sort(d_rr, axis=1)[:, k_pr]  # column 0 is the sample itself
    f_pr = np.sort(d_ff, axis=1)[:, k_pr]
    r_dc = np.sort(d_rr, axis=1)[:, k_dc]
    return {
        "precision": (d_rf <= r_pr[:, None]).any(axis=0).mean(),
        "recall": (d_rf <= f_pr[None, :]).any(axis=1).mean(),
        "density": (d_rf <= r_dc[:, None]).sum() / (k_dc * fake.shape[0]),
        "coverage": (d_rf.min(axis=1) <= r_dc).mean(),
    }


def test_matches_brute_force():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 8))
    fake = rng.normal(size=(250, 8)) * 1.2 + 0.3
    expected = brute_force(real, fake, 3, 5)
    full = prdc(real, fake)
    assert full == pytest.approx(expected, abs=1e-12)
    assert {**precision_recall(real, fake), **density_coverage(real, fake)} == full
    # float32 tensors in: converted to float64, same numbers up to (rare) near-ties.
    as_tensors = prdc(torch.from_numpy(real).float(), torch.from_numpy(fake).float())
    assert as_tensors == pytest.approx(expected, abs=0.01)


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(40, 4)), rng.normal(size=(30, 4)) + 0.2
    full = prdc(real, fake)
    assert prdc(real, fake, chunk_elems=7) == full  # one row per chunk
    assert prdc(real, fake, chunk_elems=100) == full  # a few rows per chunk, ragged last chunk


def test_too_few_samples_for_k():
    with pytest.raises(GanforgeError, match="lower k"):
        precision_recall(col([0, 1, 2]), col([0, 1, 2, 3]), k=3)
    with pytest.raises(GanforgeError, match="positive integer"):
        density_coverage(col([0, 1, 2]), col([0, 1]), k=0)
