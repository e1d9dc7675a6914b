"""Two CPU processes under torchrun (gloo) train like one process with the same global batch."""

import subprocess
import sys

import pytest

from ganforge.training.plots import read_metrics

ARGS = ["--preset", "toy2d-gan", "--set", "data.limit=512", "--set", "model.g.hidden=[16,16]",
        "--set", "model.d.hidden=[16,16]", "--set", "model.d.dropout=0.0", "--set", "train.batch_size=32",
        "--set", "train.log_every=1", "--set", "train.progress=false", "--set", "train.device=cpu",
        "--set", "train.sample_every=100", "--set", "train.checkpoint_every=2", "--set", "train.grad_clip=1.0"]


def _train(out_dir, name, steps, processes=1, resume=False):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}", "-m"] \
        if processes > 1 else [sys.executable, "-m"]
    run = str(out_dir / name)
    args = ["--resume", run, "--set", f"train.steps={steps}"] if resume else \
        ARGS + ["--set", f"train.steps={steps}", "--name", name, "--out-dir", str(out_dir)]
    result = subprocess.run(launcher + ["ganforge.cli", "train", *args], capture_output=True, text=True, timeout=300,
                            env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    return read_metrics(out_dir / name / "metrics.jsonl")


def _losses(rows):
    return [(r["step"], r["d/loss"], r["g/loss"], r.get("d/grad_norm")) for r in rows]


def test_two_processes_match_one_and_resume_from_a_ddp_checkpoint(tmp_path):
    single = _train(tmp_path, "single", steps=6)
    _train(tmp_path, "ddp", steps=4, processes=2)
    resumed = _train(tmp_path, "ddp", steps=6, processes=2, resume=True)
    assert len(resumed) == len(single) == 6
    for a, b in zip(_losses(single), _losses(resumed)):
        assert a[0] == b[0]
        assert a[1:] == pytest.approx(b[1:], rel=1e-4, abs=1e-6)
    assert (tmp_path / "ddp" / "checkpoints" / "step_000006").is_dir()
