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

OPTIMIZERS.register("adam")(lambda p, o: torch.optim.Adam(p, lr=o.lr, betas=tuple(o.betas), weight_decay=o.weight_decay))
OPTIMIZERS.register("adamw")(lambda p, o: torch.optim.AdamW(p, lr=o.lr, betas=tuple(o.betas), weight_decay=o.weight_decay))
# WGAN (Arjovsky et al. 2017) found momentum-based optimisers unstable with clipping: RMSprop.
OPTIMIZERS.register("rmsprop")(lambda p, o: torch.optim.RMSprop(p, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay))
OPTIMIZERS.register("sgd")(lambda p, o: torch.optim.SGD(p, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay))

SCHEDULES.register("constant")(lambda progress: 1.0)
SCHEDULES.register("linear")(lambda progress: max(0.0, 1.0 - progress))
SCHEDULES.register("cosine")(lambda progress: 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))


def build_optimizer(params: Iterable, cfg: OptimConfig) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(cfg.name)(params, cfg)


def set_lr(optimizer: torch.optim.Optimizer, cfg: OptimConfig, step: int, total_steps: int) -> float:
    """Set the learning rate for ``step`` from the schedule; stateless, so resume needs nothing saved."""
    lr = cfg.lr * SCHEDULES.get(cfg.schedule)(step / max(total_steps, 1))
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr
