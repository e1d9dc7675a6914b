"""Offline demo pairs for image-to-image translation, built from data that is already installed.

Each source packs A and B along channels like ``data/paired.py`` (x = uint8
(N, 2C, H, W)); ``data.resolution`` defaults to 32 (the U-Net needs a power of
two, Fashion-MNIST is resized from 28).

- ``edges2fashion`` (paired): A = the edge map of a Fashion-MNIST image, B = the image (grey).
- ``edges2emoji`` (paired): A = the edge map of a Noto colour emoji's grey glyph over white,
  B = the colour glyph.  Train/test are split by *base* emoji (the first glyph of the
  font's ligature, so every skin-tone and gender variant of one emoji is on one side).
- ``fashion2inverted`` (unpaired): A = Fashion-MNIST, B = inverted Fashion-MNIST made from a
  disjoint half of the images, so no B image is the inverse of an A image.  ``y`` holds the
  A images' classes, for content-preservation scoring.  The pairing is re-dealt every
  epoch (:class:`~ganforge.data.paired.UnpairedDataset`), so the source is not cached.

Each registers a :class:`~ganforge.data.paired.PairedSource` for the translation metrics:
whether its pairs are aligned, and the committed classifier that reads each domain (the
inverted domain is read after un-inverting: an exact classifier of it, since inversion is a
bijection).

Edge maps (:func:`edge_map`): Sobel gradient magnitude of the grey image, thresholded at
``EDGE_FRACTION`` of each image's maximum: black lines on white, like pix2pix's edges2* sets.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.config import DataConfig
from ganforge.data import emoji, fashion_mnist
from ganforge.data.base import Dataset
from ganforge.data.paired import PAIRED_SOURCES, PairedSource, UnpairedDataset, pack_pair, seeded_pairing
from ganforge.data.registry import SOURCES, convert_channels, resize_square, source_options

DEFAULT_RESOLUTION = 32
EDGE_FRACTION = 0.2  # an edge is a gradient of at least this fraction of the image's strongest one
TEST_BUCKETS = 10  # one base emoji in ten goes to the test split
_PAIRED = {"paired": True, "layout": "A|B channels"}
FASHION, EMOJI = "fashion-mnist", "emoji"  # the committed extractors that read the domains
_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def edge_map(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, 1, H, W): 0 on edges, 255 elsewhere."""
    grey = convert_channels(images, 1).float() / 255.0
    kernels = torch.stack([_SOBEL_X, _SOBEL_X.T]).unsqueeze(1)  # (2, 1, 3, 3)
    grad = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), kernels)
    magnitude = grad.pow(2).sum(1, keepdim=True).sqrt()
    peak = magnitude.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    return torch.where(magnitude >= EDGE_FRACTION * peak, 0, 255).to(torch.uint8)


def stable_bucket(key: str, buckets: int) -> int:
    """A deterministic bucket in [0, buckets) for a text key (CRC-32: the same on every machine and run)."""
    return zlib.crc32(key.encode()) % buckets


def _size(cfg: DataConfig) -> int:
    return cfg.resolution or DEFAULT_RESOLUTION


def _fashion(cfg: DataConfig) -> Dataset:
    data = fashion_mnist.load_fashion_mnist(replace(cfg, source="fashion-mnist"))
    data.x = resize_square(data.x, _size(cfg))
    return data


def _edges_to(images: torch.Tensor, channels: int) -> torch.Tensor:
    """A|B pair tensor for images uint8 (N, C, H, W): A = edges, both halves with ``channels`` channels."""
    return pack_pair(convert_channels(edge_map(images), channels), convert_channels(images, channels))


@SOURCES.register("edges2fashion")
@source_options(splits=("train", "test"), inputs=fashion_mnist._files)
def load_edges2fashion(cfg: DataConfig) -> Dataset:
    """Paired demo: Fashion-MNIST edge maps (A) -> the clothes (B), grey, 32x32 by default."""
    data = _fashion(cfg)
    x = _edges_to(data.x, cfg.channels or 1)
    return Dataset(x=x, y=data.y, class_names=data.class_names, info=dict(_PAIRED))


@SOURCES.register("fashion2inverted")
@source_options(splits=("train", "test"), inputs=fashion_mnist._files, cacheable=False)  # see UnpairedDataset
def load_fashion2inverted(cfg: DataConfig) -> Dataset:
    """Unpaired demo: Fashion-MNIST (A) <-> inverted Fashion-MNIST from disjoint images (B); y = A's classes."""
    data = _fashion(cfg)
    x = convert_channels(data.x, cfg.channels or 1)
    a, b = x[0::2], 255 - x[1::2]  # disjoint halves: B never holds the inverse of an A image
    a_index, b_index = seeded_pairing(len(a), len(b), seed=0)
    return UnpairedDataset(x=pack_pair(a[a_index], b[b_index]), y=data.y[0::2][a_index], class_names=data.class_names,
                           info={**_PAIRED, "pairing": "unpaired (re-dealt every epoch)"})


@SOURCES.register("edges2emoji")
@source_options(splits=("train", "test"), inputs=emoji._inputs)
def load_edges2emoji(cfg: DataConfig) -> Dataset:
    """Paired demo: edge maps of Noto colour emoji (A) -> the colour glyphs (B), split by base emoji."""
    path = emoji.font_path(cfg)
    glyphs, _ = emoji.read_glyphs(path)  # [(code points, RGBA image)]
    bases = [base_emoji(codes, i) for i, (codes, _) in enumerate(glyphs)]
    keep = [i for i, base in enumerate(bases) if (stable_bucket(base, TEST_BUCKETS) == 0) == (cfg.split == "test")]
    images = np.stack([emoji.compose(glyphs[i][1], (255, 255, 255), _size(cfg)) for i in keep])
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()  # (N, H, W, 3) -> (N, 3, H, W)
    return Dataset(x=_edges_to(x, cfg.channels or 3),
                   info={**_PAIRED, "font": str(path), "bases": len({bases[i] for i in keep})})


def base_emoji(codes: tuple[int, ...], index: int) -> str:
    """The split key of a glyph: its first code point, shared by all its skin-tone / ZWJ variants
    (a sequence whose code points are unknown keys on its glyph index alone)."""
    return f"U+{codes[0]:04X}" if codes else f"glyph-{index}"


PAIRED_SOURCES.register("edges2fashion")(PairedSource(aligned=True, readers={"B": (FASHION, False)}))
PAIRED_SOURCES.register("edges2emoji")(PairedSource(aligned=True, readers={"B": (EMOJI, False)}))
PAIRED_SOURCES.register("fashion2inverted")(PairedSource(
    aligned=False, readers={"A": (FASHION, False), "B": (FASHION, True)}, labels_of="A"))  # y: the A images' classes
