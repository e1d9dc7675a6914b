"""Normalisation choices and spectral norm, selectable by name from a config."""

from __future__ import annotations

from typing import Callable

import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.registry import Registry

#: name -> factory(channels, dims) for feature maps (dims=2) or vectors (dims=1).
NORMS: Registry[Callable[[int, int], nn.Module]] = Registry("normalisation")

NORMS.register("none")(lambda channels, dims: nn.Identity())
NORMS.register("batch")(lambda channels, dims: nn.BatchNorm2d(channels) if dims == 2 else nn.BatchNorm1d(channels))
# Layer norm over (C, H, W) written as GroupNorm with one group: no batch
# statistics, so it is safe in a WGAN-GP critic (Gulrajani et al. 2017, sec. 4).
NORMS.register("layer")(lambda channels, dims: nn.GroupNorm(1, channels) if dims == 2 else nn.LayerNorm(channels))
NORMS.register("instance")(lambda channels, dims: nn.InstanceNorm2d(channels, affine=True) if dims == 2 else nn.Identity())


def make_norm(name: str, channels: int, dims: int = 2) -> nn.Module:
    """A normalisation layer by name (see ``NORMS``)."""
    return NORMS.get(name)(channels, dims)


def maybe_spectral_norm(layer: nn.Module, enabled: bool) -> nn.Module:
    """Wrap ``layer`` in spectral normalisation (Miyato et al. 2018) when ``enabled``."""
    return spectral_norm(layer) if enabled else layer
