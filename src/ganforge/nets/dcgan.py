"""DCGAN (Radford et al. 2015) for square images of 28x28 or any power of two 16-128.

G: z -> transposed conv to a 4x4 (7x7 for 28x28) map -> stride-2 transposed
convs with batch norm + ReLU, halving channels while doubling resolution ->
tanh.  D mirrors it with stride-2 convs and LeakyReLU(0.2), no norm on the
first layer, and a final conv to one logit.  Weights ~ N(0, 0.02).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.nets import register_arch
from ganforge.nn import dcgan_init, make_minibatch_std, make_norm, maybe_spectral_norm, minibatch_std_features

RESOLUTIONS = (16, 28, 32, 64, 128)


def _plan(shape: tuple[int, ...]) -> tuple[int, int]:
    """(base map size, number of stride-2 stages) for an image shape (C, H, W)."""
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in RESOLUTIONS:
        raise GanforgeError(
            f"DCGAN needs square images of {', '.join(map(str, RESOLUTIONS))} pixels, got shape {tuple(shape)}; "
            "set data.resolution to one of those.")
    size = shape[1]
    base = 7 if size == 28 else 4
    stages = (size // base).bit_length() - 1
    return base, stages


def _channels(width: int, stages: int, max_channels: int) -> list[int]:
    """Channels at each resolution from the base map up: width * 2^(stages-1) ... width."""
    return [min(width * 2 ** (stages - 1 - i), max_channels) for i in range(stages)]


class LatentProjection(nn.ConvTranspose2d):
    """G's first layer: a k x k transposed conv (stride 1, no padding) of the 1x1 latent map, run as the matmul it is.

    On a 1x1 input, ``out[b, c, i, j] = sum_z z[b, z] * W[z, c, i, j]``: one (B, z_dim) @ (z_dim, C*k*k)
    product.  oneDNN's transposed-conv kernels run this shape at 5-20% of the matmul peak
    (``benchmarks/layer_speed.py``); the parameter and its state_dict key are nn.ConvTranspose2d's, so
    checkpoints load either way.  Any other input size falls back to the convolution.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, z_dim, 1, 1) -> (B, C, k, k)."""
        if x.shape[-2:] != (1, 1):
            return super().forward(x)
        out = torch.mm(x.flatten(1), self.weight.flatten(1)).view(len(x), self.out_channels, *self.kernel_size)
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)


class DCGANGenerator(nn.Module):
    """z (B, z_dim) -> images (B, C, H, W) in [-1, 1]."""

    def __init__(self, shape: tuple[int, ...], z_dim: int, *, width: int = 64, max_channels: int = 512,
                 norm: str = "batch", extra_layers: int = 0) -> None:
        super().__init__()
        self.shape, self.z_dim = tuple(shape), z_dim
        base, stages = _plan(self.shape)
        chans = _channels(width, stages, max_channels)
        layers = [LatentProjection(z_dim, chans[0], base, 1, 0, bias=False), make_norm(norm, chans[0]), nn.ReLU(True)]
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), make_norm(norm, c_out), nn.ReLU(True)]
        for _ in range(extra_layers):  # DCGAN reference code's n_extra_layers: depth at full resolution
            layers += [nn.Conv2d(chans[-1], chans[-1], 3, 1, 1, bias=False), make_norm(norm, chans[-1]), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(chans[-1], self.shape[0], 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(len(z), self.z_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """images (B, C, H, W) -> logits (B,).

    ``norm="layer"`` (or "none") for WGAN-GP critics, where batch norm would
    make each sample's gradient depend on the rest of the batch.
    ``minibatch_std``: ProGAN's minibatch-std group size (0 = off).
    """

    def __init__(self, shape: tuple[int, ...], *, width: int = 64, max_channels: int = 512, norm: str = "batch",
                 spectral_norm: bool = False, extra_layers: int = 0, minibatch_std: int = 0) -> None:
        super().__init__()
        base, stages = _plan(tuple(shape))
        chans = list(reversed(_channels(width, stages, max_channels)))  # width ... widest
        sn = lambda layer: maybe_spectral_norm(layer, spectral_norm)  # noqa: E731
        layers = [sn(nn.Conv2d(shape[0], chans[0], 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        for _ in range(extra_layers):
            layers += [sn(nn.Conv2d(chans[0], chans[0], 3, 1, 1, bias=False)), make_norm(norm, chans[0]), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [sn(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)), make_norm(norm, c_out), nn.LeakyReLU(0.2, True)]
        self.body = nn.Sequential(*layers)
        # ProGAN's minibatch std (group size; 0 = off): extra channel(s) on the last map, before the final layer.
        self.mbstd = make_minibatch_std(minibatch_std)
        self.feature_dim = (chans[-1] + minibatch_std_features(self.mbstd)) * base * base
        # The paper's final base x base conv over the last map, written as the
        # equivalent linear layer on its flattened features (so conditional
        # heads such as projection can share them).
        self.head = sn(nn.Linear(self.feature_dim, 1))
        self.apply(dcgan_init)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """images (B, C, H, W) -> features (B, feature_dim) before the last layer (minibatch std included)."""
        return self.mbstd(self.body(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).view(len(x))


register_arch("dcgan", DCGANGenerator, DCGANDiscriminator)
