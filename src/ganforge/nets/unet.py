"""U-Net translator (Isola et al. 2017, pix2pix) for square images of any power of two from 32 up.

Encoder: stride-2 4x4 convs down to a 1x1 bottleneck, widths ``width * 2^i``
capped at ``8 * width``; LeakyReLU(0.2) before each conv, a norm after each
but the first and the bottleneck (a 1x1 map has no spatial statistics).
Decoder: the mirror image with ReLU, x2 upsampling and a skip connection
concatenating the encoder map of the same size, so low-level structure (edges)
flows straight to the output.  Dropout on the three innermost decoder layers
is pix2pix's noise source; it is off in ``eval()``, so a loaded model
translates deterministically.

The default norm is instance norm, not the authors' batch norm: batch norm
in eval mode (running statistics) gives visibly worse test images
(CycleGAN issue #1329), instance norm behaves the same in train and eval.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.nets.translation import TRANSLATORS, UPSAMPLES, upsample_conv
from ganforge.nn import dcgan_init, make_norm

MIN_SIZE = 32
DROPOUT_LAYERS = 3  # innermost decoder layers with dropout (pix2pix)


def unet_depth(size: int) -> int:
    """Stride-2 stages from ``size`` down to 1x1; ``size`` must be a power of two >= 32."""
    if size < MIN_SIZE or size & (size - 1):
        raise GanforgeError(f"The U-Net needs a power-of-two image size of at least {MIN_SIZE}, got {size}; "
                            "set data.resolution to 32, 64, 128 or 256.")
    return size.bit_length() - 1


@TRANSLATORS.register("unet")
class UNetTranslator(nn.Module):
    """Images (B, in_channels, S, S) in [-1, 1] -> images (B, out_channels, S, S) in [-1, 1]."""

    def __init__(self, in_channels: int, out_channels: int, size: int, *, width: int = 64, norm: str = "instance",
                 dropout: float = 0.5, upsample: str = "resize") -> None:
        super().__init__()
        if upsample not in UPSAMPLES:
            raise GanforgeError(f"recipe.g.upsample must be one of {', '.join(UPSAMPLES)}, got {upsample!r}.")
        depth = unet_depth(size)
        widths = [min(width * 2**i, 8 * width) for i in range(depth)]
        self.downs = nn.ModuleList([nn.Conv2d(in_channels, widths[0], 4, 2, 1)])
        for i in range(1, depth):
            layers = [nn.LeakyReLU(0.2), nn.Conv2d(widths[i - 1], widths[i], 4, 2, 1)]
            if i < depth - 1:
                layers.append(make_norm(norm, widths[i]))
            self.downs.append(nn.Sequential(*layers))
        self.ups = nn.ModuleList()
        for j, level in enumerate(range(depth - 1, 0, -1)):  # innermost first
            in_ch = widths[level] * (1 if level == depth - 1 else 2)  # all but the innermost get a skip
            layers = [nn.ReLU(), upsample_conv(in_ch, widths[level - 1], upsample), make_norm(norm, widths[level - 1])]
            if j < DROPOUT_LAYERS and dropout > 0:
                layers.append(nn.Dropout(dropout))
            self.ups.append(nn.Sequential(*layers))
        self.out = nn.Sequential(nn.ReLU(), upsample_conv(2 * widths[0], out_channels, upsample), nn.Tanh())
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        h = skips.pop()  # the 1x1 bottleneck
        for up in self.ups:
            h = torch.cat([up(h), skips.pop()], dim=1)
        return self.out(h)
