"""Weight initialisation."""

from __future__ import annotations

import torch.nn as nn


def dcgan_init(module: nn.Module) -> None:
    """Radford et al. 2015: conv / linear weights ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0.

    Apply with ``net.apply(dcgan_init)``.  Spectral-normalised layers keep the
    same init on their underlying weight.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        weight = module.parametrizations.weight.original if hasattr(module, "parametrizations") else module.weight
        nn.init.normal_(weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)):
        if module.weight is not None:
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
