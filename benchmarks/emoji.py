"""Emoji generators at an equal CPU-time budget, scored in the emoji extractor's feature space.

    python benchmarks/emoji.py --runs emoji-dcgan emoji-fastgan --cpu-minutes 6 --out runs/emoji-bench
    python benchmarks/emoji.py --runs emoji-fastgan "fastgan-g8=emoji-fastgan,model.g.width=8" --cpu-minutes 6
    python benchmarks/emoji.py --floor-only
    python benchmarks/emoji.py --class-acc runs/emoji-cond --n-per-class 200

Each run is ``NAME=PRESET[,key=value,...]`` (or just a preset name) and
trains as ``ganforge train`` with one CPU thread, all runs at the same time.
A run is stopped with SIGINT (the trainer checkpoints and exits) once *its
own process* has used ``--cpu-minutes`` of CPU time (user + system, read
from /proc), so runs get equal compute even on a shared, oversubscribed
machine where wall-clock budgets would not be fair.  Then ``ganforge eval
RUN --n N`` scores the checkpoint against all real emoji (the source has no
test split) with the committed ``emoji`` extractor.

The floor (``--floor``): a stratified random half of the real emoji scored
against the other half with the same metrics -- what a perfect generator
would get with ~1,900 samples a side.  Results go to ``--out``/results.json
and a markdown table is printed.

``--class-acc RUN`` (a conditional run, e.g. ``emoji-fastgan-cond``): the
emoji extractor's accuracy at recognising the *requested* group, overall and
per group, on ``--n-per-class`` samples of each group (the same sampling as
``ganforge eval --metrics class_acc``: class blocks, one seed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_budget import (  # noqa: E402 -- benchmarks/cpu_budget.py: the CPU-budget protocol, written once
    ONE_THREAD, checkpoint_step, cpu_seconds, evaluate, parse_run, train_command, wait_or_kill)

from ganforge.files import write_text_atomic  # noqa: E402

COLUMNS = ["fid", "kid_mean", "precision", "recall", "density", "coverage"]


def start(name: str, preset: str, sets: list[str], out: Path, seed: int) -> subprocess.Popen:
    """``ganforge train`` of one run at one thread, in the background, logging to OUT/NAME.log."""
    log = open(out / f"{name}.log", "w")  # noqa: SIM115 -- closed with the process
    return subprocess.Popen(train_command(preset, sets, name, out, seed), env=dict(os.environ, **ONE_THREAD),
                            stdout=log, stderr=subprocess.STDOUT, text=True)


def train_all(runs: list[tuple[str, str, list[str]]], budget_s: float, out: Path, seed: int,
              wall_cap_s: float) -> dict[str, dict]:
    """Start every run at once; SIGINT each when its CPU time reaches ``budget_s``; -> {name: timing}.

    A run whose own ``train.steps`` comes first (``optim_*.schedule: linear`` set to end at the budget)
    exits by itself and is scored at its last step, ``"finished": true`` and its CPU seconds in its timing.
    """
    procs = {name: start(name, preset, sets, out, seed) for name, preset, sets in runs}
    began, used, stopped = time.time(), {}, {}
    while len(stopped) < len(procs):
        time.sleep(2)
        for name, proc in procs.items():
            if name in stopped:
                continue
            if proc.poll() is not None:  # it reached its own train.steps (an lr schedule ending inside the budget)
                if proc.returncode != 0:
                    raise RuntimeError(f"{name} exited early ({proc.returncode}); see {out / (name + '.log')}")
                stopped[name] = {"cpu_s": round(used.get(name, 0.0), 1), "wall_s": round(time.time() - began, 1),
                                 "finished": True}  # cpu_s: the last reading, <= 2 s before it exited
                continue
            used[name] = cpu_seconds(proc.pid)
            if used[name] >= budget_s or time.time() - began > wall_cap_s:
                proc.send_signal(signal.SIGINT)  # the trainer writes a checkpoint at this step and exits
                stopped[name] = {"cpu_s": round(used[name], 1), "wall_s": round(time.time() - began, 1)}
    for name, proc in procs.items():
        wait_or_kill(proc, name)
        stopped[name]["step"] = checkpoint_step(out / name)
    return stopped


def floor(seed: int) -> dict:
    """A stratified half of the real emoji against the other half, in the emoji extractor's space."""
    import torch

    from ganforge.config import DataConfig
    from ganforge.data import load_dataset
    from ganforge.metrics.extractor import load_extractor
    from ganforge.metrics.extractor_training import _holdout
    from ganforge.metrics.fid import fid
    from ganforge.metrics.kid import kid
    from ganforge.metrics.prdc import prdc

    torch.set_num_threads(1)
    data = load_dataset(DataConfig(source="emoji", resolution=64))
    a, b = _holdout(data.y, 0.5, seed)
    feats_a, feats_b = (load_extractor("emoji").features(data.x[idx]) for idx in (a, b))
    values = {"fid": fid(feats_a, feats_b), **kid(feats_a, feats_b, subset_size=min(1000, len(b))),
              **prdc(feats_a, feats_b)}
    return {k: float(v) for k, v in values.items()} | {"sizes": [len(a), len(b)]}


