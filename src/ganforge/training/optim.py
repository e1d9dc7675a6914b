"""Optimisers and learning-rate schedules, registered by name."""

from __future__ import annotations

import math
from typing import Callable, Iterable

import torch

from ganforge.config import OptimConfig
from ganforge.registry import Registry

OPTIMIZERS: Registry[Callable[[Iterable, OptimConfig], torch.optim.Optimizer]] = Registry("optimizer")
#: name -> fn(progress in [0, 1]) -> multiplier of the base learning rate.
SCHEDULES: Registry[Callable[[float], float]] = Registry("lr schedule")



def _fusable(params: list) -> bool:
    """Fused (one-kernel) optimiser steps: for float parameters on CPU or CUDA.

    Fused steps are faster (one kernel for all parameters instead of a loop)
    and can skip themselves on the device when a step's gradients are
    non-finite (``optimizer.found_inf``), which the divergence guard relies on.
    """
    return bool(params) and all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)


def _adam(cls):
    def build(params, o: OptimConfig):
        params = list(params)
        return cls(params, lr=o.lr, betas=tuple(o.betas), weight_decay=o.weight_decay, fused=_fusable(params) or None)
    return build


OPTIMIZERS.register("adam")(_adam(torch.optim.Adam))
OPTIMIZERS.register("adamw")(_adam(torch.optim.AdamW))
# WGAN (Arjovsky et al. 2017) found momentum-based optimisers unstable with clipping: RMSprop.
OPTIMIZERS.register("rmsprop")(lambda p, o: torch.optim.RMSprop(p, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay))


@OPTIMIZERS.register("sgd")
def _sgd(params, o: OptimConfig):
    params = list(params)
    return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay, fused=_fusable(params) or None)

SCHEDULES.register("constant")(lambda progress: 1.0)
SCHEDULES.register("linear")(lambda progress: max(0.0, 1.0 - progress))
SCHEDULES.register("cosine")(lambda progress: 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))
# pix2pix / CycleGAN (Zhu et al. 2017): the base rate for the first half of training, then linearly to 0.
SCHEDULES.register("constant-then-linear")(lambda progress: min(1.0, max(0.0, 2.0 * (1.0 - progress))))


def build_optimizer(params: Iterable, cfg: OptimConfig) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(cfg.name)(params, cfg)


def scheduled_lr(cfg: OptimConfig, step: int, total_steps: int, scale: float = 1.0) -> float:
    """The learning rate at ``step`` from the schedule (times ``scale``, lowered by divergence rollbacks)."""
    return cfg.lr * scale * SCHEDULES.get(cfg.schedule)(step / max(total_steps, 1))


def write_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Every param group's lr := ``lr``; a tensor lr (read on the device by a captured step) is filled in place."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr


def set_lr(optimizer: torch.optim.Optimizer, cfg: OptimConfig, step: int, total_steps: int, scale: float = 1.0) -> float:
    """Set the learning rate for ``step`` from the schedule (times ``scale``, lowered by divergence rollbacks).

    Stateless apart from ``scale`` (saved in checkpoints), so resume needs nothing else.
    """
    lr = scheduled_lr(cfg, step, total_steps, scale)
    write_lr(optimizer, lr)
    return lr


def use_tensor_lr(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Make every param group's lr a 0-dim float tensor on ``device``, so a CUDA graph that captured the
    optimiser step reads the current value instead of the one baked in at capture (fused Adam takes either)."""
    for group in optimizer.param_groups:
        value = group["lr"]
        if not (isinstance(value, torch.Tensor) and value.device == device):
            group["lr"] = torch.tensor(float(value), dtype=torch.float32, device=device)


def plain_state_dict(optimizer: torch.optim.Optimizer) -> dict:
    """``optimizer.state_dict()`` with float learning rates and ``capturable`` off: checkpoints load anywhere
    (a CUDA-graph run keeps tensor lrs and capturable groups; a CPU resume must not inherit them)."""
    state = optimizer.state_dict()
    for group in state["param_groups"]:
        if isinstance(group.get("lr"), torch.Tensor):
            group["lr"] = float(group["lr"])
        if group.get("capturable"):
            group["capturable"] = False
    return state


class LearningRates:
    """Sets each optimiser group's scheduled lr before a step, touching the optimiser only when the value changes.

    A constant schedule writes once per run instead of once per step (and a
    tensor lr is not refilled, a device launch each time).  ``forget()`` after
    anything that replaces the optimisers' param groups (loading a checkpoint).
    """

    def __init__(self, optimizers: dict[str, torch.optim.Optimizer], configs: dict[str, OptimConfig]) -> None:
        self.optimizers, self.configs = optimizers, configs
        self.current: dict[str, float] = {}

    def apply(self, step: int, total_steps: int, scale: float = 1.0) -> None:
        for group, optimizer in self.optimizers.items():
            lr = scheduled_lr(self.configs[group], step, total_steps, scale)
            if self.current.get(group) != lr:
                write_lr(optimizer, lr)
                self.current[group] = lr

    def forget(self) -> None:
        self.current = {}
