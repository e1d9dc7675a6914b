"""The "-best" image presets (benchmarks/cpu_budget.py picked them): each trains, reloads and samples."""

import json

import pytest
import torch

import ganforge
from ganforge.presets import load_config, preset_names
from ganforge.training.trainer import Trainer

BEST = [name for name in preset_names() if name.endswith("-best")]


def test_best_presets_exist():
    assert {"fashion-best", "mnist-best", "emoji-best"} <= set(BEST)


@pytest.mark.parametrize("name", BEST)
def test_best_preset_trains_reloads_and_samples(name, tmp_path, tiny):
    # The preset's own nets (its widths are what it is about); only data, batch and steps are tiny.
    overrides = [o for o in tiny["image"] if not o.startswith(("model.", "train.grid_size"))]
    cfg = load_config(name, [*overrides, "train.steps=2", "train.grid_size=4"])
    cfg.out_dir = str(tmp_path)
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "d/loss" in r]
    assert [r["step"] for r in rows] == [1, 2]
    images = ganforge.load(run).sample(3, seed=0)
    shape = {"emoji": (3, 64, 64)}.get(cfg.data.source, (1, 28, 28))  # colour emoji; grey digits and clothes
    assert images.shape == (3, *shape) and torch.isfinite(images).all()


@pytest.mark.parametrize("name", BEST)
def test_best_preset_is_sane_for_long_runs(name):
    # The budget benchmark stops it early; a user's plain `ganforge train` should still get a full run.
    cfg = load_config(name)
    assert cfg.train.steps >= 10_000 and cfg.train.ema_decay > 0 and cfg.train.precision == "auto"
