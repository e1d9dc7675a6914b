"""The fastgan recipe: D's loss carries the reconstruction term, which trains the decoders."""

import pytest
import torch

from ganforge.presets import load_config
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe

TINY = ["data.resolution=32", "model.z_dim=8", "recipe.recon_weight=1", "model.g={width: 4, max_channels: 16}",
        "model.d={width: 4, max_channels: 16}", "train.precision=fp32", "train.device=cpu"]


def recipe(*extra):
    cfg = load_config("emoji-fastgan", TINY + list(extra), name="tiny-fastgan")
    return build_recipe(cfg, (3, 32, 32), 0, torch.device("cpu"))


def test_d_loss_adds_the_reconstruction_term_and_trains_the_decoders():
    torch.manual_seed(0)
    r = recipe()
    real = torch.rand(8, 3, 32, 32) * 2 - 1
    logs = r.d_step(real, None, 0)
    assert logs["recon"] > 0 and torch.isfinite(logs["loss"])
    logs["loss"].backward()
    for name in ("decode_whole", "decode_part"):
        grads = [p.grad for n, p in r.D.named_parameters() if n.startswith(name)]
        assert all(g is not None and g.abs().sum() > 0 for g in grads)
    assert all(p.grad is None for p in r.G.parameters())  # fakes are made without G's graph in the D step


def test_recon_weight_zero_is_the_plain_gan_loss(monkeypatch):
    r = recipe("recipe.recon_weight=0")
    monkeypatch.setattr(r.D, "reconstruct", lambda x, part: pytest.fail("no reconstruction pass when the weight is 0"))
    logs = r.d_step(torch.rand(8, 3, 32, 32) * 2 - 1, None, 0)
    assert "recon" not in logs and torch.isfinite(logs["loss"])


def test_recon_batch_limits_the_reconstructed_reals(monkeypatch):
    r = recipe("recipe.recon_batch=3")
    seen = []
    original = r.D.reconstruct
    monkeypatch.setattr(r.D, "reconstruct", lambda x, part: seen.append(len(x)) or original(x, part))
    r.d_step(torch.rand(8, 3, 32, 32) * 2 - 1, None, 0)
    assert seen == [3]


@pytest.mark.parametrize("override, message", [
    ("model.arch=dcgan", "set model.arch=fastgan"),
    ("recipe.recon_weight=-1", "recon_weight and recipe.recon_batch must be >= 0"),
])
def test_bad_settings_are_clear_errors(override, message):
    extra = [override, "model.g={width: 4}", "model.d={width: 4}"] if "arch" in override else [override]
    with pytest.raises(GanforgeError, match=message):
        recipe(*extra)
