"""PatchGAN discriminator (Isola et al. 2017): a map of logits, one per overlapping image patch.

C64 (no norm) - C128 - ... stride-2 4x4 convs for ``n_layers`` stages (widths
``width * 2^i`` capped at ``8 * width``), one stride-1 4x4 conv, then a
stride-1 4x4 conv to one channel.  Each output logit sees a square patch of
:func:`receptive_field` pixels (70 for ``n_layers=3``, the paper's "70x70
PatchGAN"): D judges local texture and the L1 / cycle loss takes care of the
low frequencies.  Losses average over the map.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.nn import dcgan_init, make_norm, maybe_spectral_norm


class PatchDiscriminator(nn.Module):
    """Images (B, in_channels, H, W) -> logits (B, 1, H', W'), H' ~ H / 2^n_layers - 2."""

    def __init__(self, in_channels: int, *, width: int = 64, n_layers: int = 3, norm: str = "instance",
                 spectral_norm: bool = False) -> None:
        super().__init__()
        if n_layers < 1:
            raise GanforgeError(f"recipe.d.n_layers must be >= 1, got {n_layers}; 3 gives the paper's 70x70 patches.")
        sn = lambda layer: maybe_spectral_norm(layer, spectral_norm)  # noqa: E731
        widths = [min(width * 2**i, 8 * width) for i in range(n_layers + 1)]
        layers = [sn(nn.Conv2d(in_channels, widths[0], 4, 2, 1)), nn.LeakyReLU(0.2)]
        for i in range(1, n_layers + 1):
            stride = 2 if i < n_layers else 1  # the last stage keeps resolution (pix2pix's layout)
            layers += [sn(nn.Conv2d(widths[i - 1], widths[i], 4, stride, 1)), make_norm(norm, widths[i]), nn.LeakyReLU(0.2)]
        layers.append(sn(nn.Conv2d(widths[-1], 1, 4, 1, 1)))
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def receptive_field(net: nn.Module) -> int:
    """Side in pixels of the input square one output unit of a plain conv stack sees.

    Walks the Conv2d layers from the output back: r <- (r - 1) * stride + kernel.
    """
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    field = 1
    for conv in reversed(convs):
        field = (field - 1) * conv.stride[0] + conv.kernel_size[0]
    return field
