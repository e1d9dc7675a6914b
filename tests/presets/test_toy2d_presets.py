"""Every toy2d preset still trains, with and without the mode-collapse remedies (packing, minibatch std)."""

import json

import pytest
import torch

from ganforge.presets import load_config, preset_names
from ganforge.errors import GanforgeError
from ganforge.nn.packing import PackedDiscriminator
from ganforge.recipes.base import build_recipe
from ganforge.training.trainer import Trainer

TOY2D = [name for name in preset_names() if name.startswith("toy2d-")]
SHORT = ["data.limit=256", "train.batch_size=16", "train.steps=2"]  # on top of conftest's TINY["points"]


def test_toy2d_presets_exist():
    assert {"toy2d-gan", "toy2d-grid25-gan", "toy2d-ring8-gan"} <= set(TOY2D)


@pytest.mark.parametrize("name", TOY2D)
def test_preset_trains_a_few_steps(name, tmp_path, tiny):
    cfg = load_config(name, tiny["points"] + SHORT)
    cfg.out_dir = str(tmp_path)
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "d/loss" in r]  # training rows; the health monitor logs rows of its own
    assert [r["step"] for r in rows] == [1, 2]
    assert all(torch.isfinite(torch.tensor([r["d/loss"], r["g/loss"]])).all() for r in rows)


@pytest.mark.parametrize("name", ["toy2d-grid25-nonsaturating", "toy2d-grid25-wgan-gp", "toy2d-ring8-hinge"])
@pytest.mark.parametrize("remedy", [["model.pack=4"], ["model.d.minibatch_std=4"],
                                    ["model.pack=2", "model.d.minibatch_std=2"]])
def test_remedies_train_with_any_loss(name, remedy, tmp_path, tiny):
    cfg = load_config(name, [*tiny["points"], *SHORT, *remedy])
    cfg.out_dir = str(tmp_path)
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "d/loss" in r]
    assert len(rows) == 2 and all(torch.isfinite(torch.tensor([r["d/loss"], r["g/loss"]])).all() for r in rows)


def test_pack_builds_a_packed_discriminator(tiny):
    cfg = load_config("toy2d-grid25-nonsaturating", [*tiny["points"], *SHORT, "model.pack=4"])
    D = build_recipe(cfg, (2,), 25, torch.device("cpu")).D
    assert isinstance(D, PackedDiscriminator) and D.inner.body[1].in_features == 8
    assert D(torch.randn(16, 2)).shape == (4,)


def test_batch_not_divisible_by_pack_is_a_config_error(tiny):
    with pytest.raises(GanforgeError, match="pack"):
        load_config("toy2d-grid25-nonsaturating", [*tiny["points"], *SHORT, "model.pack=3"])
