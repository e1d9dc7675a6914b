"""One comparison run: split, train a method, measure on the official test split.

``run_method`` is the whole protocol for one seed:

1. ``make_split`` chooses the balanced labelled subset from the training pool
   (the only place pool labels are read; see ``data.py``);
2. the method's ``fit(labelled_x, labelled_y, unlabelled_x)`` trains the
   classifier; it never receives the test split or any other label;
3. the final network (no early stopping, no model selection) is scored once
   on the official test split.

``run_seeds`` repeats it over seeds 0..n-1 and summarises mean and standard
deviation of the test accuracy and the CPU time (``time.process_time``: the
CPU seconds of this process, all threads, so it does not depend on how busy
the machine was).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ganforge.classify.base import METHODS, Context, accuracy, options_for
from ganforge.classify.data import Augment, make_split, num_classes_of
from ganforge.classify.model import ClassifierModel
from ganforge.classify.net import NetSpec
from ganforge.data.base import Dataset
from ganforge.errors import GanforgeError


@dataclass
class RunResult:
    """One seed's outcome."""

    method: str
    seed: int
    n_labels: int
    test_accuracy: float
    cpu_s: float
    wall_s: float
    labels_read: int  # pool labels looked at by the selection (chosen + set aside)
    steps: int = 0  # classifier steps taken (``steps``, or fewer where ``cpu_budget_s`` stopped the run)
    labelled_index: list = field(repr=False, default_factory=list)
    model: ClassifierModel | None = field(repr=False, default=None)

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("model")
        d.pop("labelled_index")
        return d


def net_spec_for(train: Dataset, net: dict | None = None) -> NetSpec:
    """The classifier for ``train``'s images and classes; ``net``: the other settings (arch, hidden / channels,
    noise), the chosen kind's defaults filling the rest."""
    c, h, w = train.sample_shape
    if h != w:
        raise GanforgeError(f"classify needs square images, got {h}x{w}; set a resolution for the data source.")
    fixed = {"in_channels": c, "resolution": h, "num_classes": num_classes_of(train)}
    spec = NetSpec.with_defaults({**(net or {}), **fixed})  # arch=cnn: the CNN's own noise defaults
    spec.check()
    return spec


def run_method(train: Dataset, test: Dataset, method: str, n_labels: int, seed: int, options=None,
               device: str | torch.device = "cpu", work_dir: Path | None = None,
               log: Callable[[str], None] | None = None, net: dict | None = None) -> RunResult:
    """Train ``method`` with ``n_labels`` labels chosen by ``seed``; score it on ``test``.

    ``options``: the method's Options, or overrides for them (list of "k=v" or a dict);
    ``net``: classifier settings other than the data-given shape (e.g. {"hidden": [500, 250]}, {"arch": "cnn"}).
    """
    opts = options if options is not None and not isinstance(options, (list, dict)) else options_for(method, options)
    cls = METHODS.get(method)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    split = make_split(train, n_labels, seed)
    ctx = Context(spec=net_spec_for(train, net), augment=Augment.for_source(train.source), class_names=list(train.class_names),
                  seed=seed, device=torch.device(device), work_dir=work_dir, log=log)
    trainer = cls(opts, ctx)
    net = trainer.fit(split.labelled_x, split.labelled_y, split.unlabelled_x)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    acc = accuracy(net, test.x, test.y)  # once, on the final network
    model = ClassifierModel(net.cpu().eval(), {
        "dataset": train.source, "method": method, "labels": n_labels, "seed": seed, "test_accuracy": acc,
        "class_names": list(train.class_names), "options": asdict(opts), "augment": trainer.augment.to_dict(),
        "steps": trainer.total_steps,
    })
    return RunResult(method, seed, n_labels, acc, cpu, wall, split.labels_read, trainer.total_steps,
                     split.labelled_index.tolist(), model)


def summarise(results: list[RunResult]) -> dict:
    """Mean / std (sample std; 0 for one seed) of test accuracy and CPU time over seeds."""
    accs = [r.test_accuracy for r in results]
    cpus = [r.cpu_s for r in results]
    std = statistics.stdev if len(results) > 1 else (lambda v: 0.0)
    return {
        "method": results[0].method, "labels": results[0].n_labels, "seeds": [r.seed for r in results],
        "test_accuracy_mean": statistics.fmean(accs), "test_accuracy_std": std(accs),
        "test_error_mean": 1.0 - statistics.fmean(accs),
        "cpu_s_mean": statistics.fmean(cpus), "cpu_s_std": std(cpus), "cpu_s_total": sum(cpus),
        "wall_s_total": sum(r.wall_s for r in results),
        "runs": [r.summary() for r in results],
    }


def run_seeds(train: Dataset, test: Dataset, method: str, n_labels: int, seeds: int | list[int], options=None,
              device: str | torch.device = "cpu", work_dir: Path | None = None,
              log: Callable[[str], None] | None = None, net: dict | None = None) -> tuple[dict, list[RunResult]]:
    """``run_method`` for each seed; returns (summary dict, per-seed results)."""
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    opts = options_for(method, options) if options is None or isinstance(options, (list, dict)) else options
    results = []
    for seed in seed_list:
        wd = Path(work_dir) / f"seed{seed}" if work_dir is not None else None
        result = run_method(train, test, method, n_labels, seed, opts, device, wd, log, net)
        if log:
            log(f"{method} labels={n_labels} seed={seed}: test accuracy {result.test_accuracy:.4f} "
                f"({result.cpu_s:.0f} CPU s)")
        results.append(result)
    return summarise(results), results
