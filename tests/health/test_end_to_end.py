"""A tiny toy2d run that collapses is diagnosed while it trains, and doctor agrees afterwards.

The collapse is made certain: the recipe's generator output is replaced by a
constant (G(z) * 0 + 0.5, so the G step still runs), the total collapse a
24-step run cannot be relied on to reach by itself.  Everything else is the
real trainer: signals, monitor, printing, stop, metrics.jsonl, doctor, report.
"""

import json

import pytest

from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.presets import load_config
from ganforge.recipes.gan import GAN
from ganforge.training.trainer import Trainer

TINY = ["data.limit=512", "model.g.hidden=[16, 16]", "model.d.hidden=[16, 16]", "train.batch_size=32",
        "train.log_every=4", "train.sample_every=8", "train.health_every=4", "train.checkpoint_every=1000", "train.progress=false",
        "train.device=cpu", "train.precision=fp32", "train.steps=24", "optim_g.lr=0.001", "optim_d.lr=0.0001",
        "optim_g.schedule=constant", "optim_d.schedule=constant"]


@pytest.fixture(autouse=True)
def _constant_generator(monkeypatch):
    monkeypatch.setattr(GAN, "generate", lambda self, G, z, labels=None: G(z) * 0.0 + 0.5)


def _train(tmp_path, extra=()):
    cfg = load_config("toy2d-ring8-nonsaturating", TINY + list(extra), name="collapsing")
    cfg.out_dir = str(tmp_path)
    return Trainer(cfg).fit()


def test_collapsing_toy2d_run_is_diagnosed_live_and_by_doctor(tmp_path, capsys):
    run = _train(tmp_path)
    printed = capsys.readouterr().out
    assert printed.count("mode collapse at step") == 1  # printed once
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    checks = [r for r in rows if "health/diversity" in r]  # in the log rows, every health_every (not sample_every)
    assert [r["step"] for r in checks] == [4, 8, 12, 16, 20, 24] and all(r["health/diversity"] == 0.0 for r in checks)
    train_rows = [r for r in rows if "d/loss" in r]
    assert all({"d/acc_real", "d/acc_fake", "d/sign_real", "d/grad_norm", "g/grad_norm"} <= set(r) for r in train_rows)
    assert main(["doctor", str(run)]) == 1
    assert "mode collapse" in capsys.readouterr().out
    assert "mode collapse at step 8" in printed  # no warm-up: the first two checks (4, 8) hold (patience 2)
    assert "mode collapse at step" in (run / "report.html").read_text()


def test_health_stop_checkpoints_and_stops_at_the_diagnosis(tmp_path):
    run = _train(tmp_path, ["train.health=stop"])
    last = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()][-1]
    assert last["step"] < 24
    assert any((run / "checkpoints").iterdir())


def test_health_off_logs_no_sample_signals(tmp_path):
    run = _train(tmp_path, ["train.health='off'"])  # quoted: YAML reads a bare off as false
    assert "health/diversity" not in (run / "metrics.jsonl").read_text()


def test_health_every_is_validated():
    with pytest.raises(GanforgeError, match="train.health_every must be >= 1, got 0"):
        load_config("toy2d-ring8-nonsaturating", ["train.health_every=0"])
