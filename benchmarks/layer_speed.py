"""Each conv / linear layer of a net alone: forward and backward time against its FLOPs.

    OMP_NUM_THREADS=1 python benchmarks/layer_speed.py --threads 1                       # 64x64 DCGAN, batch 64
    OMP_NUM_THREADS=1 python benchmarks/layer_speed.py --threads 1 --variant cl --variant native

The step profile (``profile_step.py``) says convolutions take most of a
DCGAN step; this says which ones run far below the matmul peak.  The nets are
built exactly as the trainer builds them (``--case`` of ``throughput.py``);
each layer's input shape is taken from one forward pass, then the layer is
timed alone: forward, and backward with gradients for both its input and its
weights (what the G step asks of D's layers, and of G's apart from the first).
Times are CPU seconds of this process (``time.process_time``), so other
processes' load does not lower them; the matmul peak is measured the same way.

Variants: ``default`` (contiguous, oneDNN as torch picks), ``cl``
(channels_last input and weights), ``native`` (oneDNN off:
``torch.backends.mkldnn.flags(enabled=False)``, ATen's own im2col + GEMM).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from throughput import build, matmul_peak, random_folder

from machine import cpu_name

LAYERS = (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)
VARIANTS = ("default", "cl", "native")


def layer_inputs(trainer) -> list[tuple[str, torch.nn.Module, torch.Size]]:
    """(name, layer, input shape) of every conv / linear layer of G and D, from one forward pass of each."""
    found = []
    hooks = []
    for net_name, net in (("G", trainer.G), ("D", trainer.D)):
        for name, module in net.named_modules():
            if isinstance(module, LAYERS):
                hooks.append(module.register_forward_hook(
                    lambda m, args, out, key=f"{net_name}.{name}": found.append((key, m, args[0].shape))))
    with torch.no_grad():
        batch = trainer.cfg.train.batch_size
        trainer.D(trainer.G(torch.randn(batch, trainer.cfg.model.z_dim)))
    for hook in hooks:
        hook.remove()
    return found


def cpu_seconds(fn, repeats: int) -> float:
    """CPU seconds per call of ``fn`` after one untimed call (kernel selection, caches)."""
    fn()
    start = time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - start) / repeats


def context(variant: str):
    return torch.backends.mkldnn.flags(enabled=False) if variant == "native" else contextlib.nullcontext()


def time_layer(layer: torch.nn.Module, shape: torch.Size, variant: str, repeats: int) -> tuple[float, float, int, int]:
    """(forward s, backward s, forward FLOPs, backward FLOPs) of ``layer`` on a random input of ``shape``."""
    fmt = torch.channels_last if variant == "cl" and len(shape) == 4 else torch.contiguous_format
    layer = layer.to(memory_format=fmt) if len(shape) == 4 else layer
    layer.requires_grad_(True)
    x = torch.randn(shape).contiguous(memory_format=fmt).requires_grad_(True)
    with context(variant):
        out = layer(x)
        grad = torch.randn_like(out)
        with FlopCounterMode(display=False) as fwd_count:
            layer(x)
        with FlopCounterMode(display=False) as all_count:
            layer(x).backward(grad)
        forward = cpu_seconds(lambda: layer(x), repeats)
        both = cpu_seconds(lambda: layer(x).backward(grad), repeats)
    layer.zero_grad(set_to_none=True)
    f_flops = fwd_count.get_total_flops()
    return forward, max(both - forward, 0.0), f_flops, all_count.get_total_flops() - f_flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="dcgan-64-rgb")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--variant", action="append", choices=VARIANTS, default=[])
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    _, peak = matmul_peak(torch.float32)
    print(f"# {cpu_name()}, {torch.get_num_threads()} threads, fp32 torch.mm {peak:.0f} GFLOP per CPU-s, "
          f"{args.repeats} timed calls per layer")
    print("| layer | input | variant | fwd ms | fwd % of mm | bwd ms | bwd % of mm | share of conv time |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as run_dir:
        trainer = build(args.case, "fp32", args.batch, random_folder(Path(tmp)), "cpu", args.set, run_dir)
        layers = layer_inputs(trainer)
        for variant in args.variant or ["default"]:
            rows = [(name, shape, *time_layer(layer, shape, variant, args.repeats)) for name, layer, shape in layers]
            total = sum(f + b for _, _, f, b, _, _ in rows)
            for name, shape, f, b, ff, bf in rows:
                print(f"| {name} | {tuple(shape)} | {variant} | {1000 * f:.1f} | {100 * ff / f / 1e9 / peak:.0f}% | "
                      f"{1000 * b:.1f} | {100 * bf / max(b, 1e-9) / 1e9 / peak:.0f}% | {100 * (f + b) / total:.0f}% |",
                      flush=True)
            flops = sum(ff + bf for *_, ff, bf in rows)
            print(f"| all | | {variant} | | | | {100 * flops / total / 1e9 / peak:.0f}% overall | {1000 * total:.0f} ms |",
                  flush=True)
        trainer.run.close()


if __name__ == "__main__":
    main()
