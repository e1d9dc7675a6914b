"""WGAN: Wasserstein loss and weight clipping after every critic step."""

import pytest
import torch

from ganforge.presets import load_config
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe
from ganforge.training.trainer import Trainer

QUIET = ["data.limit=256", "train.sample_every=100", "train.checkpoint_every=100"]  # on top of TINY["points"]


def test_preset_has_the_paper_settings():
    cfg = load_config("toy2d-ring8-wgan")
    assert cfg.recipe_name == "wgan" and cfg.train.n_critic == 5
    assert (cfg.optim_d.name, cfg.optim_d.lr, cfg.optim_g.name, cfg.optim_g.lr) == ("rmsprop", 5e-5, "rmsprop", 5e-5)
    recipe = build_recipe(cfg, (2,), 8, torch.device("cpu"))
    assert recipe.opts.clip == 0.01 and recipe.opts.loss == "wasserstein"


def test_weights_are_clipped_after_a_training_step(tmp_path, tiny):
    # A huge learning rate pushes weights far outside [-c, c]; clipping must bring them back.
    cfg = load_config("toy2d-ring8-wgan", tiny["points"] + QUIET + ["train.steps=1", "train.n_critic=2", "optim_d.lr=0.5"],
                      name="w")
    cfg.out_dir = str(tmp_path)
    trainer = Trainer(cfg)
    assert all(p.abs().max() <= 0.01 for p in trainer.D.parameters())  # clipped from the start
    trainer.fit()
    params = list(trainer.D.parameters())
    assert all(p.abs().max() <= 0.01 for p in params)
    assert any((p.abs() == 0.01).any() for p in params)  # the bound was active, not just small weights
    assert any(p.abs().max() > 0.01 for p in trainer.G.parameters())  # G is not clipped


def test_clip_must_be_positive():
    with pytest.raises(GanforgeError, match="recipe.clip must be positive"):
        load_config("toy2d-ring8-wgan", ["recipe.clip=0"])
