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


def set_lr(optimizer: torch.optim.Optimizer, cfg: OptimConfig, step: int, total_steps: int, scale: float = 1.0) -> float:
    """Set the learning rate for ``step`` from the schedule (times ``scale``, lowered by divergence rollbacks).

    Stateless apart from ``scale`` (saved in checkpoints), so resume needs nothing else.
    """
    lr = cfg.lr * scale * SCHEDULES.get(cfg.schedule)(step / max(total_steps, 1))
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr
