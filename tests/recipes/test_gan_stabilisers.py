"""The gan recipe's stabilisers: R1, DiffAugment, instance noise (and their exact resume)."""

import signal

import pytest
import torch

from ganforge.presets import load_config
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe
from ganforge.training import checkpoint as ckpt
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer

CPU = torch.device("cpu")
#: on top of conftest's TINY["image"]: narrower nets, fewer images, no sample grids.
SMALLER = ["data.limit=128", "model.g.width=4", "model.d.width=4", "train.sample_every=100",
           "train.checkpoint_every=100", "train.grid_size=4"]


def recipe(preset, shape, overrides=(), seed=0):
    torch.manual_seed(seed)
    return build_recipe(load_config(preset, list(overrides)), shape, 10, CPU)


@pytest.mark.parametrize("override, message", [
    ("recipe.r1_gamma=-1", "recipe.r1_gamma must be >= 0"),
    ("recipe.instance_noise=-0.1", "recipe.instance_noise must be >= 0"),
    ("recipe.diffaugment=colr", "Unknown DiffAugment op 'colr'"),
])
def test_bad_options_are_refused_at_config_time(override, message):
    with pytest.raises(GanforgeError, match=message):
        load_config("toy2d-gan", [override])


def test_diffaugment_on_points_is_refused():
    with pytest.raises(GanforgeError, match="remove recipe.diffaugment"):
        recipe("toy2d-gan", (2,), ["recipe.diffaugment=translation"])


def test_r1_adds_gamma_over_two_times_the_penalty():
    real = torch.randn(8, 2)
    outs = {}
    for gamma in (0.0, 4.0):
        r = recipe("toy2d-gan", (2,), [f"recipe.r1_gamma={gamma}", "model.d.dropout=0.0"])
        torch.manual_seed(1)
        outs[gamma] = r.d_step(real, None, 0)
    assert "r1" not in outs[0.0] and outs[4.0]["r1"] > 0
    assert outs[4.0]["loss"].item() == pytest.approx(outs[0.0]["loss"].item() + 2.0 * outs[4.0]["r1"].item(), rel=1e-5)
    assert not real.requires_grad  # the trainer's batch is left alone


@pytest.mark.parametrize("channels", [1, 3])
def test_diffaugment_is_applied_to_real_and_fake_in_both_steps(channels):
    r = recipe("mnist-small-diffaugment", (channels, 32, 32), ["model.z_dim=8", "model.g.width=4", "model.d.width=4"])
    seen = []
    forward = r.D.forward
    r.D.forward = lambda x: (seen.append(x.detach().clone()), forward(x))[1]
    real = torch.rand(4, channels, 32, 32) * 2 - 1
    r.d_step(real, None, 0)
    out = r.g_step(real, None, 0)
    out["loss"].backward()
    assert len(seen) == 3 and all(s.shape == real.shape for s in seen)
    assert not torch.allclose(seen[0], real)  # D saw augmented reals
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in r.G.parameters())  # G learns through it
    # cutout on the G step's fakes: a hole of at least an 8x8 corner in every sample
    assert (seen[2] == 0).flatten(1).sum(1).min() >= 64 * channels


def test_instance_noise_anneals_linearly_to_zero():
    r = recipe("toy2d-gan", (2,), ["recipe.instance_noise=0.4", "train.steps=4"])
    stds = [r.noise_std(step) for step in range(5)]
    assert stds == pytest.approx([0.4, 0.3, 0.2, 0.1, 0.0])
    assert r.state_dict() == {}  # the level follows the step the trainer passes: nothing to save
    torch.manual_seed(0)
    x = torch.zeros(1000, 2)
    assert r.seen(x, 2).std().item() == pytest.approx(0.2, rel=0.1)


def _losses(run_dir):
    rows = read_metrics(run_dir / "metrics.jsonl")  # training rows; the health monitor logs rows of its own
    return [(row["step"], row["d/loss"], row["g/loss"]) for row in rows if "d/loss" in row]


def test_stabilised_run_resumes_exactly(tmp_path, tiny):
    # A run killed half way must continue as if never stopped: same augmentations, noise level and R1.
    extra = ["recipe.diffaugment=color,translation,cutout", "recipe.instance_noise=0.3", "recipe.r1_gamma=1.0",
             "train.steps=4", "train.checkpoint_every=2"]
    cfg = lambda: load_config("mnist-small-diffaugment", tiny["image"] + SMALLER + extra, name="s")  # noqa: E731
    straight = Trainer(cfg(), run_dir=tmp_path / "straight").fit()

    trainer = Trainer(cfg(), run_dir=tmp_path / "split")
    original = trainer.train_step

    def step_then_stop():
        original()
        if trainer.step == 1:  # the step about to be counted is the 2nd
            trainer.stop.request(signal.SIGINT)

    trainer.train_step = step_then_stop
    trainer.fit()
    assert trainer.step == 2
    resumed = Trainer(cfg(), run_dir=tmp_path / "split", resume=True)
    assert resumed.step == 2 and resumed.recipe.noise_std(resumed.step) == pytest.approx(0.3 * (1 - 2 / 4))
    resumed.fit()
    assert _losses(straight) == _losses(tmp_path / "split")
    a, b = ckpt.load_weights(ckpt.find_checkpoint(straight)), ckpt.load_weights(ckpt.find_checkpoint(tmp_path / "split"))
    assert all(torch.equal(a[k], b[k]) for k in a)
