"""Mode coverage on the toy2d grid of 25 (or ring of 8) Gaussians: each loss, with and without the remedies.

    python benchmarks/toy2d_modes.py --threads 1                            # grid25, every preset, 3 seeds
    python benchmarks/toy2d_modes.py --variant ring8 --threads 1
    # BENCHMARKS.md's issue-15 table: the tuned recipes, scored halfway and at the end of their lr decay
    python benchmarks/toy2d_modes.py --variant ring8 grid25 --presets nonsaturating --early 0.5 --threads 1
    # ... and the minimax collapse contrast and packing
    python benchmarks/toy2d_modes.py --variant ring8 grid25 --presets gan nonsaturating --remedies none pack2 --threads 1
    python benchmarks/toy2d_modes.py --presets nonsaturating --remedies none pack2 mbstd --threads 1
    python benchmarks/toy2d_modes.py --steps 200 --early 100 --seeds 1      # a quick smoke run
    python benchmarks/toy2d_modes.py --parallel 3 --threads 1               # 3 runs at once, 1 thread each
    python benchmarks/toy2d_modes.py --first-seed 2 --seeds 1               # only seed 2 (split seeds over machines)
    python benchmarks/toy2d_modes.py --presets nonsaturating --set model.z_dim=8 --seeds 1   # screen a setting

Each row trains the ``toy2d-<variant>-<preset>`` preset (its loss with its
paper's optimiser, critic steps and stabiliser) with a *remedy* switched on
by config overrides (``REMEDIES``: none, PacGAN packing, ProGAN minibatch
std), for the preset's own number of G steps unless ``--steps`` is given,
once per seed.  The run is scored at an early checkpoint (``--early``: how
fast the loss finds the modes; a fraction of the run when below 1) and at
its end (where it ends): ``--samples`` points (PacGAN uses 2,500) drawn from
G are counted with the standard rule
(``ganforge.metrics.modes.toy2d_modes``; VEEGAN / PacGAN): a sample is high
quality within 3 std of its nearest centre, a mode is covered when it gets at
least one high-quality sample, and the reverse KL is KL(histogram of the
high-quality samples over the modes || uniform), as in PacGAN's code.
Prints a markdown table of mean ± std over the seeds and writes every run's
numbers to ``--json`` when given (keys ``variant/preset/remedy``).  ``--set``
adds config overrides to every run (to screen a setting before it goes into
a preset).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import torch

import ganforge
from ganforge.presets import load_config
from ganforge.data.toy2d import mode_centres
from ganforge.files import write_text_atomic
from ganforge.metrics.modes import toy2d_modes
from ganforge.training.trainer import Trainer

from machine import cpu_name  # benchmarks/machine.py: the CPU every result names

PRESET_DIR = Path(ganforge.__file__).parent / "presets"
# remedy name -> config overrides; packing keeps the batch size (D sees batch / pack packs).
REMEDIES = {
    "none": [],
    "pack2": ["model.pack=2"],
    "pack4": ["model.pack=4"],
    "mbstd": ["model.d.minibatch_std=4"],
}
METRICS = (("modes_hit", ".1f", 1.0), ("high_quality_rate", ".1f", 100.0), ("reverse_kl", ".2f", 1.0))


def presets_of(variant: str) -> list[str]:
    """The preset suffixes X of every ``toy2d-<variant>-X.yaml``, e.g. "gan", "nonsaturating"."""
    prefix = f"toy2d-{variant}-"
    return sorted(p.stem[len(prefix):] for p in PRESET_DIR.glob(f"{prefix}*.yaml"))


def run_one(variant: str, preset: str, remedy: str, args, seed: int, out_dir: Path) -> dict:
    """Train one seed; returns {"early": metrics, "end": metrics, "seconds", "cpu_seconds", "steps"}.

    ``cpu_seconds`` is this process's CPU time for the training (``time.process_time``; with
    ``--threads 1`` it is the budget on one core, whatever else shares the machine); ``seconds`` is wall time.
    """
    name = f"toy2d-{variant}-{preset}"
    cfg = load_config(name, [f"train.seed={seed}", "train.progress=false", f"train.device={args.device}",
                             "train.precision=fp32", *REMEDIES[remedy], *args.set], name=f"{name}-{remedy}-s{seed}")
    steps = args.steps or cfg.train.steps
    early = early_step(args.early, steps)
    cfg.train.steps, cfg.train.checkpoint_every, cfg.train.sample_every = steps, early, steps
    cfg.train.log_every, cfg.train.keep_checkpoints = max(1, steps // 10), steps // early + 1
    cfg.out_dir = str(out_dir)
    start, cpu_start = time.perf_counter(), time.process_time()
    run = Trainer(cfg, overwrite=True).fit()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    centres, std = mode_centres(variant)
    score = lambda which: toy2d_modes(  # noqa: E731
        ganforge.load(run, checkpoint=which).sample(args.samples, seed=10_000 + seed), centres, std)
    return {"early": score(f"step_{early:06d}"), "end": score("latest"), "seconds": seconds,
            "cpu_seconds": cpu_seconds, "steps": steps, "early_step": early}


def early_step(early: float, steps: int) -> int:
    """The G step of the early score: ``early`` itself, or that fraction of ``steps`` when below 1 (0.5: halfway).

    A fraction lets one command score presets of different lengths at the same point of their lr decay.
    """
    step = round(early * steps) if early < 1 else int(early)
    return max(1, min(step, steps))


def mean_std(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ± {format(statistics.stdev(values), fmt)}"


def row(variant: str, preset: str, remedy: str, results: list[dict]) -> str:
    """One markdown row: early and end metrics (mean ± std over seeds), end modes per seed, CPU and wall time."""
    total = int(results[0]["end"]["modes_total"])
    cells = [f"{variant} ({total} modes)", preset, remedy, str(results[0]["early_step"]), str(results[0]["steps"])]
    for when in ("early", "end"):
        cells += [mean_std([scale * r[when][key] for r in results], fmt) for key, fmt, scale in METRICS]
    cells += [" ".join(str(int(r["end"]["modes_hit"])) for r in results),
              mean_std([r["cpu_seconds"] for r in results], ".0f"), mean_std([r["seconds"] for r in results], ".0f")]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", nargs="+", default=["grid25"], choices=["grid25", "ring8"],
                        help="data set(s); each row runs on one")
    parser.add_argument("--presets", nargs="+", default=None,
                        help="preset suffixes (default: every toy2d-<variant>-*.yaml of each variant)")
    parser.add_argument("--remedies", nargs="+", default=["none"], choices=list(REMEDIES))
    parser.add_argument("--steps", type=int, default=0, help="G steps per run (0: each preset's own)")
    parser.add_argument("--early", type=float, default=2000,
                        help="G step of the early score, or a fraction of each run's steps when below 1 (0.5: halfway)")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds per row")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed, first-seed + 1, ... (to split one row's seeds over processes)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config overrides for every run, after the remedy's (e.g. train.batch_size=128)")
    parser.add_argument("--samples", type=int, default=2500, help="generated points counted per score")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads per run (0 = torch's default)")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once, each in its own process")
    parser.add_argument("--out-dir", default=None, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="write every run's numbers to this file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = range(args.first_seed, args.first_seed + args.seeds)

    rows, raw = [], {}
    cells = [(variant, preset, remedy) for variant in args.variant for preset in args.presets or presets_of(variant)
             for remedy in args.remedies]
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(
            args.parallel, mp_context=multiprocessing.get_context("spawn"),
            initializer=torch.set_num_threads, initargs=(args.threads or torch.get_num_threads(),)) as pool:
        out_dir = Path(args.out_dir or tmp)
        futures = {pool.submit(run_one, *cell, args, seed, out_dir): (*cell, seed) for cell in cells for seed in seeds}
        for future in as_completed(futures):  # one line per run as it ends, so a long benchmark shows its progress
            variant, preset, remedy, seed = futures[future]
            print(json.dumps({"variant": variant, "preset": preset, "remedy": remedy, "seed": seed, **future.result()}),
                  flush=True)
        done = {key: future.result() for future, key in futures.items()}
        for cell in cells:
            results = [done[(*cell, seed)] for seed in seeds]
            rows.append(row(*cell, results))
            raw["/".join(cell)] = results

    print(f"\ntoy2d {' '.join(args.variant)}: seeds {seeds.start}-{seeds.stop - 1}, {args.samples} samples counted; "
          f"{cpu_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads"
          + (f"; overrides: {' '.join(args.set)}" if args.set else "") + "\n")
    print("| data | preset | remedy | early step | end step | early modes | early HQ % | early rKL "
          "| end modes | end HQ % | end rKL | end modes per seed | train CPU s | train wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.json:
        write_text_atomic(Path(args.json), json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
