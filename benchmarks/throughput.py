"""Images per second of one training step (D step + G step), per preset.

    python benchmarks/throughput.py                       # the BENCHMARKS.md table
    python benchmarks/throughput.py --cases mnist-dcgan --precision fp32 bf16 --steps 30
    python benchmarks/throughput.py --device cuda --cases mnist-dcgan dcgan-64-rgb sngan-32 \
        --precision fp32 bf16 fp16 --steps 50                                        # on a GPU

A case is a preset plus overrides.  Each case builds the real Trainer (real
data path, real recipe, optimiser steps), runs warm-up steps, then times
``--steps`` training steps.  The 64x64 RGB case trains on a folder of random
64x64 PNGs written to a temporary directory (the model cost does not depend on
the pixels).  Also prints the machine's measured matmul peak so the step's
achieved FLOP rate can be put in context.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.presets import load_config
from ganforge.training.trainer import Trainer

from machine import cpu_name  # benchmarks/machine.py: the CPU every result names

CASES = {
    "mnist-gan": ("mnist-gan", []),
    "mnist-dcgan": ("mnist-dcgan", []),
    "dcgan-64-rgb": ("mnist-dcgan", ["data.source=folder", "data.resolution=64", "data.channels=3",
                                     "model.z_dim=100", "model.g.width=64", "model.d.width=64"]),
    # SNGAN ResNet 32x32 (hinge, spectral norm); one step = 5 D steps + 1 G step, as the preset trains
    "sngan-32": ("cifar10-sngan", ["data.source=folder", "data.resolution=32", "data.channels=3"]),
}
# The default run, the BENCHMARKS.md CPU table: sngan-32 takes ~45 s a step on 2 CPU cores, so ask for it.
DEFAULT_CASES = ["mnist-gan", "mnist-dcgan", "dcgan-64-rgb"]


def random_folder(root: Path, n: int = 256, size: int = 64) -> Path:
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(root / f"{i:04d}.png")
    return root


def matmul_peak(dtype: torch.dtype, device: str = "cpu", n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of torch.mm on large square matrices: the practical ceiling of this machine."""
    if device.startswith("cuda"):
        n, repeats = 8192, 20
    a = torch.randn(n, n, device=device).to(dtype)
    a @ a
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ a
    sync(device)
    return repeats * 2 * n**3 / (time.perf_counter() - start) / 1e9


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def step_flops(trainer: Trainer) -> int:
    """FLOPs of one training step (D step(s) + G step, forward + backward), counted by torch."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        trainer.train_step()
    return counter.get_total_flops()


def time_case(name: str, precision: str, steps: int, batch: int, folder: Path, device: str = "cpu") -> tuple[float, float]:
    preset, overrides = CASES[name]
    extra = [f"data.path={folder}"] if "data.source=folder" in overrides else []
    cfg = load_config(preset, overrides + extra + [f"train.batch_size={batch}", f"train.precision={precision}",
                                                   "train.progress=false", f"train.device={device}"], name=f"bench-{name}")
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(cfg, run_dir=run_dir)
        flops = step_flops(trainer)
        for _ in range(3):
            trainer.train_step()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        trainer.synchronize()  # wait for any queued work
        sync(device)
        seconds = (time.perf_counter() - start) / steps
        return batch / seconds, flops / seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=DEFAULT_CASES, choices=list(CASES))
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    peaks = {p: matmul_peak(dtypes[p], args.device) for p in args.precision}
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else cpu_name()
    print(f"# {where}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    print("# matmul peak: " + ", ".join(f"{p} {v:.0f} GFLOP/s" for p, v in peaks.items()))
    print("| case | precision | batch | images/s | ms/step | GFLOP/s | % of matmul peak |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = random_folder(Path(tmp))
        for name in args.cases:
            for precision in args.precision:
                ips, gflops = time_case(name, precision, args.steps, args.batch, folder, args.device)
                print(f"| {name} | {precision} | {args.batch} | {ips:.0f} | {1000 * args.batch / ips:.1f} | "
                      f"{gflops:.0f} | {100 * gflops / peaks[precision]:.0f}% |", flush=True)


if __name__ == "__main__":
    main()
