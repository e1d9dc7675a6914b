"""A run is never lost: divergence, a second writer, a full disk, kills and signals (issue: reliability)."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.files import TEMP_PREFIX
from ganforge.training import checkpoint as ckpt
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer


def _steps(run: Path) -> list[int]:
    return [r["step"] for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r]


# ------------------------------------------------------------------ divergence


def test_exploding_learning_rate_stops_with_one_line_and_a_resumable_run(tmp_path, capsys):
    # The reproduction: SGD at lr 1e6 used to crash formatting a NaN before any checkpoint.
    code = main(["train", "--preset", "toy2d-gan", "--name", "boom", "--out-dir", str(tmp_path),
                 "--set", "optim_g.name=sgd", "--set", "optim_d.name=sgd", "--set", "optim_g.lr=1e6",
                 "--set", "optim_d.lr=1e6", "--set", "train.steps=40", "--set", "train.log_every=5",
                 "--set", "train.checkpoint_every=1000", "--set", "train.progress=false",
                 "--set", "train.max_bad_steps=5", "--set", "train.device=cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and "diverged" in err[0] and "non-finite at step" in err[0] and "Traceback" not in err[0]
    run = tmp_path / "boom"
    assert (run / "config.yaml").is_file() and not (run / ".lock").exists()
    # No checkpoint was written (it diverged first): --resume starts it afresh from its config, here with a sane lr.
    code = main(["train", "--resume", str(run), "--set", "optim_g.lr=0.01", "--set", "optim_d.lr=0.01",
                 "--set", "train.steps=10", "--set", "train.checkpoint_every=5"])
    assert code == 0 and ckpt.find_checkpoint(run).name == "step_000010"
    assert _steps(run) == [5, 10]


def test_non_finite_steps_are_skipped_on_the_device_and_weights_stay_finite(tiny_points_config):
    trainer = Trainer(tiny_points_config(steps=3, extra=["train.max_bad_steps=100"]))
    before = {k: v.clone() for k, v in trainer.D.state_dict().items()}
    nan_step = lambda x, y, step: {"loss": trainer.D(x).mean() * float("nan")}  # noqa: E731
    trainer._update("d", nan_step, torch.randn(32, 2), None)
    assert all(torch.equal(before[k], v) for k, v in trainer.D.state_dict().items())  # step skipped
    assert all(len(s) == 0 or int(s["step"]) == 0 for s in trainer.opt_d.state.values())  # Adam did not count it
    assert trainer.guard.read() == (1, 0)


def test_rollback_reloads_the_last_good_checkpoint_with_halved_learning_rates(tiny_points_config):
    cfg = tiny_points_config(steps=10, extra=["train.on_divergence=rollback", "train.max_bad_steps=2",
                                              "train.checkpoint_every=4", "train.health=off"])
    trainer = Trainer(cfg)
    original, poisoned = trainer.train_step, []

    def poison_once():
        if trainer.step == 6 and not poisoned:  # a one-off blow-up after the step-4 checkpoint
            poisoned.append(True)
            with torch.no_grad():
                for p in trainer.D.parameters():
                    p.fill_(float("nan"))
        original()

    trainer.train_step = poison_once
    run = trainer.fit()
    rows = [r for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r]
    assert [r["step"] for r in rows] == list(range(1, 11))  # redone steps replaced, none duplicated
    assert trainer.rollbacks == 1 and trainer.lr_scale == 0.5
    assert rows[-1]["lr_d"] == pytest.approx(cfg.optim_d.lr * 0.5) and rows[3]["lr_d"] == pytest.approx(cfg.optim_d.lr)
    assert all(isinstance(r["d/loss"], float) for r in rows)
    state = ckpt.load_state(ckpt.find_checkpoint(run))
    assert state["lr_scale"] == 0.5 and state["rollbacks"] == 1  # a resume keeps the lowered rates


def test_infinite_learning_rate_is_refused_by_validation():
    from ganforge.presets import load_config

    for value in ("inf", ".nan", "-1"):
        with pytest.raises(GanforgeError, match="positive finite"):
            load_config("toy2d-gan", [f"optim_g.lr={value}"])


# ------------------------------------------------------------- one writer per run


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tiny_points_config, tmp_path):
    run = tmp_path / "locked"
    run.mkdir()
    (run / ".lock").write_text(json.dumps({"pid": 1, "host": os.uname().nodename, "what": "training"}))
    with pytest.raises(GanforgeError, match="in use by process 1"):
        Trainer(tiny_points_config(steps=2), run_dir=run)
    assert not (run / "config.yaml").exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tiny_points_config, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = tmp_path / "stale"
    run.mkdir()
    (run / ".lock").write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}))
    Trainer(tiny_points_config(steps=2), run_dir=run).fit()
    assert _steps(run) == [1, 2] and not (run / ".lock").exists()


def test_two_concurrent_trainings_into_one_run_never_mix(tmp_path):
    args = [sys.executable, "-m", "ganforge.cli", "train", "--preset", "toy2d-gan", "--name", "same",
            "--out-dir", str(tmp_path), "--set", "train.steps=150", "--set", "train.progress=false",
            "--set", "train.device=cpu", "--set", "train.log_every=10", "--set", "train.sample_every=1000"]
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):  # wait until the first holds the lock
        if (tmp_path / "same" / ".lock").exists():
            break
        time.sleep(0.05)
    second = subprocess.run(args, stderr=subprocess.PIPE, text=True, timeout=120)
    first.wait(timeout=600)
    assert first.returncode == 0
    assert second.returncode != 0 and "in use by process" in second.stderr and "Traceback" not in second.stderr
    steps = _steps(tmp_path / "same")
    assert steps == sorted(set(steps)) and steps[-1] == 150


# ------------------------------------------------------------- overwrite, resume


def test_a_failed_overwrite_leaves_the_old_run_intact(tiny_points_config):
    cfg = tiny_points_config(steps=2)
    run = Trainer(cfg).fit()
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    broken = tiny_points_config(steps=2, extra=["data.source=folder", "data.path=/nonexistent/images"])
    with pytest.raises(GanforgeError):
        Trainer(broken, overwrite=True)
    after = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert after == before


def test_resume_of_a_run_killed_before_its_first_checkpoint_starts_afresh(tiny_points_config):
    cfg = tiny_points_config(steps=4, extra=["train.checkpoint_every=100"])
    first = Trainer(cfg)  # config.yaml written, then "killed" before training
    first.run.close()
    (first.run_dir / "metrics.jsonl").write_text('{"step": 1, "d/loss": 1.0}\n')
    run = Trainer(cfg, resume=True).fit()
    assert _steps(run) == [1, 2, 3, 4] and ckpt.find_checkpoint(run).name == "step_000004"


def test_resume_from_an_earlier_checkpoint(tiny_points_config):
    cfg = tiny_points_config(steps=6)
    run = Trainer(cfg).fit()
    resumed = Trainer(cfg, resume=True, checkpoint="2")
    assert resumed.step == 2 and _steps(run) == [1, 2]  # later rows are redone
    resumed.fit()
    assert _steps(run) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(GanforgeError, match="not a checkpoint name"):
        Trainer(cfg, resume=True, checkpoint="../../etc")


def test_temp_files_of_a_killed_write_are_swept_on_the_next_start(tiny_points_config):
    cfg = tiny_points_config(steps=2)
    run = Trainer(cfg).fit()
    (run / "checkpoints" / ".tmp-step_000004-deadbeef").mkdir()
    (run / "checkpoints" / f"{TEMP_PREFIX}step_000004.abc").mkdir()
    (run / f"{TEMP_PREFIX}config.yaml.123").write_text("half")
    cfg.train.steps = 4
    Trainer(cfg, resume=True).fit()
    leftovers = [p.name for p in run.rglob("*") if p.name.startswith((".tmp-", TEMP_PREFIX))]
    assert leftovers == []


# --------------------------------------------------------------------- full disk


def test_a_full_disk_keeps_the_last_checkpoint_and_resume_works_after(tiny_points_config, monkeypatch, capsys):
    cfg = tiny_points_config(steps=6, extra=["train.checkpoint_every=2"])
    real_save = ckpt.save_file

    def disk_full_after_step_2(tensors, path, *args, **kwargs):
        if "step_000004" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return real_save(tensors, path, *args, **kwargs)

    monkeypatch.setattr(ckpt, "save_file", disk_full_after_step_2)
    with pytest.raises(GanforgeError, match="disk is full") as info:
        Trainer(cfg).fit()
    assert "step_000002" in str(info.value) and "\n" not in str(info.value)
    run = Path(cfg.out_dir) / cfg.name
    assert ckpt.find_checkpoint(run).name == "step_000002"
    assert [p.name for p in (run / "checkpoints").iterdir() if p.name.startswith(".")] == []
    assert not (run / ".lock").exists()
    monkeypatch.setattr(ckpt, "save_file", real_save)  # space freed
    Trainer(cfg, resume=True).fit()
    assert _steps(run) == [1, 2, 3, 4, 5, 6]


# ------------------------------------------------------------------------ signals


def test_sigterm_writes_a_checkpoint_and_exits_143(tmp_path):
    run = tmp_path / "term"
    proc = subprocess.Popen([sys.executable, "-m", "ganforge.cli", "train", "--preset", "toy2d-gan", "--name", "term",
                             "--out-dir", str(tmp_path), "--set", "train.steps=1000000", "--set", "train.progress=false",
                             "--set", "train.device=cpu", "--set", "train.log_every=5"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        if (run / "metrics.jsonl").exists() and (run / "metrics.jsonl").read_text().strip():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert proc.returncode == 143
    assert ckpt.list_checkpoints(run / "checkpoints")
