"""The method interface, its registry, and the pieces every method shares.

A method is one file (``baseline.py``, ``ssl_gan.py``, ``gan_augment.py``)
holding a :class:`Method` subclass registered with ``@METHODS.register(name)``.
Its settings are the fields of its ``Options`` dataclass (``--set key=value``
on the command line).  ``fit`` receives **only** the labelled images, their
labels and the unlabelled images; it returns the trained
:class:`~ganforge.classify.net.ClassifierNet`.  Selection of the labelled
subset and evaluation on the test split happen outside (``experiment.py``),
so no method can see a label it was not given or the test set.

All methods share the classifier network, the optimiser (Adam, lr 3e-3,
beta1 0.5, as in Salimans et al.'s MNIST code), the schedule (constant, then
linear decay to 0 from ``decay_from`` of the steps: their MNIST code decays
over the last third of its 300 epochs),
the labelled-batch augmentation (shifts, plus the rotation and zoom of the
``rotate`` / ``scale`` / ``cutout`` options, off by default), and the weights they return: a running
average of the classifier's weights (the authors evaluate their
discriminator with such an average).  Nothing is selected on any score.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import torch

from ganforge.classify.data import Augment, to_model
from ganforge.classify.net import ClassifierNet, NetSpec, build_classifier
from ganforge.config import from_dict
from ganforge.presets import parse_override
from ganforge.errors import GanforgeError
from ganforge.metrics.accuracy import net_accuracy as accuracy  # noqa: F401 -- the one home; for classify's callers
from ganforge.registry import Registry

METHODS: Registry[type["Method"]] = Registry("classification method")

REPLAN_EVERY = 50  # steps between re-estimates of a CPU-budgeted run's length
BUDGET_STEP_CAP = 10**7  # a CPU budget given without a step count: the budget alone decides the steps


@dataclass
class Context:
    """What a method may know besides its three tensors: no labels, no test data."""

    spec: NetSpec  # the classifier to build (same for every method)
    augment: Augment  # the labelled-batch augmentation
    class_names: list[str]
    seed: int = 0
    device: torch.device = torch.device("cpu")
    work_dir: Path | None = None  # where a method may keep files (gan-augment: its GAN run)
    log: Callable[[str], None] | None = None  # progress lines; None = quiet


class Method(ABC):
    """Base class; subclasses set ``Options`` and implement :meth:`fit`."""

    @dataclass
    class Options:
        steps: int = 3000  # optimiser steps of the classifier
        batch_size: int = 100  # labelled images per step
        lr: float = 3e-3
        beta1: float = 0.5
        augment: bool = True  # shift (+ flip where valid) the labelled batches
        rotate: float = 0.0  # + random rotation of up to this many degrees (Augment.rotate); 0 = off
        scale: float = 0.0  # + random zoom by up to 1 +- scale (Augment.scale); 0 = off
        cutout: float = 0.0  # + a background square of this fraction of the image side (Augment.cutout); 0 = off
        ema: float = 0.999  # the returned classifier holds this running average of the weights; 0 = last weights
        decay_from: float = 2 / 3  # fraction of the steps after which the lr falls linearly to 0
        cpu_budget_s: float = 0.0  # > 0: take as many steps (at most ``steps``) as fit in this many CPU seconds

    def __init__(self, opts, ctx: Context) -> None:
        self.opts, self.ctx = opts, ctx
        self.total_steps = opts.steps  # the run's length; a CPU budget re-estimates it (training_steps)
        self.cpu0 = time.process_time()  # the budget counts from here: all of fit, data-dependent init included
        # the data set's shifts (+ flips) with this run's rotation and zoom: one augmentation for every batch
        self.augment = replace(ctx.augment, rotate=opts.rotate, scale=opts.scale, cutout=opts.cutout)

    @abstractmethod
    def fit(self, labelled_x: torch.Tensor, labelled_y: torch.Tensor, unlabelled_x: torch.Tensor) -> ClassifierNet:
        """labelled_x uint8 (n, C, H, W), labelled_y int64 (n,), unlabelled_x uint8 (M, C, H, W) -> trained net."""

    @classmethod
    def check_options(cls, opts) -> None:
        if opts.steps < 1 or opts.batch_size < 1:
            raise GanforgeError(f"steps and batch_size must be >= 1, got {opts.steps} and {opts.batch_size}.")
        if opts.lr <= 0 or not 0 <= opts.beta1 < 1:
            raise GanforgeError(f"lr must be > 0 and beta1 in [0, 1), got {opts.lr} and {opts.beta1}.")
        if not 0 <= opts.ema < 1:
            raise GanforgeError(f"ema must be in [0, 1) (0 = off), got {opts.ema}.")
        if not 0 <= opts.decay_from < 1:
            raise GanforgeError(f"decay_from must be in [0, 1) (0 = decay from the first step), got {opts.decay_from}.")
        if opts.rotate < 0 or not 0 <= opts.scale < 1:
            raise GanforgeError(f"rotate must be >= 0 degrees and scale in [0, 1) (0 = off), got {opts.rotate} and {opts.scale}.")
        if not 0 <= opts.cutout <= 1:
            raise GanforgeError(f"cutout must be in [0, 1] (a fraction of the image side; 0 = off), got {opts.cutout}.")
        if opts.cpu_budget_s < 0:
            raise GanforgeError(f"cpu_budget_s must be >= 0 (0 = no budget, run all the steps), got {opts.cpu_budget_s}.")

    # ---------------------------------------------------------------- helpers

    def log(self, text: str) -> None:
        if self.ctx.log:
            self.ctx.log(text)

    def build_net(self) -> ClassifierNet:
        return build_classifier(self.ctx.spec).to(self.ctx.device)  # the kind named by spec.arch (NETS)

    def optimizer(self, params) -> torch.optim.Optimizer:
        # fused: one kernel per step instead of a dozen passes over the weights (17% of an ssl-gan step
        # on a 1-thread CPU); the same update up to float rounding.
        return torch.optim.Adam(params, lr=self.opts.lr, betas=(self.opts.beta1, 0.999), fused=True)

    def lr_at(self, step: int) -> float:
        """lr for 0-based ``step``: constant until ``decay_from`` * steps, then linear to 0 at the end."""
        scale = min(1.0, (1.0 - step / self.total_steps) / (1.0 - self.opts.decay_from))
        return self.opts.lr * scale

    def set_lr(self, optimizers: list[torch.optim.Optimizer], step: int) -> None:
        for opt in optimizers:
            for group in opt.param_groups:
                group["lr"] = self.lr_at(step)

    def training_steps(self, optimizers: list[torch.optim.Optimizer]):
        """Yields the step indices 0, 1, ..., each with its lr set; the run has ``self.total_steps`` steps.

        Without a budget that is ``steps``.  With ``cpu_budget_s`` the total is re-estimated every
        REPLAN_EVERY steps from the CPU seconds (``time.process_time``: this process only, so other
        jobs on the machine do not count) the steps so far took, so that all of ``fit`` takes about
        the budget; ``steps`` is then the most it may take.  Re-estimates stop once the lr decay has
        started, so the decay still ends at 0 on the last step; the run is then the same as one with
        ``steps`` set to its final total (read it from ``total_steps``).
        """
        step, loop0 = 0, time.process_time()
        while step < self.total_steps:
            self.set_lr(optimizers, step)
            yield step
            step += 1
            if self.opts.cpu_budget_s > 0 and step % REPLAN_EVERY == 0 and step < self.opts.decay_from * self.total_steps:
                self.total_steps = self.steps_in_budget(step, loop0)

    def steps_in_budget(self, done: int, loop0: float) -> int:
        """Total steps that fit the CPU budget at the speed of the ``done`` steps since ``loop0``."""
        now = time.process_time()
        per_step = max(now - loop0, 1e-9) / done
        left = self.opts.cpu_budget_s - (now - self.cpu0)
        return max(done, min(self.opts.steps, done + int(left / per_step)))

    def log_every(self, step: int) -> bool:
        """True on about every tenth of the run (for progress lines)."""
        return (step + 1) % max(1, self.total_steps // 10) == 0

    def start(self, init_x: torch.Tensor, init_n: int = 500):
        """The seeded start of a supervised classifier: (generator, net, optimiser, weight average).

        The net's data-dependent init sees ``init_n`` images of ``init_x``;
        the order of random draws is fixed so that runs repeat exactly.
        """
        torch.manual_seed(self.ctx.seed)
        gen = torch.Generator().manual_seed(self.ctx.seed)
        net = self.build_net()
        net.init_from(self.init_batch(init_x, gen, init_n))
        return gen, net, self.optimizer(net.parameters()), WeightAverage(net, self.opts.ema)

    def init_batch(self, x: torch.Tensor, gen: torch.Generator, n: int = 500) -> torch.Tensor:
        """A random batch of up to n images (float on the device) for the weight-norm initialisation."""
        return to_model(x[torch.randperm(len(x), generator=gen)[:n]]).to(self.ctx.device)

    def labelled_batch(self, sampler: "BatchSampler", x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """An augmented labelled batch: (float (B, C, H, W) on the device, int64 (B,))."""
        index = sampler.next()
        xb = to_model(x[index]).to(self.ctx.device)
        if self.opts.augment:
            xb = self.augment(xb)
        return xb, y[index].to(self.ctx.device)


class WeightAverage:
    """Running average of a net's parameters (Polyak averaging; the authors evaluate their
    discriminator with such an average).  decay_t = min(decay, (1 + t) / (10 + t)), so early
    steps do not pin the average to the initial weights."""

    def __init__(self, net: torch.nn.Module, decay: float) -> None:
        self.decay, self.t = decay, 0
        self.avg = {k: v.detach().clone() for k, v in net.state_dict().items()} if decay > 0 else {}

    @torch.no_grad()
    def update(self, net: torch.nn.Module) -> None:
        if not self.avg:
            return
        self.t += 1
        d = min(self.decay, (1 + self.t) / (10 + self.t))
        for k, v in net.state_dict().items():
            if v.dtype.is_floating_point:
                self.avg[k].lerp_(v, 1.0 - d)
            else:
                self.avg[k].copy_(v)

    def copy_to(self, net: torch.nn.Module) -> torch.nn.Module:
        if self.avg:
            net.load_state_dict(self.avg)
        return net


class BatchSampler:
    """Epochs of a seeded random order over n items, ``batch_size`` indices at a time.

    Small sets are tiled (100 labels, batch 100: every step sees each labelled image once).
    """

    def __init__(self, n: int, batch_size: int, generator: torch.Generator) -> None:
        if n < 1:
            raise GanforgeError("No images to train on.")
        self.n, self.batch_size, self.gen = n, batch_size, generator
        self.order, self.pos = torch.empty(0, dtype=torch.long), 0

    def next(self) -> torch.Tensor:
        parts, need = [], self.batch_size
        while need:
            if self.pos >= len(self.order):
                self.order, self.pos = torch.randperm(self.n, generator=self.gen), 0
            take = self.order[self.pos : self.pos + need]
            parts.append(take)
            self.pos += len(take)
            need -= len(take)
        return torch.cat(parts)


def options_for(name: str, overrides: list[str] | dict | None = None, steps: int | None = None,
                cpu_budget: float | None = None):
    """The Options of method ``name`` with ``key=value`` overrides (and --steps, --cpu-budget), checked.

    A ``cpu_budget`` without ``steps`` lifts the step count to BUDGET_STEP_CAP, so the budget decides.
    """
    cls = METHODS.get(name)
    values: dict = {}
    if isinstance(overrides, dict):
        values.update(overrides)
    else:
        for text in overrides or []:
            path, value = parse_override(text)
            values[".".join(path)] = value
    if steps is not None:
        values["steps"] = steps
    if cpu_budget is not None:
        values["cpu_budget_s"] = cpu_budget
        values["steps"] = BUDGET_STEP_CAP if steps is None else steps
    opts = from_dict(cls.Options, values, where=name)
    cls.check_options(opts)
    return opts

