"""FastGAN (Liu et al. 2021, "Towards faster and stabilized GAN training for high-fidelity few-shot image synthesis").

Our own plain-PyTorch version of the paper's two ideas, scaled for 32-256
pixel images on a CPU budget:

- **Skip-layer excitation** (SLE) in G: a small gate computed from a coarse
  feature map (pooled to 4x4, a 4x4 conv to 1x1, SiLU, a 1x1 conv, sigmoid)
  rescales every channel of a map 8x finer.  Coarse layout steers fine
  texture through a short path, so gradients reach the early layers quickly
  and the style of the coarse map gates the detail (the paper's sec. 3.1).
- **A self-supervised discriminator**: two small decoders rebuild the image
  D saw from D's own feature maps -- the whole image (at half resolution)
  from the 8x8 map, and a random quadrant from the matching quarter of the
  16x16 map.  The reconstruction loss (``recipes/fastgan.py``, an L1 in place
  of the paper's LPIPS, which needs downloaded weights) makes D learn
  features that describe the image, not only ones that tell real from fake,
  which is what keeps D from over-fitting a few thousand images (sec. 3.2).

G: z (B, z_dim) -> 4x4 map (transposed conv, BN, GLU) -> up-blocks doubling
the resolution (nearest upsample, 3x3 conv, BN, GLU; two convs at 8, 32, 128
as in the paper's UpBlockComp unless ``two_conv_blocks=False``) -> 3x3 conv -> tanh.  SLE gates the maps at
32 (from 4), 64 (from 8), 128 (from 16), 256 (from 32).  No noise injection:
an image is a function of z alone, so latent walks and truncation are smooth.

D: 4x4 stride-2 conv, then residual down-blocks (a 4x4 stride-2 conv + 3x3
conv path averaged with an avg-pool + 1x1 conv path, BN, LeakyReLU) down to
4x4, SLE from the map 8x finer onto the last maps, a 1x1 conv, and the 4x4
map flattened as ``features``; ``head`` (one linear layer) gives the logit.
Spectral norm on every D layer (the paper uses it on all layers).

Channels double at every halving of the resolution from ``width`` at the
finest map, capped at ``max_channels`` (like ``nets/dcgan.py``); G's
``channels`` ({size: n}) overrides chosen sizes, e.g. a narrower finest map.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.nets import register_arch
from ganforge.nn import dcgan_init, maybe_spectral_norm

RESOLUTIONS = (32, 64, 128, 256)
SLE_SPAN = 8  # SLE links maps whose resolutions differ by this factor (4 -> 32, 8 -> 64, ...)
DECODE_FROM = 8  # the whole-image decoder starts from D's 8x8 map; the part decoder from a quarter of the 16x16 map


def _check_shape(shape: tuple[int, ...], who: str) -> int:
    """The side of a square image shape (C, H, W) FastGAN supports, else a GanforgeError."""
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in RESOLUTIONS:
        raise GanforgeError(f"FastGAN {who} needs square images of {', '.join(map(str, RESOLUTIONS))} pixels, "
                            f"got shape {tuple(shape)}; set data.resolution to one of those.")
    return shape[1]


def _sizes(top: int) -> list[int]:
    """[4, 8, ..., top]: the map sizes from 4x4 up to ``top``."""
    return [4 << i for i in range((top // 4).bit_length())]


def _channels(size: int, finest: int, width: int, max_channels: int) -> int:
    """Channels of the size x size map: ``width`` at the finest map, doubling per halving, capped."""
    return min(width * (finest // size), max_channels)


def _channel_overrides(channels: dict | None, sizes: list[int]) -> dict[int, int]:
    """{size: channels} from ``g.channels`` (keys may arrive as strings from JSON), checked against ``sizes``."""
    out = {int(k): int(v) for k, v in (channels or {}).items()}
    if any(s not in sizes[1:] or c < 1 for s, c in out.items()):
        raise GanforgeError(f"FastGAN g.channels must map map sizes in {sizes[1:]} to positive channel counts, "
                            f"got {channels!r}; e.g. {{{sizes[-1]}: 8}} (only the finest map narrower).")
    return out


class SkipExcitation(nn.Module):
    """Skip-layer excitation: ``fine * gate(coarse)`` with a per-channel gate in (0, 1).

    coarse (B, c_coarse, h, w) with h, w >= 4; fine (B, c_fine, H, W) -> (B, c_fine, H, W).
    """

    def __init__(self, c_coarse: int, c_fine: int, sn: bool = False) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            maybe_spectral_norm(nn.Conv2d(c_coarse, c_fine, 4, bias=False), sn), nn.SiLU(),  # 4x4 -> 1x1
            maybe_spectral_norm(nn.Conv2d(c_fine, c_fine, 1, bias=False), sn), nn.Sigmoid(),
        )

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        return fine * self.gate(coarse)


def _glu_conv(c_in: int, c_out: int) -> list[nn.Module]:
    """3x3 conv to 2 c_out, BN, GLU -> c_out channels (the paper's gated unit in place of ReLU)."""
    return [nn.Conv2d(c_in, 2 * c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * c_out), nn.GLU(dim=1)]


def up_block(c_in: int, c_out: int, convs: int = 1) -> nn.Sequential:
    """(B, c_in, h, w) -> (B, c_out, 2h, 2w): nearest upsample, then ``convs`` GLU convs."""
    layers = [nn.Upsample(scale_factor=2, mode="nearest"), *_glu_conv(c_in, c_out)]
    for _ in range(convs - 1):
        layers += _glu_conv(c_out, c_out)
    return nn.Sequential(*layers)


class FastGANGenerator(nn.Module):
    """z (B, z_dim) -> images (B, C, H, W) in [-1, 1], for H = W in 32, 64, 128, 256."""

    def __init__(self, shape: tuple[int, ...], z_dim: int, *, width: int = 32, max_channels: int = 512,
                 two_conv_blocks: bool = True, channels: dict | None = None) -> None:
        super().__init__()
        self.shape, self.z_dim = tuple(shape), z_dim
        top = _check_shape(self.shape, "generator")
        self.sizes = _sizes(top)
        # ``channels`` {size: n} replaces the width rule at those sizes: every up-block costs about
        # the same FLOPs (4x the pixels, half the channels), so narrowing only the fine maps makes
        # G cheaper while the coarse maps, which lay out the picture, keep their capacity.
        ch = {s: _channels(s, top, width, max_channels) for s in self.sizes} | _channel_overrides(channels, self.sizes)
        self.init = nn.Sequential(nn.ConvTranspose2d(z_dim, 2 * ch[4], 4, 1, 0, bias=False),
                                  nn.BatchNorm2d(2 * ch[4]), nn.GLU(dim=1))  # (B, ch4, 4, 4)
        # The paper's UpBlockComp (two convs) at 8, 32, 128 (odd powers of two); one conv
        # everywhere (two_conv_blocks=False) is ~2x cheaper, for CPU budgets.
        convs = {s: 2 if two_conv_blocks and s.bit_length() % 2 == 0 else 1 for s in self.sizes[1:]}
        self.ups = nn.ModuleDict({str(s): up_block(ch[s // 2], ch[s], convs[s]) for s in self.sizes[1:]})
        self.sle = nn.ModuleDict({str(s): SkipExcitation(ch[s // SLE_SPAN], ch[s])
                                  for s in self.sizes if s // SLE_SPAN >= 4})
        self.to_image = nn.Sequential(nn.Conv2d(ch[top], self.shape[0], 3, 1, 1), nn.Tanh())
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        maps = {4: self.init(z.view(len(z), self.z_dim, 1, 1))}
        h = maps[4]
        for s in self.sizes[1:]:
            h = self.ups[str(s)](h)
            if str(s) in self.sle:
                h = self.sle[str(s)](maps[s // SLE_SPAN], h)
            maps[s] = h
        return self.to_image(h)


class DownBlock(nn.Module):
    """(B, c_in, h, w) -> (B, c_out, h/2, w/2): the paper's DownBlockComp, two paths averaged."""

    def __init__(self, c_in: int, c_out: int, sn: bool = True) -> None:
        super().__init__()
        conv = lambda *a, **k: maybe_spectral_norm(nn.Conv2d(*a, **k), sn)  # noqa: E731
        self.main = nn.Sequential(
            conv(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True),
            conv(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True))
        self.direct = nn.Sequential(
            nn.AvgPool2d(2), conv(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.main(x) + self.direct(x)) / 2


class Decoder(nn.Module):
    """D's reconstruction head: a (B, in_channels, 8, 8) map -> an image (B, C, size, size) in [-1, 1].

    ``ch`` gives the channels of each intermediate size (D's own, so the
    decoder is as wide as the features it reads).
    """

    def __init__(self, in_channels: int, ch: dict[int, int], out_channels: int, size: int) -> None:
        super().__init__()
        sizes = [s for s in _sizes(size) if s > DECODE_FROM]
        c_in = [in_channels] + [ch[s] for s in sizes[:-1]]
        self.ups = nn.Sequential(*[up_block(c, ch[s]) for c, s in zip(c_in, sizes)])
        self.to_image = nn.Sequential(nn.Conv2d(ch[size], out_channels, 3, 1, 1), nn.Tanh())

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.to_image(self.ups(h))


class FastGANDiscriminator(nn.Module):
    """images (B, C, H, W) -> logits (B,); ``reconstruct`` also returns the two decoded images."""

    def __init__(self, shape: tuple[int, ...], *, width: int = 32, max_channels: int = 512,
                 spectral_norm: bool = True) -> None:
        super().__init__()
        self.shape = tuple(shape)
        top = _check_shape(self.shape, "discriminator")
        half = top // 2
        ch = {s: _channels(s, half, width, max_channels) for s in _sizes(top)}
        conv = lambda *a, **k: maybe_spectral_norm(nn.Conv2d(*a, **k), spectral_norm)  # noqa: E731
        self.from_image = nn.Sequential(conv(self.shape[0], ch[half], 4, 2, 1), nn.LeakyReLU(0.2, True))
        self.sizes = [s for s in reversed(_sizes(half)) if s < half]  # half/2 ... 4
        self.downs = nn.ModuleDict({str(s): DownBlock(ch[2 * s], ch[s], spectral_norm) for s in self.sizes})
        self.sle = nn.ModuleDict({str(s): SkipExcitation(ch[s * SLE_SPAN], ch[s], spectral_norm)
                                  for s in self.sizes if s * SLE_SPAN <= half})
        self.out = nn.Sequential(conv(ch[4], ch[4], 1, bias=False), nn.BatchNorm2d(ch[4]), nn.LeakyReLU(0.2, True))
        self.feature_dim = ch[4] * 16
        self.head = maybe_spectral_norm(nn.Linear(self.feature_dim, 1), spectral_norm)  # = the paper's last 4x4 conv
        self.decode_whole = Decoder(ch[DECODE_FROM], ch, self.shape[0], half)
        self.decode_part = Decoder(ch[2 * DECODE_FROM], ch, self.shape[0], half)
        self.apply(dcgan_init)

    def _maps(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """images (B, C, H, W) -> {size: (B, ch, size, size)} for every map from H/2 down to 4."""
        h = self.from_image(x)
        maps = {h.shape[-1]: h}
        for s in self.sizes:
            h = self.downs[str(s)](h)
            if str(s) in self.sle:
                h = self.sle[str(s)](maps[s * SLE_SPAN], h)
            maps[s] = h
        return maps

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """images (B, C, H, W) -> features (B, feature_dim): the last 4x4 map, flattened."""
        return self.out(self._maps(x)[4]).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).view(len(x))

    def reconstruct(self, x: torch.Tensor, part: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One pass: (logits (B,), whole image (B, C, H/2, W/2), quadrant ``part`` (B, C, H/2, W/2)).

        ``part`` in 0..3 picks the quadrant (row-major) of the 16x16 map,
        whose 8x8 quarter the part decoder expands; compare the results with
        :func:`reconstruction_targets`.
        """
        maps = self._maps(x)
        logits = self.head(self.out(maps[4]).flatten(1)).view(len(x))
        return logits, self.decode_whole(maps[DECODE_FROM]), self.decode_part(quadrant(maps[2 * DECODE_FROM], part))


def quadrant(x: torch.Tensor, part: int) -> torch.Tensor:
    """(B, C, H, W) -> quadrant ``part`` (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right), (B, C, H/2, W/2)."""
    if part not in range(4):
        raise ValueError(f"quadrant index must be 0..3, got {part}")
    h, w = x.shape[-2] // 2, x.shape[-1] // 2
    row, col = divmod(part, 2)
    return x[..., row * h : (row + 1) * h, col * w : (col + 1) * w]


def reconstruction_targets(x: torch.Tensor, part: int) -> tuple[torch.Tensor, torch.Tensor]:
    """What :meth:`FastGANDiscriminator.reconstruct` should return for images x (B, C, H, W):
    x at half resolution (antialiased), and quadrant ``part`` of x at full resolution; both (B, C, H/2, W/2)."""
    whole = F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True, align_corners=False)
    return whole, quadrant(x, part)


register_arch("fastgan", FastGANGenerator, FastGANDiscriminator)
