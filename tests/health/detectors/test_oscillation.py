"""Oscillation: a collapsed G whose samples hop from mode to mode, told apart from a stable collapse."""

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.toy2d import load_toy2d
from ganforge.health import HealthMonitor
from ganforge.health.detectors.oscillation import hopping

RING8 = {"recipe": {"name": "gan", "loss": "minimax"}, "data": {"source": "toy2d", "variant": "ring8"}}


@pytest.fixture(scope="module")
def ring8():
    return load_toy2d(DataConfig(source="toy2d", variant="ring8", limit=2000))


def _blob_on(ring8, modes, seed=0):
    """One tight blob on each listed mode (index into the ring's centres), as (N, 2) samples split evenly."""
    centres = torch.tensor(ring8.info["centres"], dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    return torch.cat([centres[k] + 0.01 * torch.randn(64 // len(modes), 2, generator=g) for k in modes])


def _timeline(ring8, per_check):
    m = HealthMonitor(RING8, ring8)
    for i, modes in enumerate(per_check, 1):
        m.observe({"step": 100 * i, **m.sample_signals(100 * i, _blob_on(ring8, modes, seed=i))})
    return [(d.name, d.step, d.serious) for d in m.timeline]


def test_a_blob_hopping_round_the_ring_is_oscillation_and_collapse(ring8):
    """Metz et al. 2017, fig. 1: one mode at a time, a different one at each check."""
    timeline = _timeline(ring8, [[0], [3], [6], [1], [4], [7]])
    assert ("oscillation", 500, False) in timeline  # the 5th check completes the window: a warning
    assert ("mode_collapse", 200, True) in timeline


def test_a_stable_collapse_does_not_oscillate(ring8):
    timeline = _timeline(ring8, [[2]] * 6)
    assert [name for name, _, _ in timeline] == ["mode_collapse"]


def test_two_modes_taking_turns_on_top_is_not_hopping(ring8):
    """A stable 2-mode collapse: sampling noise moves the top class between the two, which is no hop."""
    assert hopping([0, 4, 0, 4, 0], [0.5, 0.5, 0.5, 0.5, 0.5]) is None
    assert hopping([0, 4, 2, 4, 0], [0.5, 0.5, 0.5, 0.5, 0.5]) == {"hops": 4, "classes_visited": 3,
                                                                   "top_share": 0.5, "top_class": 0}


def test_a_g_that_covers_the_data_is_not_hopping(ring8):
    """Healthy: the top class changes at every check, but holds ~1/K of the samples."""
    assert hopping([0, 3, 6, 1, 4], [0.2, 0.19, 0.22, 0.2, 0.18]) is None
    timeline = _timeline(ring8, [list(range(8))] * 6)
    assert timeline == []
