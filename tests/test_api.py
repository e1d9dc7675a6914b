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


SMALLER = ["data.limit=64", "model.g.hidden=[8]", "model.d.hidden=[8]", "train.batch_size=16",
           "train.sample_every=100"]  # on top of conftest's TINY["points"]


def test_train_a_preset_by_name_then_resume_it(tmp_path, monkeypatch, tiny):
    from ganforge.training.plots import read_metrics

    points = tiny["points"] + SMALLER

    monkeypatch.chdir(tmp_path)  # runs/ is relative to the working folder
    run = ganforge.train("toy2d-gan", points + ["train.steps=2"], name="api")
    assert run.resolve() == (tmp_path / "runs" / "api").resolve()
    again = ganforge.train("toy2d-gan", points + ["train.steps=4"], name="api", resume=True)
    assert again.resolve() == run.resolve()
    assert [r["step"] for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r] == [1, 2, 3, 4]
    straight = ganforge.train("toy2d-gan", points + ["train.steps=4"], name="straight")
    assert torch.equal(ganforge.load(run).sample(8, seed=0), ganforge.load(straight).sample(8, seed=0))
    with pytest.raises(GanforgeError, match="already"):  # the same name without resume is not trained over
        ganforge.train("toy2d-gan", points + ["train.steps=4"], name="api")


def test_generator_model_to_moves_the_generator(tiny_points_config):
    # "meta" is a device every machine has: parameters move there without data
    model = ganforge.load(ganforge.train(tiny_points_config(steps=2)))
    assert model.to("meta") is model  # chains
    assert model.device == torch.device("meta")
    assert all(p.device.type == "meta" for p in model.generator.parameters())
