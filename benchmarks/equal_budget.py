"""Presets at an equal wall-clock budget, then evaluated: the quality each buys in N CPU minutes.

    python benchmarks/equal_budget.py --presets mnist-gan mnist-dcgan mnist-wgan-gp --minutes 3 --parallel 2
    python benchmarks/equal_budget.py --presets fashion-dcgan fashion-wgan-gp fashion-lsgan fashion-sngan --minutes 7

Each preset runs as ``ganforge train --preset P --set train.steps=10000000``
and is stopped with SIGINT (Ctrl-C) when its time is up; the trainer writes a
checkpoint at the step it reached.  Then ``ganforge eval RUN --n N`` scores
that checkpoint against the real test split.  Runs go to ``--out`` (kept).
Each process uses ``--threads`` CPU threads; with ``--parallel`` runs at once,
give each as many threads as cores / parallel so the budget is fair.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

COLUMNS = ["fid", "kid_mean", "precision", "recall", "density", "coverage", "is_mean", "class_kl"]


def train_for(preset: str, seconds: float, out: Path, threads: int) -> Path:
    """Train ``preset`` for ``seconds`` of wall clock, stop it with SIGINT; returns the run directory."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "ganforge.cli", "train", "--preset", preset, "--name", preset, "--overwrite",
           "--out-dir", str(out), "--set", "train.steps=10000000", "--set", "train.progress=false"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # the trainer checkpoints and exits
        proc.wait(timeout=300)
    if proc.returncode not in (0, 130):
        raise RuntimeError(f"{preset}: training failed ({proc.returncode}): {proc.stderr.read()[-2000:]}")
    return out / preset


def evaluate(run: Path, n: int, threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-m", "ganforge.cli", "eval", str(run), "--n", str(n)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((run / "eval.json").read_text())


def last_step(run: Path) -> int:
    """The step of the checkpoint written at the stop ("step_000150" -> 150)."""
    return int((run / "checkpoints" / "latest").read_text().strip().removeprefix("step_"))


def one(preset: str, args: argparse.Namespace) -> tuple[str, int, dict]:
    run = train_for(preset, args.minutes * 60, Path(args.out), args.threads)
    return preset, last_step(run), evaluate(run, args.n, args.threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", required=True)
    parser.add_argument("--minutes", type=float, default=3.0, help="wall-clock training budget per preset")
    parser.add_argument("--n", type=int, default=5000, help="generated samples for ganforge eval")
    parser.add_argument("--parallel", type=int, default=1, help="presets trained at once")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per process")
    parser.add_argument("--out", default="benchmarks/results/equal-budget")
    args = parser.parse_args()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        rows = list(pool.map(lambda p: one(p, args), args.presets))
    print(f"# {args.minutes:g} min of training per preset, {args.parallel} at once, {args.threads} thread(s) each; "
          f"ganforge eval --n {args.n}; {time.perf_counter() - start:.0f} s in all")
    print("| preset | G steps reached | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for preset, steps, scores in rows:
        metrics = scores.get("metrics", scores)
        cells = [f"{metrics[c]:.4g}" if isinstance(metrics.get(c), (int, float)) else "—" for c in COLUMNS]
        print(f"| {preset} | {steps} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
