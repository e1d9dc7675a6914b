"""2-D mixtures of Gaussians: the classic mode-collapse benchmark, generated.

Standard settings (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018):
``ring8`` = 8 Gaussians evenly on a circle of radius 2, std 0.02;
``grid25`` = 25 Gaussians at {-4,-2,0,2,4}^2, std 0.05.  A sample counts as
high quality when within 3 std of a centre.  Each mode is equally likely.
grid25 is exactly PacGAN's code (synthetic_data_experiments/2DGrid_GAN&PacGAN/
config.py: means ``range(-4, 5, 2)`` squared, variance 0.05^2 I); its ring
(2DRing config.py: radius 1, std 0.01) is ring8 halved; the mode and
high-quality rules are in units of std, so they are one benchmark up to scale.

N = ``data.limit`` or 20,000 points; the train and test splits use different
fixed seeds, so the same config always gives the same points.  Not cached: it
takes milliseconds to generate.
"""

from __future__ import annotations

import itertools
import math

import torch

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError
from ganforge.registry import Registry

#: ``data.variant`` -> () -> (mode centres float32 (M, 2), per-axis std): one builder per mixture.
VARIANTS: Registry = Registry("toy2d variant")
DEFAULT_VARIANT = "ring8"
DEFAULT_N = 20_000
SEEDS = {"train": 2017, "test": 2018}


@VARIANTS.register("ring8")
def _ring8() -> tuple[torch.Tensor, float]:
    """8 Gaussians evenly on a circle of radius 2, std 0.02."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return (2.0 * torch.stack([angles.cos(), angles.sin()], 1)).float(), 0.02


@VARIANTS.register("grid25")
def _grid25() -> tuple[torch.Tensor, float]:
    """25 Gaussians at {-4,-2,0,2,4}^2, std 0.05."""
    axis = [-4.0, -2.0, 0.0, 2.0, 4.0]
    return torch.tensor(list(itertools.product(axis, axis)), dtype=torch.float32), 0.05


def mode_centres(variant: str) -> tuple[torch.Tensor, float]:
    """The standard mode centres float32 (M, 2) and the per-axis std of ``variant``."""
    if variant not in VARIANTS:
        raise GanforgeError(f"Unknown toy2d variant {variant!r}; set data.variant to one of: {', '.join(VARIANTS)}.")
    return VARIANTS.get(variant)()


def sample_mixture(variant: str, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n points: (x float32 (n, 2), mode index int64 (n,)), modes drawn uniformly."""
    centres, std = mode_centres(variant)
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(len(centres), (n,), generator=g)
    x = centres[y] + std * torch.randn(n, 2, generator=g)
    return x, y


@SOURCES.register("toy2d")
@source_options(splits=("train", "test"), cacheable=False, is_image=False)
def load_toy2d(cfg: DataConfig) -> Dataset:
    """2-D Gaussian mixtures (data.variant ring8 | grid25), the mode-collapse benchmark; generated."""
    variant = cfg.variant or DEFAULT_VARIANT
    centres, std = mode_centres(variant)
    x, y = sample_mixture(variant, cfg.limit or DEFAULT_N, SEEDS[cfg.split])
    return Dataset(x=x, y=y, class_names=[f"mode{i}" for i in range(len(centres))],
                   info={"variant": variant, "centres": centres.tolist(), "std": std})
