"""ganforge.train / ganforge.load(...).sample / save_pretrained."""

import pytest
import torch

import ganforge
from ganforge.errors import GanforgeError


def test_train_load_sample_is_seeded(tiny_image_config, tmp_path):
    run = ganforge.train(tiny_image_config(steps=2))
    model = ganforge.load(run)
    a, b, c = model.sample(4, seed=1), model.sample(4, seed=1), model.sample(4, seed=2)
    assert a.shape == (4, 1, 28, 28) and torch.equal(a, b) and not torch.equal(a, c)
    assert model.sample_images(2).dtype == torch.uint8


def test_save_pretrained_round_trip(tiny_image_config, tmp_path):
    model = ganforge.load(ganforge.train(tiny_image_config(steps=2)))
    again = ganforge.load(model.save_pretrained(tmp_path / "model"))
    assert torch.equal(model.sample(3, seed=0), again.sample(3, seed=0))


def test_load_uses_ema_weights(tiny_image_config):
    run = ganforge.train(tiny_image_config(steps=2))
    model = ganforge.load(run)
    from ganforge.training import checkpoint as ckpt
    weights = ckpt.load_weights(ckpt.find_checkpoint(run))
    key = next(k for k in weights if k.startswith("G_ema.") and k.endswith("weight"))
    assert torch.equal(model.generator.state_dict()[key[len("G_ema."):]], weights[key])


def test_bad_sample_arguments(tiny_points_config):
    model = ganforge.load(ganforge.train(tiny_points_config(steps=2)))
    assert model.sample(5, seed=0).shape == (5, 2)
    with pytest.raises(GanforgeError, match="Seed must be >= 0"):
        model.sample(2, seed=-1)
    with pytest.raises(GanforgeError, match=">= 1"):
        model.sample(0)
