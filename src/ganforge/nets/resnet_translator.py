"""ResNet translator (Johnson et al. 2016, as used by CycleGAN) for square images whose size is a multiple of 4.

c7s1-w, ``down_layers`` stride-2 convs (default 2: 2w, 4w), ``blocks`` residual
blocks at w * 2^down_layers (6 for 128x128 in the paper, 9 for 256x256), as many
x2 upsamplings back to w, c7s1-out, tanh.  Small images may want fewer: at 32x32
two leave an 8x8 bottleneck every pixel must pass through (on the inversion demo the
outputs were still blurred after 500 steps), while 0 keeps every block at full
resolution, so a pixel-wise map stays a local one.  Reflect padding everywhere (zero
padding leaves dark borders on translated images) and instance norm (the same in
train and eval mode).
``upsample="resize"`` (default) replaces ConvTranspose2d by nearest upsample +
conv against checkerboard artifacts.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.nets.translation import TRANSLATORS, UPSAMPLES, upsample_conv
from ganforge.nn import dcgan_init, make_norm


class ResidualBlock(nn.Module):
    """x (B, C, H, W) -> x + conv-norm-relu-conv-norm(x), reflect-padded 3x3 convs."""

    def __init__(self, channels: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"), make_norm(norm, channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"), make_norm(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@TRANSLATORS.register("resnet")
class ResNetTranslator(nn.Module):
    """Images (B, in_channels, S, S) in [-1, 1] -> images (B, out_channels, S, S) in [-1, 1]."""

    def __init__(self, in_channels: int, out_channels: int, size: int, *, width: int = 64, blocks: int = 9,
                 norm: str = "instance", upsample: str = "resize", down_layers: int = 2) -> None:
        super().__init__()
        if down_layers not in (0, 1, 2):
            raise GanforgeError(f"recipe.g.down_layers must be 0, 1 or 2, got {down_layers}; the paper uses 2.")
        if size % 4 or size < 8:
            raise GanforgeError(f"The ResNet translator needs an image size that is a multiple of 4 (>= 8), got {size}; "
                                "set data.resolution to e.g. 32 or 64.")
        if upsample not in UPSAMPLES:
            raise GanforgeError(f"recipe.g.upsample must be one of {', '.join(UPSAMPLES)}, got {upsample!r}.")
        if blocks < 0:
            raise GanforgeError(f"recipe.g.blocks must be >= 0, got {blocks}; the paper uses 6 or 9.")
        layers = [nn.Conv2d(in_channels, width, 7, padding=3, padding_mode="reflect"), make_norm(norm, width), nn.ReLU()]
        mults = [2**i for i in range(down_layers)]  # 2 two: w -> 2w -> 4w
        for mult in mults:
            layers += [nn.Conv2d(width * mult, width * mult * 2, 3, stride=2, padding=1, padding_mode="reflect"),
                       make_norm(norm, width * mult * 2), nn.ReLU()]
        layers += [ResidualBlock(width * 2**down_layers, norm) for _ in range(blocks)]
        for mult in reversed(mults):  # upsample: 4w -> 2w -> w
            layers += [upsample_conv(width * mult * 2, width * mult, upsample), make_norm(norm, width * mult), nn.ReLU()]
        layers += [nn.Conv2d(width, out_channels, 7, padding=3, padding_mode="reflect"), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
