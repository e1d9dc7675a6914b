"""Image grids with Pillow + numpy (no torchvision)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, PngImagePlugin

from ganforge import limits
from ganforge.files import atomic_write


def make_grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2, pad_value: int = 255) -> Image.Image:
    """uint8 images (N, C, H, W), C in {1, 3} -> one PIL image, ``nrow`` images per row (default ~sqrt(N))."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"make_grid wants uint8 (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    canvas = np.full((rows * (h + padding) + padding, nrow * (w + padding) + padding, c), pad_value, dtype=np.uint8)
    array = images.permute(0, 2, 3, 1).numpy()
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        canvas[y : y + h, x : x + w] = array[i]
    return Image.fromarray(canvas[..., 0] if c == 1 else canvas, mode="L" if c == 1 else "RGB")


def save_image(image: Image.Image, path: Path | str, metadata: dict | None = None, scale: int = 1) -> Path:
    """Save a PNG, upscaled by ``scale`` (nearest) for small images, with text metadata."""
    path = Path(path)
    limits.check_picture(image.height, image.width, scale)  # before allocating the upscaled copy
    path.parent.mkdir(parents=True, exist_ok=True)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    info = PngImagePlugin.PngInfo()
    for key, value in (metadata or {}).items():
        info.add_text(str(key), str(value))
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG", pnginfo=info))