def class_accuracy_by_group(run: Path, n_per_class: int, seed: int) -> dict[str, float]:
    """{"class_acc": overall, "class_acc/<group>": ...}: how often the extractor names the group G was asked for."""
    import torch

    import ganforge
    from ganforge.data.base import class_blocks
    from ganforge.metrics.extractor import load_extractor

    torch.set_num_threads(1)
    model = ganforge.load(run)
    requested = class_blocks(model.num_classes, n_per_class)  # (K * n,): group 0 n times, group 1 n times, ...
    hits = load_extractor("emoji").probs(model.sample(len(requested), seed=seed, labels=requested)).argmax(1) == requested
    out = {"class_acc": float(hits.float().mean())}
    for k, name in enumerate(model.class_names):
        out[f"class_acc/{name}"] = float(hits[requested == k].float().mean())
    return out


def table(results: dict) -> str:
    rows = ["| run | CPU s | steps | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 3) + "|"]
    for name, r in results.items():
        m = r["metrics"]
        rows.append(f"| {name} | {r.get('cpu_s', '-')} | {r.get('step', '-')} | "
                    + " | ".join(f"{m[c]:.4g}" if c in m else "-" for c in COLUMNS) + " |")
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="*", default=["emoji-dcgan", "emoji-fastgan"],
                   help="NAME=PRESET[,key=value,...] or PRESET, trained at the same time")
    p.add_argument("--cpu-minutes", type=float, default=6.0, help="CPU time each run may use")
    p.add_argument("--wall-cap-minutes", type=float, default=90.0, help="stop every run after this wall time anyway")
    p.add_argument("--n", type=int, default=3878, help="generated samples per evaluation (default: as many as real)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/emoji-bench")
    p.add_argument("--floor", action="store_true", help="also score real half vs real half")
    p.add_argument("--floor-only", action="store_true")
    p.add_argument("--class-acc", metavar="RUN", help="only: per-group class accuracy of a conditional run")
    p.add_argument("--n-per-class", type=int, default=200, help="samples per group for --class-acc")
    args = p.parse_args()
    if args.class_acc:
        print(json.dumps(class_accuracy_by_group(Path(args.class_acc), args.n_per_class, args.seed), indent=2))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    if not args.floor_only:
        runs = [parse_run(spec) for spec in args.runs]
        timings = train_all(runs, args.cpu_minutes * 60, out, args.seed, args.wall_cap_minutes * 60)
        for name, *_ in runs:
            results[name] = {**timings[name], "metrics": evaluate(out / name, args.n)}
    if args.floor or args.floor_only:
        results["real half vs half (floor)"] = {"metrics": floor(args.seed)}
    write_text_atomic(out / "results.json", json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
