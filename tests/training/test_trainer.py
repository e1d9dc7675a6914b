"""The generic loop: run directory, resume continuity, accumulation, clipping, stopping."""

import json
import signal
from pathlib import Path

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.training import checkpoint as ckpt
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer


def _losses(run_dir: Path) -> list[tuple]:
    return [(r["step"], r["d/loss"], r["g/loss"]) for r in read_metrics(run_dir / "metrics.jsonl")]


def test_run_directory_has_everything_a_person_needs(tiny_image_config):
    run = Trainer(tiny_image_config(steps=4)).fit()
    assert (run / "config.yaml").is_file() and (run / "report.html").is_file() and (run / "losses.png").is_file()
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == ["step_000002.png", "step_000004.png"]
    rows = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(torch.isfinite(torch.tensor([r["d/loss"], r["g/loss"]])).all() for r in rows)
    assert ckpt.find_checkpoint(run).name == "step_000004"
    html = (run / "report.html").read_text()
    assert "samples/step_000004.png" in html and "losses.png" in html


@pytest.mark.parametrize("make", ["tiny_image_config", "tiny_points_config"])
def test_resume_continues_exactly(make, request, tmp_path):
    config = request.getfixturevalue(make)
    straight = Trainer(config(steps=6), run_dir=tmp_path / "straight").fit()

    Trainer(config(steps=3), run_dir=tmp_path / "split").fit()
    resumed = Trainer(config(steps=6), run_dir=tmp_path / "split", resume=True).fit()

    assert _losses(straight) == _losses(resumed)
    a, b = ckpt.load_weights(ckpt.find_checkpoint(straight)), ckpt.load_weights(ckpt.find_checkpoint(resumed))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_stop_request_writes_checkpoint_and_resume_finishes(tiny_points_config, tmp_path):
    trainer = Trainer(tiny_points_config(steps=6), run_dir=tmp_path / "run")
    original = trainer.train_step

    def step_then_ctrl_c():
        original()
        if trainer.step == 2:  # the step about to be counted is the 3rd
            trainer.stop._handle(signal.SIGINT, None)

    trainer.train_step = step_then_ctrl_c
    trainer.fit()
    assert ckpt.find_checkpoint(tmp_path / "run").name == "step_000003"
    assert trainer.stop.exit_code == 130  # unfinished: a script sees a non-zero status
    Trainer(tiny_points_config(steps=6), run_dir=tmp_path / "run", resume=True).fit()
    assert [r["step"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")][-1] == 6


def test_existing_run_is_not_overwritten_silently(tiny_points_config):
    cfg = tiny_points_config(steps=2)
    run = Trainer(cfg).fit()
    before = (run / "metrics.jsonl").read_text()
    with pytest.raises(GanforgeError, match="already holds a run; resume it with --resume"):
        Trainer(cfg)
    assert (run / "metrics.jsonl").read_text() == before
    (run / "stray.txt").write_text("left by the old run")
    Trainer(cfg, overwrite=True).fit()
    assert not (run / "stray.txt").exists()  # the old run is replaced, not merged into
    assert [r["step"] for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r] == [1, 2]  # a fresh log


def test_resume_without_checkpoint_is_a_clear_error(tiny_points_config, tmp_path):
    with pytest.raises(GanforgeError, match="Nothing to resume"):
        Trainer(tiny_points_config(), run_dir=tmp_path / "empty", resume=True)


def test_resume_with_another_model_is_refused(tiny_points_config, tmp_path):
    Trainer(tiny_points_config(steps=2), run_dir=tmp_path / "r").fit()
    with pytest.raises(GanforgeError, match="different model"):
        Trainer(tiny_points_config(steps=4, extra=["model.g.hidden=[32]"]), run_dir=tmp_path / "r", resume=True)


def _deterministic_update(cfg, accum, clip=0.0):
    cfg.train.grad_accum, cfg.train.grad_clip = accum, clip
    trainer = Trainer(cfg)
    real = torch.linspace(-1, 1, 16 * 2).view(16, 2)
    step_fn = lambda x, y, step: {"loss": (trainer.D(x) ** 2).mean()}  # noqa: E731  no randomness
    logs = trainer._update("d", step_fn, real, None)
    return trainer, logs


def test_gradient_accumulation_equals_the_full_batch(tiny_points_config, tmp_path):
    full, _ = _deterministic_update(tiny_points_config(extra=["model.d.dropout=0.0"]), accum=1)
    cfg = tiny_points_config(extra=["model.d.dropout=0.0"])
    cfg.name = "acc"
    accumulated, _ = _deterministic_update(cfg, accum=4)
    for p, q in zip(full.D.parameters(), accumulated.D.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_gradient_clipping_bounds_the_norm_and_other_net_gets_no_gradient(tiny_points_config):
    trainer, logs = _deterministic_update(tiny_points_config(extra=["optim_d.lr=1.0"]), accum=1, clip=1e-3)
    total = torch.sqrt(sum(p.grad.pow(2).sum() for p in trainer.D.parameters()))
    assert total <= 1e-3 * 1.0001 and logs["grad_norm"] > 1e-3
    assert all(p.grad is None for p in trainer.G.parameters())


def test_n_critic_draws_a_batch_per_critic_step(tiny_points_config):
    trainer = Trainer(tiny_points_config(steps=1, extra=["train.n_critic=3"]))
    trainer.fit()
    assert trainer.sampler.position == 3 * 32


def test_lr_schedule_decays_linearly(tiny_points_config):
    run = Trainer(tiny_points_config(steps=4, extra=["optim_g.schedule=linear"])).fit()
    lrs = [r["lr_g"] for r in read_metrics(run / "metrics.jsonl")]
    assert lrs == pytest.approx([2e-4 * (1 - s / 4) for s in range(4)])


def test_metrics_lines_are_json(tiny_points_config):
    run = Trainer(tiny_points_config(steps=2)).fit()
    for line in (run / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        assert {"step", "images_per_s", "d/loss", "g/loss", "d/real_score", "d/fake_score"} <= set(row)


def test_channels_last_trains_like_the_default(tiny_image_config, tmp_path):
    base = Trainer(tiny_image_config(steps=3, extra=["train.precision=fp32"]), run_dir=tmp_path / "a").fit()
    nhwc = Trainer(tiny_image_config(steps=3, extra=["train.precision=fp32", "train.channels_last=true"]),
                   run_dir=tmp_path / "b").fit()
    x, y = _losses(base), _losses(nhwc)
    assert [r[0] for r in x] == [r[0] for r in y] == [1, 2, 3]
    assert x[0] == pytest.approx(y[0], rel=1e-4)  # the same weights and batch: only the memory layout differs
    for later, other in zip(x[1:], y[1:]):  # after Adam steps, which can amplify last-bit differences
        assert later == pytest.approx(other, rel=1e-2)


def test_bf16_autocast_trains_finite(tiny_image_config, tmp_path):
    run = Trainer(tiny_image_config(steps=2, extra=["train.precision=bf16"]), run_dir=tmp_path / "bf").fit()
    assert all(isinstance(r["d/loss"], float) for r in read_metrics(run / "metrics.jsonl"))


def test_fp16_on_cpu_is_refused_clearly(tiny_points_config):
    with pytest.raises(GanforgeError, match="fp16 is for GPUs"):
        Trainer(tiny_points_config(steps=1, extra=["train.precision=fp16"])).fit()


def test_a_step_that_writes_samples_and_checks_health_renders_the_fixed_latents_once(tmp_path, tiny, monkeypatch):
    """The health check judges the grid just written (one render per step), and each new step renders afresh."""
    from ganforge.presets import load_config
    from ganforge.training import trainer as trainer_module

    cfg = load_config("toy2d-gan", tiny["points"] + ["train.steps=4", "train.health_every=2"], name="once")
    cfg.out_dir = str(tmp_path)
    calls = []
    real_render = trainer_module.render
    monkeypatch.setattr(trainer_module, "render", lambda *a, **k: calls.append(1) or real_render(*a, **k))
    run = trainer_module.Trainer(cfg).fit()
    rows = [r for r in read_metrics(run / "metrics.jsonl") if "health/diversity" in r]
    assert [r["step"] for r in rows] == [2, 4]  # health checked at steps 2 and 4 ...
    assert len(list((run / "samples").glob("step_*.png"))) == 2  # ... where grids are written too
    assert len(calls) == 2  # one render each, not two


def test_ema_sampler_and_checkpoint_use_the_averaged_weights_own_batch_norm_statistics(tiny_image_config):
    trainer = Trainer(tiny_image_config(steps=4, extra=["train.ema_decay=0.9"]))
    run = trainer.fit()
    weights = ckpt.load_weights(ckpt.find_checkpoint(run))
    stats = [k for k in weights if k.startswith("G_ema.") and k.endswith("running_mean")]
    assert stats, "the tiny DCGAN generator has batch norms"
    # Copied statistics would equal the live G's; recalibrated ones belong to the EMA weights.
    assert all(not torch.equal(weights[k], weights["G" + k[len("G_ema"):]]) for k in stats)
    rng = torch.get_rng_state()
    trainer.step += 1  # as after a further update: the statistics are recomputed, the same way
    shadow = trainer.sampling_generator
    assert torch.equal(torch.get_rng_state(), rng)  # the training RNG stream is untouched
    assert all(torch.equal(dict(shadow.named_buffers())[k[len("G_ema."):]], weights[k]) for k in stats)
