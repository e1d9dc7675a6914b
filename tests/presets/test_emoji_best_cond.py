"""emoji-best-cond: the tuned emoji DCGAN conditioned on the Unicode group trains, reloads and follows the group."""

import torch

import ganforge
from ganforge.presets import load_config
from ganforge.training.trainer import Trainer

TINY = ["data.resolution=32", "data.limit=64", "model.z_dim=8", "model.g.width=4", "model.d.width=4",
        "train.batch_size=8", "train.grid_size=9", "train.steps=2", "train.log_every=1", "train.sample_every=2",
        "train.checkpoint_every=2", "train.progress=false", "train.device=cpu", "train.precision=fp32"]


def test_emoji_best_cond_generates_by_group(tmp_path):
    cfg = load_config("emoji-best-cond", TINY, name="best-cond")
    cfg.out_dir, cfg.data.cache_dir = str(tmp_path), str(tmp_path / "cache")
    model = ganforge.load(Trainer(cfg, tmp_path / "best-cond").fit())
    assert model.num_classes == 9 and "food-drink" in model.class_names
    food, flags = model.sample(4, seed=0, labels="food-drink"), model.sample(4, seed=0, labels="flags")
    assert food.shape == (4, 3, 32, 32) and torch.isfinite(food).all()
    assert not torch.allclose(food, flags)  # the group reaches G (conditional batch norm)


def test_emoji_best_cond_is_emoji_best_plus_the_label():
    # The conditional preset must differ from emoji-best only in the conditioning, so its numbers compare.
    best, cond = load_config("emoji-best"), load_config("emoji-best-cond")
    assert (cond.optim_g, cond.optim_d, cond.train, cond.model, cond.data) == (best.optim_g, best.optim_d, best.train, best.model, best.data)
    assert cond.recipe == {**best.recipe, "name": "cgan", "g_conditioning": "cbn", "d_conditioning": "projection"}
