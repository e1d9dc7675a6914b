"""Mode coverage of each GAN loss on the toy2d grid of 25 (or ring of 8) Gaussians.

    python benchmarks/toy2d_modes.py                          # 5000 steps x 3 seeds, all losses
    python benchmarks/toy2d_modes.py --steps 200 --seeds 1    # a quick smoke run
    python benchmarks/toy2d_modes.py --variant ring8 --losses wgan-gp hinge

Each loss trains its ``toy2d-<variant>-<loss>`` preset (the loss with its
paper's optimiser, critic steps and stabiliser: clipping for wgan, gradient
penalty for wgan-gp, spectral norm + TTUR for hinge) for the same number of
generator steps with each seed.  Then ``--samples`` points (PacGAN uses 2,500)
are drawn from the trained G and counted with the standard rule
(``ganforge.metrics.modes.toy2d_modes``; VEEGAN / PacGAN): a sample is high
quality within 3 std of its nearest centre, a mode is covered when it gets at
least one high-quality sample.  Prints a markdown table of mean +- std over
the seeds.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

import ganforge
from ganforge.config import load_config
from ganforge.data.toy2d import mode_centres
from ganforge.metrics.modes import toy2d_modes
from ganforge.training.trainer import Trainer

LOSSES = ["gan", "nonsaturating", "wgan", "wgan-gp", "lsgan", "hinge"]
LABELS = {"gan": "gan (minimax)"}


def run_one(variant: str, loss: str, steps: int, seed: int, samples: int, out_dir: Path, device: str) -> dict:
    preset = f"toy2d-{variant}-{loss}"
    cfg = load_config(preset, [f"train.steps={steps}", f"train.seed={seed}", "train.progress=false",
                               f"train.device={device}", f"train.log_every={max(1, steps // 10)}",
                               f"train.sample_every={steps}", f"train.checkpoint_every={steps}"],
                      name=f"{preset}-s{seed}")
    cfg.out_dir = str(out_dir)
    start = time.perf_counter()
    run = Trainer(cfg, overwrite=True).fit()
    seconds = time.perf_counter() - start
    points = ganforge.load(run).sample(samples, seed=10_000 + seed)  # (samples, 2)
    centres, std = mode_centres(variant)
    result = toy2d_modes(points, centres, std)
    return {**result, "seconds": seconds}


def mean_std(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ± {format(statistics.stdev(values), fmt)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000, help="generator steps per run")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...) per loss")
    parser.add_argument("--variant", default="grid25", choices=["grid25", "ring8"])
    parser.add_argument("--losses", nargs="+", default=LOSSES, choices=LOSSES)
    parser.add_argument("--samples", type=int, default=2500, help="generated points counted per run")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    parser.add_argument("--out-dir", default=None, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(args.out_dir or tmp)
        rows = []
        for loss in args.losses:
            results = [run_one(args.variant, loss, args.steps, seed, args.samples, out_dir, args.device)
                       for seed in range(args.seeds)]
            modes_total = int(results[0]["modes_total"])
            rows.append((
                LABELS.get(loss, loss),
                mean_std([r["modes_hit"] for r in results], ".1f"),
                mean_std([100 * r["high_quality_rate"] for r in results], ".1f"),
                " ".join(str(int(r["modes_hit"])) for r in results),
                mean_std([r["seconds"] for r in results], ".0f"),
            ))
            print(f"done: {loss}", flush=True)

    print(f"\ntoy2d {args.variant}: {args.steps} G steps, {args.seeds} seed(s), {args.samples} samples counted; "
          f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print(f"| loss | modes covered (of {modes_total}) | high-quality samples % | modes per seed | train time s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
