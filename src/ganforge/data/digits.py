"""scikit-learn's 1,797 handwritten digits, 8x8 grey (``sklearn.datasets.load_digits``).

Pixel values 0-16 are scaled to 0-255.  Deterministic split: test = every 5th
image (359), train = the other 1,438, all = 1,797.  Cheap to load, so not cached.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

TEST_EVERY = 5


@SOURCES.register("digits")
@source_options(cacheable=False)
def load_digits(cfg: DataConfig) -> Dataset:
    """scikit-learn's 1,797 digits 8x8 grey (bundled with scikit-learn, always offline)."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise GanforgeError("The digits data set needs scikit-learn; install it with `pip install scikit-learn`.") from None
    bunch = sk_load_digits()
    # images: float (1797, 8, 8) in 0..16 -> uint8 (N, 1, 8, 8) in 0..255
    x = torch.from_numpy(np.rint(bunch.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)).unsqueeze(1)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    rows = torch.arange(len(x))
    is_test = rows % TEST_EVERY == TEST_EVERY - 1
    keep = {"test": rows[is_test], "train": rows[~is_test], "all": rows}[cfg.split]
    return Dataset(x=x[keep].contiguous(), y=y[keep].contiguous(), class_names=[str(d) for d in range(10)])
