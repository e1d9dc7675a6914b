"""Shared fixtures: tiny configs that train in a second on CPU."""

import pytest
import torch

from ganforge.config import load_config

torch.set_num_threads(2)

TINY_IMAGE = [
    "data.limit=256", "model.z_dim=8", "model.g.width=8", "model.d.width=8",
    "train.batch_size=16", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
    "train.grid_size=16", "train.progress=false", "train.device=cpu",
]
TINY_POINTS = [
    "data.limit=512", "model.g.hidden=[16, 16]", "model.d.hidden=[16, 16]",
    "train.batch_size=32", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
    "train.progress=false", "train.device=cpu",
]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Each test session gets its own dataset cache; nothing is written to ~/.cache.
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def tiny_image_config(tmp_path):
    def make(steps=4, extra=()):
        cfg = load_config("mnist-dcgan", TINY_IMAGE + [f"train.steps={steps}", *extra], name="tiny")
        cfg.out_dir = str(tmp_path / "runs")
        return cfg
    return make


@pytest.fixture
def tiny_points_config(tmp_path):
    def make(steps=4, extra=()):
        cfg = load_config("toy2d-gan", TINY_POINTS + [f"train.steps={steps}", *extra], name="toy")
        cfg.out_dir = str(tmp_path / "runs")
        return cfg
    return make
