"""Normalisation choices, spectral norm and minibatch std, selectable from a config."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.errors import GanforgeError
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


def _group_size(batch: int, wanted: int) -> int:
    """The largest divisor of ``batch`` that is at most ``wanted``: ProGAN needs equal groups."""
    for g in range(min(wanted, batch), 0, -1):
        if batch % g == 0:
            return g
    return 1


class MinibatchStd(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, ProGAN sec. 3): (B, C, *S) -> (B, C + num_features, *S).

    Why: D sees a statistic of a whole group of samples, so a generator that
    puts its samples in a few modes (low spread across the batch) is easy to
    tell from the data.  The batch is split into groups of ``group_size``
    samples (sample i goes to group i mod B/group_size, as in ProGAN's code);
    for each group the std over its members of every feature (and position) is
    averaged into ``num_features`` numbers (one per slice of C / num_features
    channels), which are appended to every member's input as constant extra
    channels (or features, for vectors (B, C)).  When B is not a multiple of
    ``group_size`` the largest smaller divisor of B is used.
    """

    def __init__(self, group_size: int = 4, num_features: int = 1) -> None:
        super().__init__()
        if int(group_size) < 2 or int(num_features) < 1:
            raise GanforgeError(f"Minibatch std needs a group size >= 2 and >= 1 feature, got {group_size} and "
                                f"{num_features}; ProGAN uses group size 4 and 1 feature.")
        self.group_size, self.num_features = int(group_size), int(num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
        f = self.num_features
        if c % f:
            raise GanforgeError(f"Minibatch std with {f} features needs channels divisible by {f}, got {c}; "
                                "use 1 feature.")
        g = _group_size(b, self.group_size)
        y = x.float().reshape(g, b // g, f, c // f, *spatial)  # (G, M, F, C/F, *S); member k of group m is row k*M + m
        # ProGAN's biased std, written out: torch's var(dim=0) is several times slower on CPU for this layout.
        std = ((y - y.mean(dim=0)).square().mean(dim=0) + 1e-8).sqrt()  # (M, F, C/F, *S)
        stat = std.flatten(2).mean(dim=2).to(x.dtype)  # (M, F)
        stat = stat.repeat(g, 1).view(b, f, *([1] * len(spatial)))  # row i gets group i mod M
        return torch.cat([x, stat.expand(b, f, *spatial)], dim=1)


def make_minibatch_std(group_size: int) -> nn.Module:
    """The ``minibatch_std`` option of the discriminators: a :class:`MinibatchStd` layer, or identity for 0 (off)."""
    if int(group_size) == 0:
        return nn.Identity()
    return MinibatchStd(group_size)


def minibatch_std_features(layer: nn.Module) -> int:
    """How many features ``layer`` (from :func:`make_minibatch_std`) appends: 0 when it is off."""
    return layer.num_features if isinstance(layer, MinibatchStd) else 0
