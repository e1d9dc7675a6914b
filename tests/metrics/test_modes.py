"""toy2d and Stacked-MNIST mode counting on constructed samples."""

import itertools

import numpy as np
import pytest
import torch

from ganforge.metrics import stacked_mnist_modes, toy2d_modes

GRID = np.array(list(itertools.product([-4, -2, 0, 2, 4], repeat=2)), dtype=np.float64)  # (25, 2)
STD = 0.05


def test_points_on_every_centre():
    out = toy2d_modes(np.repeat(GRID, 4, axis=0), GRID, STD)
    assert out == {"modes_hit": 25.0, "modes_total": 25.0, "high_quality_rate": 1.0}


def test_all_points_on_one_mode():
    points = torch.full((100, 2), 2.0) + 0.01  # 0.0141 from (2, 2): within 3 std = 0.15
    assert toy2d_modes(points, GRID, STD) == {"modes_hit": 1.0, "modes_total": 25.0, "high_quality_rate": 1.0}


def test_points_far_from_every_centre():
    points = np.full((50, 2), 1.0)  # midway between centres, 1.41 away
    assert toy2d_modes(points, GRID, STD) == {"modes_hit": 0.0, "modes_total": 25.0, "high_quality_rate": 0.0}


def test_three_std_boundary_and_mixed_sample():
    # Offsets along x from centre (0, 0): 2.9 std (hq), 3.1 std (not hq).
    points = np.array([[2.9 * STD, 0.0], [3.1 * STD, 0.0], [4.0, 4.0], [1.0, 1.0]])
    out = toy2d_modes(points, GRID, STD)
    # hq: first and third -> 2/4; modes hit: (0, 0) and (4, 4)
    assert out == {"modes_hit": 2.0, "modes_total": 25.0, "high_quality_rate": 0.5}


def test_min_count():
    points = np.concatenate([GRID, GRID[:3]])  # 1 hq sample on 22 modes, 2 on 3 modes
    assert toy2d_modes(points, GRID, STD)["modes_hit"] == 25.0  # PacGAN/VEEGAN rule: >= 1
    assert toy2d_modes(points, GRID, STD, min_count=2)["modes_hit"] == 3.0


def test_ring8():
    angles = np.arange(8) * 2 * np.pi / 8
    centres = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    out = toy2d_modes(centres[[0, 0, 4]] + 0.01, centres, 0.02)
    assert out == {"modes_hit": 2.0, "modes_total": 8.0, "high_quality_rate": 1.0}


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
