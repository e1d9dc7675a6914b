"""WGAN-GP: gradient penalty on points and images of any channel count; no batch norm in the critic."""

import pytest
import torch

from ganforge.presets import load_config
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe

CPU = torch.device("cpu")
TINY_IMAGE = ["model.z_dim=8", "model.g.width=4", "model.d.width=4"]


def recipe(preset, shape, overrides=(), seed=0):
    torch.manual_seed(seed)
    return build_recipe(load_config(preset, list(overrides)), shape, 10, CPU)


def test_preset_has_the_paper_settings():
    cfg = load_config("mnist-wgan-gp")
    assert cfg.recipe_name == "wgan-gp" and cfg.train.n_critic == 5 and cfg.model.d["norm"] == "layer"
    assert (cfg.optim_d.lr, cfg.optim_d.betas, cfg.optim_g.lr, cfg.optim_g.betas) == (1e-4, [0.0, 0.9], 1e-4, [0.0, 0.9])
    assert recipe("mnist-wgan-gp", (1, 28, 28), TINY_IMAGE).opts.gp_lambda == 10.0


@pytest.mark.parametrize("preset, shape, override", [
    ("mnist-wgan-gp", (1, 28, 28), "model.d.norm=batch"),
    ("mnist-wgan-gp", (3, 32, 32), "model.d.norm=batch"),
    ("toy2d-ring8-wgan-gp", (2,), "model.d.norm=batch"),
])
def test_batch_norm_critic_is_refused_with_the_fix(preset, shape, override):
    with pytest.raises(GanforgeError, match=r"must not use batch norm .* set model.d.norm=layer \(or none\)"):
        recipe(preset, shape, TINY_IMAGE * preset.startswith("mnist") + [override])


@pytest.mark.parametrize("preset, shape", [
    ("toy2d-ring8-wgan-gp", (2,)),
    ("mnist-wgan-gp", (1, 28, 28)),
    ("mnist-wgan-gp", (3, 32, 32)),
])
def test_d_loss_is_wasserstein_plus_lambda_times_penalty(preset, shape):
    overrides = TINY_IMAGE if len(shape) == 3 else []
    real = torch.rand(6, *shape) * 2 - 1
    outs = {}
    for lam in (0.0, 10.0):
        r = recipe(preset, shape, overrides + [f"recipe.gp_lambda={lam}"])
        torch.manual_seed(1)
        outs[lam] = r.d_step(real, None, 0)
    gp = outs[10.0]["gp"]
    assert torch.equal(gp, outs[0.0]["gp"]) and gp > 0
    assert outs[10.0]["loss"].item() == pytest.approx(outs[0.0]["loss"].item() + 10 * gp.item(), rel=1e-5, abs=1e-6)
    outs[10.0]["loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in r.D.parameters() if p.grad is not None)


def test_gp_lambda_must_not_be_negative():
    with pytest.raises(GanforgeError, match="recipe.gp_lambda must be >= 0"):
        load_config("toy2d-ring8-wgan-gp", ["recipe.gp_lambda=-1"])
