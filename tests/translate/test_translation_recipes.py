"""pix2pix and CycleGAN recipes: losses against hand-computed values, previews, nets, bad data."""

import pytest
import torch
import torch.nn.functional as F

from ganforge.presets import load_config
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe

SHAPE = (6, 32, 32)  # A and B, 3 channels each


def recipe_for(name, *overrides, shape=SHAPE):
    cfg = load_config(None, [f"recipe.name={name}", "recipe.g.width=4", "recipe.d.width=4", "recipe.d.n_layers=1",
                             "data.source=paired-folder", "train.precision=fp32", *overrides])
    torch.manual_seed(0)
    return build_recipe(cfg, shape, 0, torch.device("cpu"))


def _bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def test_pix2pix_losses_equal_the_paper_formulas():
    recipe = recipe_for("pix2pix", "recipe.g.dropout=0")
    x = torch.rand(2, *SHAPE) * 2 - 1
    a, b = x[:, :3], x[:, 3:]
    g = recipe.g_step(x, None, 0)
    fake = recipe.G(a)
    adversarial = _bce(recipe.D(torch.cat([a, fake], 1)), 1.0)
    l1 = (fake - b).abs().mean()
    assert g["loss"].item() == pytest.approx((adversarial + 100 * l1).item(), rel=1e-5)
    assert g["l1"].item() == pytest.approx(l1.item(), rel=1e-5)
    d = recipe.d_step(x, None, 0)
    expected = 0.5 * (_bce(recipe.D(torch.cat([a, b], 1)), 1.0) + _bce(recipe.D(torch.cat([a, fake], 1)), 0.0))
    assert d["loss"].item() == pytest.approx(expected.item(), rel=1e-5)


def test_pix2pix_l1_only_baseline_and_direction():
    recipe = recipe_for("pix2pix", "recipe.g.dropout=0", "recipe.adversarial_weight=0", "recipe.direction=BtoA")
    x = torch.rand(2, *SHAPE) * 2 - 1
    a, b = x[:, :3], x[:, 3:]
    assert recipe.g_step(x, None, 0)["loss"].item() == pytest.approx(100 * (recipe.G(b) - a).abs().mean().item(), rel=1e-5)
    assert recipe.generator_spec()["directions"] == {"BtoA": "G"}
    assert recipe.D(torch.cat([a, b], 1)).shape[1] == 1


def test_cyclegan_losses_equal_the_paper_formulas():
    recipe = recipe_for("cyclegan", "recipe.g.blocks=1")
    x = torch.rand(2, *SHAPE) * 2 - 1
    a, b = x[:, :3], x[:, 3:]
    n = recipe.nets
    g = recipe.g_step(x, None, 0)
    fake_b, fake_a = n["G_AB"](a), n["G_BA"](b)
    adversarial = ((n["D_B"](fake_b) - 1) ** 2).mean() + ((n["D_A"](fake_a) - 1) ** 2).mean()  # the authors' MSE
    cycle = (n["G_BA"](fake_b) - a).abs().mean() + (n["G_AB"](fake_a) - b).abs().mean()
    identity = (n["G_BA"](a) - a).abs().mean() + (n["G_AB"](b) - b).abs().mean()
    assert g["loss"].item() == pytest.approx((adversarial + 10 * cycle + 5 * identity).item(), rel=1e-5)
    d = recipe.d_step(x, None, 0)  # the pools are empty: they pass the fakes through
    lsgan_d = lambda D, r, f: 0.5 * ((D(r) - 1) ** 2).mean() + 0.5 * (D(f) ** 2).mean()  # noqa: E731
    expected = lsgan_d(n["D_A"], a, fake_a) + lsgan_d(n["D_B"], b, fake_b)
    assert d["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert len(recipe.pools["A"]) == 2 and recipe.state_dict()["pool_B"]["images"].shape == (2, 3, 32, 32)


def test_cyclegan_declares_four_nets_in_two_optimiser_groups():
    recipe = recipe_for("cyclegan", "recipe.g.blocks=1")
    assert set(recipe.nets) == {"G_AB", "G_BA", "D_A", "D_B"}
    assert recipe.optimized == {"d": ("D_A", "D_B"), "g": ("G_AB", "G_BA")}
    assert recipe.generator_spec()["directions"] == {"AtoB": "G_AB", "BtoA": "G_BA"}


@pytest.mark.parametrize("name", ["pix2pix", "cyclegan"])
def test_previews_are_strips_of_three_panels(name):
    recipe = recipe_for(name, "recipe.g.blocks=1" if name == "cyclegan" else "recipe.g.dropout=0")

    class Data:
        x = torch.randint(0, 256, (5, *SHAPE), dtype=torch.uint8)

        @staticmethod
        def to_model(raw):
            return raw.float() / 127.5 - 1

    recipe.on_data(Data)
    strips = recipe.preview(recipe.nets[recipe.sampling_net], torch.zeros(7, 1))
    assert strips.shape == (7, 3, 32, 96)
    assert torch.allclose(strips[:5, :, :, :32], Data.to_model(Data.x)[:, :3])  # panel 1 = the inputs, cycled
    with pytest.raises(GanforgeError, match="no latent"):
        recipe.generate(recipe.nets[recipe.sampling_net], torch.zeros(1, 1))


def test_translation_recipes_need_paired_data():
    with pytest.raises(GanforgeError, match="paired data"):
        recipe_for("pix2pix", shape=(3, 32, 32))


def test_bad_translation_options_are_one_line_errors():
    with pytest.raises(GanforgeError, match="recipe.direction"):
        recipe_for("pix2pix", "recipe.direction=sideways")
    with pytest.raises(GanforgeError, match="Unknown option recipe.d.layers"):
        recipe_for("pix2pix", "recipe.d.layers=3")
    with pytest.raises(GanforgeError, match="translator network"):
        recipe_for("cyclegan", "recipe.generator=vit")
