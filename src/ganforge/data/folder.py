"""Any folder of images, given by ``data.path``, read recursively.

Labels: if the folder has sub-folders, each first-level sub-folder is a class
(``class_names`` sorted) and images directly in the root are skipped (counted
as "outside class folders"); a folder with images only in its root is
unlabelled (``y`` None).  Hidden files and folders (".name") are ignored.

Every image is decoded once with Pillow: EXIF rotation applied; palette,
16-bit ("I;16"), CMYK, ... converted; transparency composited on WHITE (the
usual look of a transparent PNG or emoji in a viewer, and black strokes stay
visible); converted to ``data.channels`` (default 3); the centre square cropped
and resized to ``data.resolution`` (default 64).  Corrupt, empty and non-image
files are skipped, counted in ``info["skipped"]`` and reported in one notice.
Decoding runs on a thread pool (Pillow releases the GIL while decoding).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

DEFAULT_RESOLUTION = 64
DEFAULT_CHANNELS = 3
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".tga", ".ico"}
BACKGROUND = 255  # transparent pixels become white
OUTSIDE = "outside class folders"


def data_root(cfg: DataConfig, what: str = "Image folder", example: str = "/path/to/images") -> Path:
    """``data.path`` as an existing folder (``what`` and ``example`` word the one-line error)."""
    if not cfg.path:
        raise GanforgeError(f"The {cfg.source} source needs data.path; give it with --set data.path={example}.")
    root = Path(cfg.path).expanduser()
    if not root.is_dir():
        raise GanforgeError(f"{what} {root} does not exist or is not a folder; "
                            f"give an existing folder with --set data.path={example}.")
    return root


def list_files(root: Path) -> list[Path]:
    """Every non-hidden file under ``root``, recursively, sorted (the decode order)."""
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(folder) / n for n in names if not n.startswith(".")]
    return sorted(files)


def _inputs(cfg: DataConfig) -> list[Path]:
    return list_files(data_root(cfg))


@SOURCES.register("folder")
# data/streaming.py adds its per-batch path
@source_options(splits=("train", "all"), inputs=_inputs, path_is_data=True)
def load_folder(cfg: DataConfig) -> Dataset:
    """Your own images from data.path (class sub-folders become labels); odd files skipped and counted."""
    root = data_root(cfg)
    files = list_files(root)
    size = cfg.resolution or DEFAULT_RESOLUTION
    channels = cfg.channels or DEFAULT_CHANNELS
    class_names = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    labelled = bool(class_names)
    wanted = [f for f in files if not labelled or f.parent != root]
    skipped = {OUTSIDE: len(files) - len(wanted)} if len(files) > len(wanted) else {}
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda f: decode_image(f, size, channels), wanted, chunksize=16))
    images, labels = [], []
    for path, result in zip(wanted, results):
        if isinstance(result, str):
            skipped[result] = skipped.get(result, 0) + 1
            continue
        images.append(result)
        if labelled:
            labels.append(class_names.index(path.relative_to(root).parts[0]))
    if not images:
        raise GanforgeError(f"No readable images in {root} ({len(files)} files looked at); "
                            "point --set data.path at a folder of .png/.jpg images.")
    return Dataset(x=torch.from_numpy(np.stack(images)), y=torch.tensor(labels, dtype=torch.int64) if labelled else None,
                   class_names=class_names or None, info=skip_info(root, len(files), skipped))


def skip_info(root: Path, total: int, skipped: dict[str, int]) -> dict:
    """info["skipped"] (count), info["skipped_by_reason"], and the one-line notice."""
    count = sum(skipped.values())
    info = {"skipped": count, "skipped_by_reason": skipped, "files_seen": total}
    if count:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(skipped.items()))
        info["notices"] = [f"{root}: skipped {count} of {total} files ({reasons})."]
    return info


def decode_image(path: Path, size: int, channels: int) -> np.ndarray | str:
    """One file -> uint8 (channels, size, size), or the reason it was skipped:
    "empty", "corrupt" (an image suffix or format that fails), "not an image"."""
    try:
        if path.stat().st_size == 0:
            return "empty"
        with Image.open(path) as img:
            img.draft("RGB" if channels == 3 else "L", (size, size))  # JPEG: decode at reduced scale
            img.load()
            img = to_mode(ImageOps.exif_transpose(img), channels)
            img = fit_square(img, size)
            array = np.asarray(img, dtype=np.uint8)
    except UnidentifiedImageError:
        return "corrupt" if path.suffix.lower() in IMAGE_SUFFIXES else "not an image"
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        return "corrupt"
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy()


def to_mode(img: Image.Image, channels: int) -> Image.Image:
    """Any Pillow mode -> "L" (channels 1) or "RGB" (channels 3)."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        img = _to_8bit(img)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (BACKGROUND, BACKGROUND, BACKGROUND, 255))
        img = Image.alpha_composite(background, rgba)
    return img.convert("L" if channels == 1 else "RGB")


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit / 32-bit grey -> "L": 16-bit range scaled by 1/257; "I"/"F" holding 0..255 values kept."""
    values = np.asarray(img).astype(np.float64)
    if img.mode.startswith("I;16") or values.max(initial=0) > 255:
        values = values / 257.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))


def fit_square(img: Image.Image, size: int) -> Image.Image:
    """Crop the centre square and resize it to size x size (bicubic, antialiased)."""
    w, h = img.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    if (w, h) == (size, size):
        return img
    return img.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side), reducing_gap=3.0)
