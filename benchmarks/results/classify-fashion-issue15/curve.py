"""One seed of ``run_method`` (the protocol of benchmarks/classify.py) plus a diagnostic accuracy curve.

    OMP_NUM_THREADS=1 python benchmarks/results/classify-fashion-issue15/curve.py --labels 100 --method ssl-gan \
        --seed 0 --steps 4000 --set unsup_augment=true --set consistency_weight=1.0 --tag pl95

Appends one JSON line to runs.jsonl next to this file: the final test accuracy
(the number that counts, measured once on the final net by ``run_method``),
the steps, the CPU seconds of training, and a curve of the weight-averaged
net's test accuracy every ``--every`` steps.  The curve is a diagnostic only:
a point at step k of an N-step run is not a k-step run (the lr decay has not
happened yet).  Its evaluations use no random numbers (noise layers are off in
eval mode) and work on a copy of the net, so the training run is the same
maths as without them; their CPU seconds are measured and subtracted
(``cpu_s`` = fit CPU - curve CPU).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks/ (machine.py)
from ganforge.classify import options_for, run_method  # noqa: E402
from ganforge.classify.base import WeightAverage, accuracy  # noqa: E402
from ganforge.config import DataConfig  # noqa: E402
from ganforge.data import load_dataset  # noqa: E402
from machine import cpu_name  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--labels", type=int, required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--every", type=int, default=1000)
    p.add_argument("--tag", default="")
    args = p.parse_args()
    torch.set_num_threads(1)
    train = load_dataset(DataConfig(source=args.dataset, split="train"))
    test = load_dataset(DataConfig(source=args.dataset, split="test"))
    opts = options_for(args.method, args.set, steps=args.steps)
    curve, eval_cpu = [], [0.0]
    update = WeightAverage.update

    def update_and_measure(self, net):  # the evaluated net: D's weight average, on a copy
        update(self, net)
        if self.t % args.every == 0:
            c0 = time.process_time()
            acc = accuracy(self.copy_to(copy.deepcopy(net)), test.x, test.y)
            eval_cpu[0] += time.process_time() - c0
            curve.append([self.t, acc])
            print(f"  step {self.t}: averaged net {acc:.4f}", file=sys.stderr, flush=True)

    WeightAverage.update = update_and_measure
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    r = run_method(train, test, args.method, args.labels, args.seed, opts, log=log)
    row = {"dataset": args.dataset, "labels": args.labels, "method": args.method, "tag": args.tag, "seed": args.seed,
           "set": args.set, "acc": r.test_accuracy, "steps": r.steps, "cpu_s": r.cpu_s - eval_cpu[0],
           "curve_cpu_s": eval_cpu[0], "wall_s": r.wall_s, "labels_read": r.labels_read, "curve": curve,
           "machine": cpu_name(), "threads": torch.get_num_threads()}
    with open(Path(__file__).with_name("runs.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
