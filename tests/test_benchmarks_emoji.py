"""benchmarks/emoji.py: how a budgeted run ends (SIGINT at the budget, or its own train.steps first)."""

import subprocess
import sys

import emoji  # benchmarks/emoji.py (pyproject puts benchmarks/ on the test path)
import pytest


def _fake_start(code: str, step: int):
    """A ``start`` that runs ``python -c code`` instead of training and leaves a checkpoint pointer at ``step``."""
    def start(name, preset, sets, out, seed):
        (out / name / "checkpoints").mkdir(parents=True)
        (out / name / "checkpoints" / "latest").write_text(f"step_{step:06d}\n")
        return subprocess.Popen([sys.executable, "-c", code])
    return start


def test_a_run_that_reaches_its_own_steps_is_scored_as_finished(tmp_path, monkeypatch):
    # An lr schedule set to end at the budget: train.steps comes first and the trainer exits 0 on its own.
    monkeypatch.setattr(emoji, "start", _fake_start("pass", 12))
    timing = emoji.train_all([("lin", "emoji-fastgan", [])], budget_s=3600, out=tmp_path, seed=0, wall_cap_s=60)
    assert timing["lin"]["finished"] is True
    assert timing["lin"]["step"] == 12
    assert 0 <= timing["lin"]["cpu_s"] < 3600


def test_a_run_stopped_at_the_budget_is_not_marked_finished(tmp_path, monkeypatch):
    # A busy loop that the SIGINT at the (tiny) budget ends.  The handler is installed explicitly, as the
    # trainer does: a shell's background job inherits SIGINT ignored, and Python then keeps it ignored.
    busy = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\nwhile True: pass"
    monkeypatch.setattr(emoji, "start", _fake_start(busy, 7))
    timing = emoji.train_all([("busy", "emoji-fastgan", [])], budget_s=0.5, out=tmp_path, seed=0, wall_cap_s=60)
    assert "finished" not in timing["busy"]
    assert timing["busy"]["cpu_s"] >= 0.5 and timing["busy"]["step"] == 7


def test_a_run_that_fails_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(emoji, "start", _fake_start("raise SystemExit(3)", 0))
    with pytest.raises(RuntimeError, match="exited early"):
        emoji.train_all([("bad", "emoji-fastgan", [])], budget_s=3600, out=tmp_path, seed=0, wall_cap_s=60)
