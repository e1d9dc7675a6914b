"""The `best` checkpoint: the one with the lowest FID, kept across resume and pruning, and
what `--checkpoint best` loads.

The FID values are scripted (the trainer's evaluator is replaced by a table step -> FID), so
which step must be best is known exactly; everything else is the real trainer and CLI.
"""

import numpy as np

from ganforge.cli import main
from ganforge.training.checkpoint import read_pointer
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer

# steps 1-4 in the first run, 5-6 after the resume; step 2 has the lowest FID.  Step 5's 3.5
# beats every FID of its own run: it becomes best only if the resume forgot the best so far.
FIDS = {1: 5.0, 2: 3.0, 3: 4.0, 4: 6.0, 5: 3.5, 6: 4.5}


class ScriptedFID:
    def __call__(self, sampler, z_dim, step):
        return {"fid": FIDS[step]}


def _trainer(tiny_points_config, steps, resume=False):
    cfg = tiny_points_config(steps=steps, extra=["train.eval_every=1", "train.checkpoint_every=100",
                                                 "train.keep_checkpoints=1"])
    trainer = Trainer(cfg, resume=resume)
    trainer.evaluator = ScriptedFID()
    return trainer


def test_best_is_the_lowest_fid_and_survives_resume_and_pruning(tiny_points_config, tmp_path, capsys):
    run = _trainer(tiny_points_config, 4).fit()
    folder = run / "checkpoints"
    assert read_pointer(folder, "best") == "step_000002"
    _trainer(tiny_points_config, 6, resume=True).fit()
    assert read_pointer(folder, "best") == "step_000002"  # 3.5 at step 5 is no improvement on 3.0
    assert read_pointer(folder, "latest") == "step_000006"
    # keep_checkpoints=1 prunes to the newest, but never the best one
    assert sorted(p.name for p in folder.glob("step_*")) == ["step_000002", "step_000006"]
    evals = {r["step"]: r["eval/fid"] for r in read_metrics(run / "metrics.jsonl") if "eval/fid" in r}
    assert evals == FIDS

    out = {name: tmp_path / f"{name}.npy" for name in ("best", "step_000002", "latest")}
    for name, path in out.items():
        assert main(["generate", str(run), "--checkpoint", name, "--n", "8", "--format", "npy", "--out", str(path)]) == 0
    best, step2, latest = (np.load(p) for p in out.values())
    assert np.array_equal(best, step2) and not np.array_equal(best, latest)
