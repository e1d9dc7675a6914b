"""The ``conv`` ssl-gan generator (``--set ssl-gan:generator=conv``): a small DCGAN-like G for the cnn D.

Why: with the ``cnn`` discriminator (``cnn.py``) and the paper's MLP generator the game is
lopsided: the conv D tells the MLP's samples apart at once (real/fake loss 0.02-0.05 over the
second half of a 2,400-step Fashion-MNIST run, BENCHMARKS.md issue 15), so the real/fake term
stops shaping its class boundaries.  Salimans et al. 2016 pair their CIFAR-10 conv D with a
conv G (``train_cifar_feature_matching.py``: z -> dense 4x4x512 -> BN-ReLU -> deconvs with
batch norm -> a weight-normalised deconv -> tanh); this is that design scaled down for a
1-thread CPU and 28 x 28 images::

    z (N, z_dim) ~ U(0, 1)
    Linear(z_dim -> c * s * s) BN ReLU, reshaped to (N, c, s, s)     s = H / 4 (7 for 28 px)
    ConvTranspose2d(c -> c/2, 4, stride 2) BN ReLU                   (N, c/2, 2s, 2s)
    ConvTranspose2d(c/2 -> C, 4, stride 2), weight-normalised, tanh  (N, C, 4s, 4s) in [-1, 1]

c is ssl-gan's ``g_channels``.  Batch norm is fine in G (unlike in D): feature matching
compares batch means anyway, and G's batches are all generated.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm

from ganforge.classify.net import GENERATORS
from ganforge.errors import GanforgeError

UPSAMPLINGS = 2  # two stride-2 deconvs: the image side must be 4 x the start side


@GENERATORS.register("conv")
class ConvGenerator(nn.Module):
    """z (N, z_dim) ~ U(0, 1) -> images (N, C, H, W) in [-1, 1]: linear, BN-ReLU, two deconvs, tanh."""

    def __init__(self, shape: tuple[int, int, int], z_dim: int = 100, channels: int = 64) -> None:
        """shape (C, H, W) of the images; ``channels`` >= 2 (ssl-gan's ``g_channels``, checked with its options)."""
        super().__init__()
        c_out, height, width = shape
        if height != width or height % 2**UPSAMPLINGS:
            raise GanforgeError(f"The conv generator needs square images whose side is a multiple of 4 (like 28 or 32), "
                                f"got {height} x {width}; use ssl-gan's generator=mlp.")
        self.shape, self.z_dim = tuple(shape), z_dim
        self.start = (channels, height // 2**UPSAMPLINGS, width // 2**UPSAMPLINGS)  # (c, s, s)
        self.project = nn.Sequential(nn.Linear(z_dim, channels * self.start[1] * self.start[2], bias=False),
                                     nn.BatchNorm1d(channels * self.start[1] * self.start[2]), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1, bias=False),
                                nn.BatchNorm2d(channels // 2), nn.ReLU())
        # dim=1: a transposed conv's weight is (in, out, k, k), so the norm is per output channel
        self.out = weight_norm(nn.ConvTranspose2d(channels // 2, c_out, 4, stride=2, padding=1), dim=1)
        # scale 1 per output channel, as the MLP generator's output layer (the authors' l2normalize): with
        # torch's default deconv init (its fan-in counts only the C output channels) tanh starts saturated
        with torch.no_grad():
            self.out.parametrizations.weight.original0.fill_(1.0)

    @classmethod
    def from_options(cls, shape: tuple[int, int, int], opts) -> "ConvGenerator":
        """The generator for images of ``shape`` (C, H, W) from ssl-gan's options (``z_dim``, ``g_channels``)."""
        return cls(shape, opts.z_dim, opts.g_channels)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(len(z), *self.start)  # (N, c, s, s)
        return torch.tanh(self.out(self.up(h)))  # (N, C, 4s, 4s)
