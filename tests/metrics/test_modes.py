"""toy2d and Stacked-MNIST mode counting on constructed samples."""

import itertools

import numpy as np
import pytest
import torch

from ganforge.metrics import stacked_mnist_modes, toy2d_modes
from ganforge.metrics.modes import reverse_kl_to_uniform

GRID = np.array(list(itertools.product([-4, -2, 0, 2, 4], repeat=2)), dtype=np.float64)  # (25, 2)
STD = 0.05


def test_points_on_every_centre():
    out = toy2d_modes(np.repeat(GRID, 4, axis=0), GRID, STD)
    assert out == {"modes_hit": 25.0, "modes_total": 25.0, "high_quality_rate": 1.0, "reverse_kl": 0.0}


def test_all_points_on_one_mode():
    points = torch.full((100, 2), 2.0) + 0.01  # 0.0141 from (2, 2): within 3 std = 0.15
    out = toy2d_modes(points, GRID, STD)
    assert out == {"modes_hit": 1.0, "modes_total": 25.0, "high_quality_rate": 1.0, "reverse_kl": pytest.approx(np.log(25))}


def test_points_far_from_every_centre():
    points = np.full((50, 2), 1.0)  # midway between centres, 1.41 away
    # No high-quality sample: the histogram is empty and reverse KL is scored as total collapse, log 25.
    out = toy2d_modes(points, GRID, STD)
    assert out == {"modes_hit": 0.0, "modes_total": 25.0, "high_quality_rate": 0.0, "reverse_kl": pytest.approx(np.log(25))}


def test_three_std_boundary_and_mixed_sample():
    # Offsets along x from centre (0, 0): 2.9 std (hq), 3.1 std (not hq).
    points = np.array([[2.9 * STD, 0.0], [3.1 * STD, 0.0], [4.0, 4.0], [1.0, 1.0]])
    out = toy2d_modes(points, GRID, STD)
    # hq: first and third -> 2/4; modes hit: (0, 0) and (4, 4); hq histogram (1/2, 1/2) -> rKL = log(25 / 2)
    assert out == {"modes_hit": 2.0, "modes_total": 25.0, "high_quality_rate": 0.5,
                   "reverse_kl": pytest.approx(np.log(12.5))}


def test_min_count():
    points = np.concatenate([GRID, GRID[:3]])  # 1 hq sample on 22 modes, 2 on 3 modes
    assert toy2d_modes(points, GRID, STD)["modes_hit"] == 25.0  # PacGAN/VEEGAN rule: >= 1
    assert toy2d_modes(points, GRID, STD, min_count=2)["modes_hit"] == 3.0


def test_ring8():
    angles = np.arange(8) * 2 * np.pi / 8
    centres = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    out = toy2d_modes(centres[[0, 0, 0, 4]] + 0.01, centres, 0.02)
    # hq histogram q = (3/4, 1/4) on 2 of 8 modes: rKL = 3/4 log(3/4 * 8) + 1/4 log(1/4 * 8) = 0.75 ln 6 + 0.25 ln 2
    assert out == {"modes_hit": 2.0, "modes_total": 8.0, "high_quality_rate": 1.0,
                   "reverse_kl": pytest.approx(1.517106, abs=1e-6)}


def test_reverse_kl_counts_only_high_quality_samples():
    # PacGAN's histogram holds only samples within 3 std: adding off-mode points to an even
    # cover lowers the high-quality rate but leaves the reverse KL at 0.
    points = np.concatenate([np.repeat(GRID, 2, axis=0), np.full((50, 2), 1.0)])  # 50 hq + 50 far
    out = toy2d_modes(points, GRID, STD)
    assert out["high_quality_rate"] == 0.5 and out["reverse_kl"] == pytest.approx(0.0, abs=1e-12)


def test_reverse_kl_to_uniform_hand_worked():
    assert reverse_kl_to_uniform([1, 1, 1, 1]) == pytest.approx(0.0, abs=1e-12)
    assert reverse_kl_to_uniform([2, 2, 0, 0]) == pytest.approx(np.log(2))  # 2 of 4 modes, evenly
    assert reverse_kl_to_uniform([0, 0, 0, 0]) == pytest.approx(np.log(4))  # empty: scored as collapse
    assert reverse_kl_to_uniform([3, 1]) == pytest.approx(0.75 * np.log(1.5) + 0.25 * np.log(0.5))


def test_stacked_mnist_all_modes_once():
    digits = np.array(list(itertools.product(range(10), repeat=3)))  # (1000, 3), every mode once
    out = stacked_mnist_modes(digits)
    assert out["modes_hit"] == 1000.0 and out["modes_total"] == 1000.0
    assert out["kl"] == pytest.approx(0.0, abs=1e-12)


def test_stacked_mnist_collapse():
    digits = np.tile([[3, 1, 4]], (500, 1))  # one mode: KL(one-hot || uniform) = log 1000
    out = stacked_mnist_modes(torch.from_numpy(digits))
    assert out["modes_hit"] == 1.0 and out["kl"] == pytest.approx(np.log(1000))


def test_stacked_mnist_half_the_modes_from_scores():
    # Modes 0..499 once each: q = 1/500 on half the modes -> KL = log(1000/500) = log 2.
    ids = np.arange(500)
    digits = np.stack([ids // 100, ids // 10 % 10, ids % 10], axis=1)
    scores = np.eye(10)[digits] * 3.0  # (500, 3, 10) per-channel scores
    out = stacked_mnist_modes(scores)
    assert out["modes_hit"] == 500.0 and out["kl"] == pytest.approx(np.log(2))
