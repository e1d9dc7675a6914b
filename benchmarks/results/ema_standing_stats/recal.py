"""Re-evaluate finished benchmarks/cpu_budget.py runs with G_ema's standing batch-norm statistics (no training).

Provenance script for BENCHMARKS.md "EMA sampling: standing batch-norm statistics":
    python benchmarks/results/ema_standing_stats/recal.py RUN_NAME ...   (runs under runs/cpu-budget/)
Each run is copied to /tmp/recal/runs, loaded by the Trainer (resume), re-saved (which recalibrates the
EMA's batch norms), and evaluated with cpu_budget.py's protocol; before = the run's own eval.json.
"""
import json
import shutil
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from cpu_budget import evaluate
from ganforge.presets import read_run_config
from ganforge.presets import config_from_dict
from ganforge.training.trainer import Trainer

out = {}
for name in sys.argv[1:]:
    src = Path("runs/cpu-budget") / name
    dst = Path("/tmp/recal/runs") / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    before = json.loads((src / "eval.json").read_text())["metrics"]
    cfg = config_from_dict(read_run_config(dst))
    tr = Trainer(cfg, dst, resume=True)
    step = tr.step
    shutil.rmtree(dst / "checkpoints")
    tr.save_checkpoint()
    after = evaluate(dst, 10000)
    out[name] = {"step": step, "before": {k: before[k] for k in ("fid", "kid_mean", "precision", "recall")},
                 "after": {k: after[k] for k in ("fid", "kid_mean", "precision", "recall")}}
    print(name, step, "FID %.3f -> %.3f" % (before["fid"], after["fid"]), "recall %.3f -> %.3f" % (before["recall"], after["recall"]), flush=True)
    Path(__file__).with_name("results.json").write_text(json.dumps(out, indent=1))
