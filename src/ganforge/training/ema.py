"""Exponential moving average of the generator's weights.

Sampling from an EMA of G (Karras et al. 2018; Yazici et al. 2019) averages
out the oscillation of adversarial training and gives visibly cleaner samples
for no training cost.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn


class EMA:
    """``shadow = d * shadow + (1 - d) * weights`` after every G step.

    ``d = min(decay, (1 + t) / (10 + t))`` with t the steps since ``start``:
    the warm-up of TensorFlow's ExponentialMovingAverage, so a short run's
    EMA is not mostly its random initialisation (0.999^300 = 0.74 of it
    would remain after 300 steps).  Buffers (batch-norm running statistics)
    are copied, not averaged.  Before ``start`` the shadow tracks the weights.
    """

    def __init__(self, model: nn.Module, decay: float, start: int = 0) -> None:
        self.decay, self.start = decay, start
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        t = step - self.start
        decay = min(self.decay, (1 + t) / (10 + t)) if t >= 0 else 0.0
        # One multi-tensor kernel each instead of a Python loop over every tensor.
        ema_params, params = list(self.shadow.parameters()), [p.detach() for p in model.parameters()]
        if ema_params:
            torch._foreach_lerp_(ema_params, params, 1.0 - decay)
        ema_buffers, buffers = list(self.shadow.buffers()), list(model.buffers())
        if ema_buffers:
            torch._foreach_copy_(ema_buffers, buffers)
