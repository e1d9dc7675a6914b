"""Images per second of one training step (D step + G step), per preset and variant.

    python benchmarks/throughput.py                       # the BENCHMARKS.md table
    python benchmarks/throughput.py --cases mnist-dcgan --precision fp32 bf16 --steps 30
    python benchmarks/throughput.py --device cuda --cases dcgan-64-rgb --batch 64 256 1024 \
        --precision fp32 bf16 --variant eager= --variant graphs=train.cuda_graphs=true  # on a GPU
    OMP_NUM_THREADS=1 python benchmarks/throughput.py --threads 1 --cases dcgan-64-rgb --precision fp32 \
        --variant eager= --variant cl=train.channels_last=true --repeats 3                 # A/B, interleaved
    python benchmarks/throughput.py --threads 1 --cases toy2d-gan mnist-gan --precision fp32 --plain

A case is a preset plus overrides; a variant (``LABEL=key=value,key=value``)
adds overrides on top.  Each (case, precision, batch, variant) builds the real
Trainer (real data path, real recipe, optimiser steps), runs warm-up steps,
then times ``--steps`` training steps.  With ``--repeats N`` the variants are
timed in turn (A B A B ...) N times and the median is printed, so a shared
machine's load hits every variant alike; the load average is printed too.  On
CPU the table also gives images per CPU-second of this process
(``time.process_time``), which other processes' load does not lower.
``--plain`` adds a minimal hand-written loop of the same nets and losses (no
trainer) to show how much of a small step is Python overhead.  The 64x64 RGB
case trains on a folder of random 64x64 PNGs written to a temporary directory
(the model cost does not depend on the pixels).  The matmul peak gives the
step's achieved FLOP rate a context.
"""

from __future__ import annotations

import argparse
import os
import statistics
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
    "toy2d-gan": ("toy2d-gan", []),
    "mnist-dcgan": ("mnist-dcgan", []),
    "dcgan-64-rgb": ("mnist-dcgan", ["data.source=folder", "data.resolution=64", "data.channels=3",
                                     "model.z_dim=100", "model.g.width=64", "model.d.width=64"]),
    # SNGAN ResNet 32x32 (hinge, spectral norm); one step = 5 D steps + 1 G step, as the preset trains
    "sngan-32": ("cifar10-sngan", ["data.source=folder", "data.resolution=32", "data.channels=3"]),
}
# The default run, the BENCHMARKS.md CPU table: sngan-32 takes ~45 s a step on 2 CPU cores, so ask for it.
DEFAULT_CASES = ["mnist-gan", "mnist-dcgan", "dcgan-64-rgb"]
WARMUP = 3  # untimed steps: kernel selection, caches, torch.compile / CUDA-graph capture


def random_folder(root: Path, n: int = 256, size: int = 64) -> Path:
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(root / f"{i:04d}.png")
    return root


def matmul_peak(dtype: torch.dtype, device: str = "cpu", n: int = 2048, repeats: int = 10) -> tuple[float, float]:
    """(GFLOP/s, GFLOP per CPU-second) of torch.mm on large square matrices: the practical ceiling here."""
    if device.startswith("cuda"):
        n, repeats = 8192, 20
    a = torch.randn(n, n, device=device).to(dtype)
    wall, cpu = time_steps(lambda: a @ a, repeats, device)
    return 2 * n**3 / wall / 1e9, 2 * n**3 / cpu / 1e9


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def step_flops(trainer: Trainer) -> int:
    """FLOPs of one training step (D step(s) + G step, forward + backward), counted by torch."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        trainer.train_step()
    return counter.get_total_flops()


def parse_variant(text: str) -> tuple[str, list[str]]:
    """"LABEL=key=value,key=value" -> (LABEL, ["key=value", ...]); "eager=" has no overrides."""
    label, _, rest = text.partition("=")
    return label, [part for part in rest.split(",") if part]


def build(name: str, precision: str, batch: int, folder: Path, device: str, extra: list[str], run_dir: str) -> Trainer:
    preset, overrides = CASES[name]
    data = [f"data.path={folder}"] if "data.source=folder" in overrides else []
    cfg = load_config(preset, overrides + data + [f"train.batch_size={batch}", f"train.precision={precision}",
                                                  "train.progress=false", f"train.device={device}",
                                                  *extra], name=f"bench-{name}")
    return Trainer(cfg, run_dir=run_dir)


def time_steps(step, steps: int, device: str, finish=lambda: None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) per call of ``step`` after WARMUP untimed calls."""
    for _ in range(WARMUP):
        step()
    finish()
    sync(device)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    finish()  # wait for any queued work
    sync(device)
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def time_trainer(trainer: Trainer, steps: int, device: str) -> tuple[float, float]:
    return time_steps(trainer.train_step, steps, device, trainer.synchronize)


def plain_step(trainer: Trainer):
    """A minimal hand-written step of the trainer's own G and D (no guard, EMA, logs): the Python-overhead yardstick."""
    G, D, data, t = trainer.G, trainer.D, trainer.data, trainer.cfg.train
    G.requires_grad_(True), D.requires_grad_(True)  # the trainer leaves the last frozen group frozen
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    z_dim, dev = trainer.cfg.model.z_dim, trainer.device
    x = data.x.to(dev)

    def step() -> None:
        real = data.to_model(x[torch.randint(len(x), (t.batch_size,), device=dev)])
        with torch.no_grad():
            fake = G(torch.randn(t.batch_size, z_dim, device=dev))
        real_logits, fake_logits = D(real), D(fake)
        d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        logits = D(G(torch.randn(t.batch_size, z_dim, device=dev)))
        g_loss = bce(logits, torch.ones_like(logits))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    return step


def measure(args, folder: Path, name: str, precision: str, batch: int, variants: list[tuple[str, list[str]]]) -> dict:
    """{label: [(wall s, cpu s) per repeat]}, the variants interleaved repeat by repeat."""
    results: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in variants}
    if args.plain:
        results["plain loop"] = []
    for repeat in range(args.repeats):
        for label, extra in variants:
            with tempfile.TemporaryDirectory() as run_dir:
                trainer = build(name, precision, batch, folder, args.device, args.set + extra, run_dir)
                if repeat == 0:  # which paths this variant took (an older trainer, for before/after runs, has no speed_line)
                    print(f"# {name} {precision} batch {batch} {label or '-'}: {getattr(trainer, 'speed_line', '')}", flush=True)
                results[label].append(time_trainer(trainer, args.steps, args.device))
                if args.plain and label == variants[0][0]:
                    results["plain loop"].append(time_steps(plain_step(trainer), args.steps, args.device))
                trainer.run.close()
    return results


def case_flops(args, folder: Path, name: str, precision: str, batch: int) -> int:
    """FLOPs of one step, counted on an eager build (FlopCounterMode does not see inside compiled graphs)."""
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = build(name, precision, batch, folder, args.device, args.set, run_dir)
        flops = step_flops(trainer)
        trainer.run.close()
        return flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=DEFAULT_CASES, choices=list(CASES))
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, nargs="+", default=[64])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--set", action="append", default=[], help="override for every run, e.g. train.channels_last=true")
    parser.add_argument("--variant", action="append", default=[], help="LABEL=key=value,key=value (repeatable; A/B)")
    parser.add_argument("--repeats", type=int, default=1, help="time the variants in turn this many times; median")
    parser.add_argument("--plain", action="store_true", help="also time a minimal hand-written loop of the same nets")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    variants = [parse_variant(v) for v in args.variant] or [("", [])]
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    peaks = {p: matmul_peak(dtypes[p], args.device) for p in args.precision}  # (wall, CPU-time) GFLOP/s
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else cpu_name()
    print(f"# {where}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}, load average {os.getloadavg()}")
    print("# matmul peak: " + ", ".join(f"{p} {w:.0f} GFLOP/s ({c:.0f} per CPU-s)" for p, (w, c) in peaks.items()))
    print(f"# median of {args.repeats} interleaved repeat(s) of {args.steps} steps after {WARMUP} warm-up steps")
    print("| case | variant | precision | batch | images/s | ms/step | images per CPU-s | GFLOP/s | % of matmul peak "
          "| % of peak, CPU-time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = random_folder(Path(tmp))
        for name in args.cases:
            for precision in args.precision:
                for batch in args.batch:
                    flops = case_flops(args, folder, name, precision, batch)
                    for label, runs in measure(args, folder, name, precision, batch, variants).items():
                        wall = statistics.median(w for w, _ in runs)
                        cpu = statistics.median(c for _, c in runs)
                        gflops, peak = flops / wall / 1e9, peaks[precision]
                        print(f"| {name} | {label or '-'} | {precision} | {batch} | {batch / wall:.0f} | {1000 * wall:.1f} | "
                              f"{batch / cpu:.0f} | {gflops:.0f} | {100 * gflops / peak[0]:.0f}% | "
                              f"{100 * flops / cpu / 1e9 / peak[1]:.0f}% |", flush=True)
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
