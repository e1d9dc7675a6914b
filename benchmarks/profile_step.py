"""Where one training step's time goes: torch.profiler over a few steps of the real trainer.

    OMP_NUM_THREADS=1 python benchmarks/profile_step.py --threads 1 --precision fp32      # CPU
    python benchmarks/profile_step.py --device cuda --set train.cuda_graphs=false           # GPU

Builds the 64x64 RGB DCGAN case of ``throughput.py`` (any case with
``--case``), runs warm-up steps, then profiles ``--steps`` steps and prints
the operators with the most self time (device time on a GPU), plus the share
of the step spent in convolutions, batch norm, the optimiser and the rest.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from throughput import CASES, WARMUP, build, random_folder

from machine import cpu_name

GROUPS = {  # operator name fragment -> group of the breakdown (first match wins)
    "convolution": "convolutions", "conv": "convolutions", "batch_norm": "batch norm",
    "fused_adam": "optimiser", "adam": "optimiser", "foreach": "optimiser / EMA / norms", "copy_": "copies",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="dcgan-64-rgb", choices=list(CASES))
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--rows", type=int, default=20)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = args.device.startswith("cuda")
    where = torch.cuda.get_device_name() if cuda else cpu_name()
    print(f"# {where}, {torch.get_num_threads()} threads, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as run_dir:
        trainer = build(args.case, args.precision, args.batch, random_folder(Path(tmp)), args.device, args.set, run_dir)
        for _ in range(WARMUP):
            trainer.train_step()
        trainer.synchronize()
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with profile(activities=activities) as prof:
            for _ in range(args.steps):
                trainer.train_step()
            trainer.synchronize()
        trainer.run.close()
    key = "self_device_time_total" if cuda else "self_cpu_time_total"
    events = prof.key_averages()
    print(events.table(sort_by=key, row_limit=args.rows))
    total = sum(getattr(e, key) for e in events)
    shares: dict[str, float] = {}
    for e in events:
        group = next((g for frag, g in GROUPS.items() if frag in e.key), "other")
        shares[group] = shares.get(group, 0.0) + getattr(e, key)
    print("| group | ms per step | share |\n|---|---|---|")
    for group, t in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"| {group} | {t / 1000 / args.steps:.1f} | {100 * t / max(total, 1e-9):.0f}% |")


if __name__ == "__main__":
    main()
