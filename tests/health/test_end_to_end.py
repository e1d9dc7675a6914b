"""A tiny toy2d run that collapses is diagnosed while it trains, and doctor agrees afterwards.

The run is the standard GAN on the ring of 8 with G's learning rate 10x D's
(Metz et al. 2017): its samples stay in a small arc (diversity ~0.06 of the
data's) through the whole run.
"""

import json

from ganforge.cli import main
from ganforge.presets import load_config
from ganforge.training.trainer import Trainer

TINY = ["data.limit=512", "model.g.hidden=[16, 16]", "model.d.hidden=[16, 16]", "train.batch_size=32",
        "train.log_every=4", "train.sample_every=4", "train.checkpoint_every=1000", "train.progress=false",
        "train.device=cpu", "train.precision=fp32", "train.steps=24", "optim_g.lr=0.001", "optim_d.lr=0.0001"]


def _train(tmp_path, extra=()):
    cfg = load_config("toy2d-ring8-nonsaturating", TINY + list(extra), name="collapsing")
    cfg.out_dir = str(tmp_path)
    return Trainer(cfg).fit()


def test_collapsing_toy2d_run_is_diagnosed_live_and_by_doctor(tmp_path, capsys):
    run = _train(tmp_path)
    printed = capsys.readouterr().out
    assert printed.count("mode collapse at step") == 1  # printed once
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    grids = [r for r in rows if "health/diversity" in r]
    assert len(grids) == 6 and all(r["health/diversity"] < 0.2 for r in grids)
    assert main(["doctor", str(run)]) == 1
    assert "mode collapse" in capsys.readouterr().out
    assert "mode collapse at step" in (run / "report.html").read_text()


def test_health_stop_checkpoints_and_stops_at_the_diagnosis(tmp_path):
    run = _train(tmp_path, ["train.health=stop"])
    last = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()][-1]
    assert last["step"] < 24
    assert any((run / "checkpoints").iterdir())


def test_health_off_logs_no_sample_signals(tmp_path):
    run = _train(tmp_path, ["train.health='off'"])  # quoted: YAML reads a bare off as false
    assert "health/diversity" not in (run / "metrics.jsonl").read_text()
