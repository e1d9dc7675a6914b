"""Wall-clock time for a preset to reach a target FID (domain feature space) on CPU.

    python benchmarks/time_to_quality.py --preset fashion-dcgan --target 20 --max-steps 3000 --eval-every 250

Trains the preset with periodic evaluation (``train.eval_every``, ``eval_n``
samples against the real test split) and reports the training wall-clock
(evaluation time excluded) and step at which the FID first drops to the
target, read from the run's metrics.jsonl.  Wall clock depends on what else
runs on the machine; the quality-per-CPU-minute protocol of issues 14 and 15
(a budget of the process's own CPU seconds) is ``benchmarks/cpu_budget.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ganforge.presets import load_config
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer


def time_to_target(rows: list[dict], target: float) -> tuple[int, float, float] | None:
    """(step, training seconds, fid) of the first evaluation with fid <= target, or None."""
    seconds_at = {r["step"]: r["time_s"] for r in rows if "time_s" in r}
    for row in rows:
        fid = row.get("eval/fid")
        if fid is not None and fid <= target:
            step = row["step"]
            return step, seconds_at.get(step, float("nan")), fid
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fashion-dcgan")
    parser.add_argument("--target", type=float, default=20.0)
    parser.add_argument("--max-steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-n", type=int, default=2000)
    parser.add_argument("--set", action="append", default=[], help="extra overrides, e.g. train.precision=fp32")
    parser.add_argument("--keep", default=None, help="keep the run directory here (for `ganforge eval` afterwards)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(args.preset, [f"train.steps={args.max_steps}", f"train.eval_every={args.eval_every}",
                                        f"train.eval_n={args.eval_n}", f"train.log_every={args.eval_every}",
                                        "train.progress=false", *args.set], name="ttq")
        run = Trainer(cfg, run_dir=Path(args.keep) if args.keep else Path(tmp) / "run").fit()
        rows = read_metrics(run / "metrics.jsonl")
    hit = time_to_target(rows, args.target)
    curve = [(r["step"], round(r["eval/fid"], 2)) for r in rows if "eval/fid" in r]
    print(f"preset {args.preset}, target FID {args.target}, evaluated every {args.eval_every} steps on {args.eval_n} samples")
    print(f"FID by step: {curve}")
    if hit:
        print(f"reached FID {hit[2]:.2f} <= {args.target} at step {hit[0]} after {hit[1]:.0f} s of training")
    else:
        print(f"did not reach FID {args.target} in {args.max_steps} steps")


if __name__ == "__main__":
    main()
