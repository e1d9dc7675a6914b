"""Sample signals read back from a run's saved sample grids, for runs trained without the health monitor.

``ganforge doctor`` judges collapse from the ``health/diversity`` /
``health/class_kl`` rows the monitor logs.  A run trained with
``train.health=off`` (or before the monitor existed) has none, but it has its
sample grids: ``samples/step_NNNNNN.png``, written by
``training/samples.py:write_samples`` as ``art.grid.make_grid`` tiles
(``PADDING`` pixels of ``PAD_VALUE`` around each tile), upscaled by a whole
factor.  This module cuts each grid back into its tiles, using the data
set's sample shape from the run's config, and computes the same signals
(:class:`~ganforge.health.signals.SampleSpace`: domain features and classes
for MNIST / Fashion-MNIST, pixels for other images) relative to the run's
real data.  The tiles are the fixed-latent samples quantised to uint8, so
the values match the logged ones up to that rounding.

toy2d runs save scatter plots, from which the points cannot be read back:
they get no grid signals.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.health.signals import SampleSpace

PADDING = 2  # art.grid.make_grid's default, which write_samples uses
PAD_VALUE = 255
STEP_NAME = re.compile(r"step_(\d+)\.png$")
MAX_SCALE = 64  # write_samples upscales small grids to >= 256 px: a few x at most


def grid_steps(run_dir: Path) -> list[tuple[int, Path]]:
    """The run's sample grids as (step, path), in step order."""
    found = []
    for path in (Path(run_dir) / "samples").glob("step_*.png"):
        match = STEP_NAME.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def cut_grid(image: Image.Image, tile_shape: tuple[int, int, int], max_tiles: int | None = None) -> torch.Tensor:
    """A saved grid -> its tiles, uint8 (N, C, H, W), row by row.

    Args:
        image: the PNG as written (grey "L" or "RGB"), possibly upscaled.
        tile_shape: (C, H, W) of one sample (the data set's sample shape).
        max_tiles: the number of samples drawn (``train.grid_size``): the
            last row of a grid may have empty (padding) places.

    The upscale factor is the one whole number that makes the width and the
    height a whole number of tiles plus padding; none raises GanforgeError.
    """
    c, h, w = tile_shape
    array = np.asarray(image.convert("L" if c == 1 else "RGB"))
    scale = _scale(array.shape[0], array.shape[1], h, w)
    if scale is None:
        raise GanforgeError(f"A {array.shape[1]}x{array.shape[0]} sample grid does not hold {h}x{w} tiles; "
                            "check that the run's config.yaml is the one the grids were made with.")
    array = array[::scale, ::scale]
    array = array[..., None] if c == 1 else array
    rows, cols = (array.shape[0] - PADDING) // (h + PADDING), (array.shape[1] - PADDING) // (w + PADDING)
    tops = [PADDING + r * (h + PADDING) for r in range(rows)]
    lefts = [PADDING + k * (w + PADDING) for k in range(cols)]
    tiles = [array[y:y + h, x:x + w] for y in tops for x in lefts]
    tiles = tiles[:max_tiles] if max_tiles else tiles
    return torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2).contiguous()


def _scale(height: int, width: int, h: int, w: int) -> int | None:
    for scale in range(1, MAX_SCALE + 1):
        if height % scale or width % scale:
            continue
        if (height // scale - PADDING) % (h + PADDING) == 0 and (width // scale - PADDING) % (w + PADDING) == 0:
            if height // scale > PADDING and width // scale > PADDING:
                return scale
    return None


def grid_rows(run_dir: Path, cfg: dict) -> list[dict]:
    """One metrics-style row {"step", "health/..."} per sample grid of the run; [] for point data or no grids.

    Loads the run's data set (its config's ``data`` section) for the real
    reference and the domain extractor; raises GanforgeError when it cannot.
    """
    grids = grid_steps(run_dir)
    if not grids:
        return []
    data = _load_data(cfg)
    if not data.is_image:
        return []
    grid_size = int((cfg.get("train") or {}).get("grid_size", 64))
    space = SampleSpace(data, (cfg.get("data") or {}).get("source", ""))
    rows = []
    for step, path in grids:
        with Image.open(path) as image:
            tiles = cut_grid(image, tuple(data.sample_shape), grid_size)
        rows.append({"step": step, **space.signals(data.to_model(tiles))})
    return rows


def _load_data(cfg: dict):
    from ganforge.config import DataConfig, from_dict  # the data registry is heavy: only when grids are read
    from ganforge.data import load_dataset

    return load_dataset(from_dict(DataConfig, dict(cfg.get("data") or {}), where="data"))
