"""fastgan-cond: FastGAN conditioned on the emoji group; generate, studio, truncation and walks by group name."""

import pytest
import torch

import ganforge
from ganforge.art.provenance import read_provenance
from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.presets import load_config
from ganforge.recipes import build_recipe
from ganforge.recipes.fastgan import FastGAN
from ganforge.training.trainer import Trainer

TINY = ["data.resolution=32", "data.limit=64", "model.z_dim=8", "model.g={width: 4, max_channels: 16}",
        "model.d={width: 4, max_channels: 16}", "recipe.recon_weight=1", "recipe.recon_batch=4",
        "train.batch_size=8", "train.grid_size=9",
        "train.steps=2", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
        "train.progress=false", "train.device=cpu", "train.precision=fp32"]


@pytest.fixture(scope="module")
def emoji_run(tmp_path_factory):
    """A 2-step run of the emoji-fastgan-cond preset on 64 emoji at 32x32 (9 groups)."""
    root = tmp_path_factory.mktemp("emoji-cond")
    cfg = load_config("emoji-fastgan-cond", TINY, name="emoji-cond")
    cfg.out_dir, cfg.data.cache_dir = str(root), str(root / "cache")
    return Trainer(cfg, root / "emoji-cond").fit()


def test_generate_by_group_name(emoji_run, tmp_path):
    model = ganforge.load(emoji_run)
    assert model.num_classes == 9 and "food-drink" in model.class_names
    food, flags = model.sample(4, seed=0, labels="food-drink"), model.sample(4, seed=0, labels="flags")
    assert food.shape == (4, 3, 32, 32) and not torch.allclose(food, flags)  # the group changes the picture
    out = tmp_path / "food.png"
    assert main(["generate", str(emoji_run), "--class", "food-drink", "--n", "4", "--out", str(out)]) == 0
    assert read_provenance(out)["label"] == "food-drink"
    assert main(["generate", str(emoji_run), "--class", "no-such-group", "--n", "4", "--out", str(out)]) != 0


def test_studio_truncation_and_walks_by_group(emoji_run, tmp_path):
    import shutil

    from PIL import Image

    from ganforge.studio.service import Studio

    (tmp_path / "runs").mkdir()
    shutil.copytree(emoji_run, tmp_path / "runs" / "emoji")
    studio = Studio(tmp_path / "runs", out_dir=tmp_path / "out")
    assert studio.run_info("emoji")["class_names"][3] == "food-drink"
    png = studio.generate("emoji", seed=1, n=4, truncation=0.7, label="food-drink")
    assert read_provenance(png)["truncation"] == 0.7
    with Image.open(studio.interpolate("emoji", seed_a=1, seed_b=2, steps=3, label="flags")) as gif:
        assert gif.format == "GIF"


def test_walk_and_truncation_of_a_group(emoji_run):
    from ganforge.art.latent import interpolate

    model = ganforge.load(emoji_run)
    frames = interpolate(model, seeds=(1, 2), steps=3, label="flags")
    assert frames.shape == (4, 3, 32, 32) and frames.dtype == torch.uint8
    assert torch.equal(frames[-1:], model.sample_images(1, seed=2, labels="flags"))  # the walk ends at seed 2
    plain, truncated = model.sample(4, seed=0, labels="flags"), model.sample(4, seed=0, labels="flags", truncation=0.5)
    assert torch.isfinite(truncated).all() and not torch.allclose(plain, truncated)


def test_d_step_trains_the_decoders_inside_the_conditional_discriminator():
    torch.manual_seed(0)
    cfg = load_config("emoji-fastgan-cond", TINY, name="tiny")
    r = build_recipe(cfg, (3, 32, 32), 9, torch.device("cpu"))
    logs = r.d_step(torch.rand(8, 3, 32, 32) * 2 - 1, torch.arange(8) % 9, 0)
    assert logs["recon"] > 0
    logs["loss"].backward()
    decoders = [p.grad for n, p in r.D.named_parameters() if n.startswith("net.decode_")]
    assert decoders and all(g is not None and g.abs().sum() > 0 for g in decoders)
    assert r.D.embed.weight.grad.abs().sum() > 0  # the projection learns the groups


def test_label_channels_in_d_are_a_clear_error():
    with pytest.raises(GanforgeError, match="set recipe.d_conditioning=projection"):
        load_config("emoji-fastgan-cond", TINY + ["recipe.d_conditioning=concat"], name="bad")


def tiny_recipe(*extra):
    cfg = load_config("emoji-fastgan-cond", TINY + ["recipe.recon_weight=0"] + list(extra), name="tiny")
    return build_recipe(cfg, (3, 32, 32), 9, torch.device("cpu"))


def test_class_weight_trains_a_group_classifier_on_reals_and_rewards_g_for_the_requested_group():
    torch.manual_seed(0)
    r = tiny_recipe("recipe.class_weight=2")
    real, labels = torch.rand(8, 3, 32, 32) * 2 - 1, torch.arange(8) % 9
    logs = r.d_step(real, labels, 0)
    assert logs["class"] > 0
    logs["loss"].backward()
    assert r.D.classifier.weight.grad.abs().sum() > 0 and all(p.grad is None for p in r.G.parameters())
    r.D.zero_grad()
    torch.manual_seed(1)
    g_logs = r.g_step(real, labels, 0)
    torch.manual_seed(1)
    plain = FastGAN.g_step(r, real, labels, 0)["loss"]  # the loss without the class term, same draws
    assert torch.allclose(g_logs["loss"], plain + 2 * g_logs["class"])
    g_logs["loss"].backward()
    assert all(p.grad is not None for p in r.G.parameters() if p.requires_grad)


def test_class_weight_zero_has_no_classifier():
    r = tiny_recipe()
    assert not hasattr(r.D, "classifier")
    assert "class" not in r.d_step(torch.rand(8, 3, 32, 32) * 2 - 1, torch.arange(8) % 9, 0)


def test_data_labels_shuffle_the_real_batch_labels():
    torch.manual_seed(0)
    labels = torch.tensor([1, 1, 1, 1, 1, 1, 4, 8])  # imbalanced, as emoji groups are
    fake = tiny_recipe("recipe.data_labels=true").sample_labels(8, labels)
    assert sorted(fake.tolist()) == sorted(labels.tolist()) and not torch.equal(fake, labels)
    assert tiny_recipe().sample_labels(400, None).bincount(minlength=9).min() > 0  # default: uniform over groups


def test_negative_class_weight_is_a_clear_error():
    with pytest.raises(GanforgeError, match="class_weight must be >= 0"):
        tiny_recipe("recipe.class_weight=-1")
