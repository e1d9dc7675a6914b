"""The ResNet generator and discriminator of SNGAN (Miyato et al. 2018, appendix B.4) for 32x32 and 64x64.

G: z -> linear to a 4x4 map -> up-sampling residual blocks (BN, ReLU,
nearest x2, conv3x3, BN, ReLU, conv3x3; shortcut: x2 then conv1x1) -> BN,
ReLU, conv3x3 to the image channels, tanh.

D: an "optimized" first block (conv3x3, ReLU, conv3x3, avg-pool; shortcut:
avg-pool then conv1x1) -> residual blocks (ReLU, conv3x3, ReLU, conv3x3,
avg-pool when down-sampling; conv1x1 shortcut when the shape changes) ->
ReLU -> global *sum* pooling -> linear to one logit.  Every D layer is
spectral-normalised by default; D has no normalisation layers, so it is also
a valid WGAN-GP critic.

Channels (W = ``width``):

=====  ==============================  =======================================
size   G (4x4 -> image)                D (image -> pooled features)
=====  ==============================  =======================================
32     W, W, W, W (3 up-blocks)        W (opt, 16), W (8), W (8), W (8)
64     8W, 8W, 4W, 2W, W (4 up-blocks) W (opt, 32), 2W (16), 4W (8), 8W (4), 8W (4)
=====  ==============================  =======================================

The paper's CIFAR-10 nets are size 32 with G width 256 and D width 128 (the
defaults for 32; 64 defaults to width 64 for both).  Weights are Xavier-uniform,
gain sqrt(2) in the residual branches and 1 on shortcuts and linear layers, as
in the authors' code.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.nets import register_arch
from ganforge.nn import make_minibatch_std, make_norm, maybe_spectral_norm, minibatch_std_features

RESOLUTIONS = (32, 64)
DEFAULT_WIDTH = {32: (256, 128), 64: (64, 64)}  # size -> (G width, D width)


def _size(shape: tuple[int, ...]) -> int:
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in RESOLUTIONS:
        raise GanforgeError(f"The ResNet (SNGAN) nets need square images of {' or '.join(map(str, RESOLUTIONS))} pixels, "
                            f"got shape {tuple(shape)}; set data.resolution to 32 or 64.")
    return shape[1]


def _init(layer: nn.Module, gain: float, sn: bool) -> nn.Module:
    """Xavier-uniform weights, zero bias, then spectral norm when ``sn`` (which then wraps the initialised weight)."""
    nn.init.xavier_uniform_(layer.weight, gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return maybe_spectral_norm(layer, sn)


def _conv(c_in: int, c_out: int, kernel: int, gain: float = math.sqrt(2), sn: bool = False) -> nn.Module:
    return _init(nn.Conv2d(c_in, c_out, kernel, 1, kernel // 2), gain, sn)


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class GBlock(nn.Module):
    """(B, c_in, H, W) -> (B, c_out, 2H, 2W): pre-activation residual block with nearest up-sampling."""

    def __init__(self, c_in: int, c_out: int, norm: str = "batch") -> None:
        super().__init__()
        self.norm1, self.conv1 = make_norm(norm, c_in), _conv(c_in, c_out, 3)
        self.norm2, self.conv2 = make_norm(norm, c_out), _conv(c_out, c_out, 3)
        self.shortcut = _conv(c_in, c_out, 1, gain=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(_up(F.relu(self.norm1(x))))
        h = self.conv2(F.relu(self.norm2(h)))
        return h + self.shortcut(_up(x))


class DBlock(nn.Module):
    """(B, c_in, H, W) -> (B, c_out, H/2 or H, ...): residual block; ``first`` is the paper's optimized block.

    The optimized block has no ReLU before its first conv (the input is the
    image) and pools before its shortcut conv (cheaper, same function).
    """

    def __init__(self, c_in: int, c_out: int, *, down: bool, first: bool = False, sn: bool = True) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1, self.conv2 = _conv(c_in, c_out, 3, sn=sn), _conv(c_out, c_out, 3, sn=sn)
        self.shortcut = _conv(c_in, c_out, 1, gain=1.0, sn=sn) if (first or down or c_in != c_out) else None

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) if self.down else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)  # not in place: x is also the shortcut's input
        h = self._pool(self.conv2(F.relu(self.conv1(h))))
        if self.shortcut is None:
            return h + x
        if self.first:
            return h + self.shortcut(self._pool(x))
        return h + self._pool(self.shortcut(x))


class ResNetGenerator(nn.Module):
    """z (B, z_dim) -> images (B, C, H, W) in [-1, 1], H = W = 32 or 64."""

    def __init__(self, shape: tuple[int, ...], z_dim: int, *, width: int | None = None, norm: str = "batch") -> None:
        super().__init__()
        self.shape, self.z_dim = tuple(shape), z_dim
        size = _size(self.shape)
        w = width or DEFAULT_WIDTH[size][0]
        chans = [w] * 4 if size == 32 else [8 * w, 8 * w, 4 * w, 2 * w, w]
        self.base = chans[0]
        self.linear = _init(nn.Linear(z_dim, 4 * 4 * chans[0]), 1.0, False)
        self.blocks = nn.Sequential(*[GBlock(a, b, norm) for a, b in zip(chans[:-1], chans[1:])])
        self.out = nn.Sequential(make_norm(norm, chans[-1]), nn.ReLU(), _conv(chans[-1], self.shape[0], 3, gain=1.0), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.linear(z.view(len(z), self.z_dim)).view(len(z), self.base, 4, 4)  # (B, C0, 4, 4)
        return self.out(self.blocks(h))


class ResNetDiscriminator(nn.Module):
    """images (B, C, H, W) -> logits (B,), spectral-normalised by default.

    ``minibatch_std``: ProGAN's minibatch-std group size (0 = off).
    """

    def __init__(self, shape: tuple[int, ...], *, width: int | None = None, spectral_norm: bool = True,
                 minibatch_std: int = 0) -> None:
        super().__init__()
        size = _size(tuple(shape))
        w = width or DEFAULT_WIDTH[size][1]
        sn = spectral_norm
        if size == 32:
            blocks = [DBlock(shape[0], w, down=True, first=True, sn=sn), DBlock(w, w, down=True, sn=sn),
                      DBlock(w, w, down=False, sn=sn), DBlock(w, w, down=False, sn=sn)]
            c_last = w
        else:
            chans = [w, 2 * w, 4 * w, 8 * w]
            blocks = [DBlock(shape[0], chans[0], down=True, first=True, sn=sn)]
            blocks += [DBlock(a, b, down=True, sn=sn) for a, b in zip(chans[:-1], chans[1:])]
            blocks.append(DBlock(chans[-1], chans[-1], down=False, sn=sn))
            c_last = chans[-1]
        self.blocks = nn.Sequential(*blocks)
        # ProGAN's minibatch std (group size; 0 = off) on the last map: after the sum pooling it is one more
        # feature of the final linear layer.
        self.mbstd = make_minibatch_std(minibatch_std)
        self.feature_dim = c_last + minibatch_std_features(self.mbstd)
        self.head = _init(nn.Linear(self.feature_dim, 1), 1.0, sn)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """images (B, C, H, W) -> (minibatch std), ReLU, global sum pooling -> (B, feature_dim)."""
        return F.relu(self.mbstd(self.blocks(x))).sum(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).view(len(x))


register_arch("resnet", ResNetGenerator, ResNetDiscriminator)
