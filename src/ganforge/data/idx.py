"""Reader for IDX files (the MNIST / Fashion-MNIST format), plain or gzipped,
and the lookup of a folder of them.

An IDX file is: two zero bytes, a type byte, a byte giving the number of
dimensions, one big-endian int32 per dimension, then the values, big-endian,
row-major.  Images are ``idx3`` (N, H, W) uint8; labels are ``idx1`` (N,) uint8.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from ganforge.errors import GanforgeError

# type byte -> big-endian numpy dtype
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# split -> (images, labels) file stems; "all" reads both pairs
IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | Path) -> torch.Tensor:
    """Read one IDX file (gzip detected by its magic bytes) -> tensor of its shape.

    uint8 data stays uint8; other types become their native-endian dtype.
    A truncated or corrupt file raises GanforgeError naming the file.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise _corrupt(path, "it does not start with an IDX header")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _corrupt(path, "its header is cut short")
    dims = struct.unpack(f">{ndim}i", raw[4:header])
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise _corrupt(path, f"it should hold {expected} bytes of data after the header, found {len(raw) - header}")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return torch.from_numpy(array.astype(dtype.newbyteorder("="), copy=True))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise GanforgeError(f"IDX file {path} does not exist; check the data folder.") from None
    except (EOFError, OSError, zlib.error) as exc:
        raise _corrupt(path, f"it cannot be decompressed ({exc.__class__.__name__})") from None
    return raw


def _corrupt(path: Path, why: str) -> GanforgeError:
    return GanforgeError(f"IDX file {path} is truncated or corrupt ({why}); delete it and copy or download it again.")


def find_idx_file(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``stem.gz``, also the ``train-images.idx3-ubyte`` spelling."""
    alt = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", alt, alt + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def idx_files(folder: Path, split: str) -> list[Path] | None:
    """[images, labels, ...] for ``split`` in ``folder``, or None if any is missing."""
    stems = [s for part in (("train", "test") if split == "all" else (split,)) for s in IDX_STEMS[part]]
    found = [find_idx_file(folder, s) for s in stems]
    return None if any(f is None for f in found) else found


def read_idx_split(files: list[Path]) -> tuple[torch.Tensor, torch.Tensor]:
    """[images, labels, images, labels, ...] -> (uint8 (N, 1, H, W), int64 (N,)), pairs concatenated."""
    xs, ys = [], []
    for images, labels in zip(files[0::2], files[1::2]):
        x, y = read_idx(images), read_idx(labels)
        if x.dim() != 3 or y.dim() != 1 or len(x) != len(y):
            raise GanforgeError(f"{images.name} ({tuple(x.shape)}) and {labels.name} ({tuple(y.shape)}) do not "
                                "form an image/label pair; replace them with the original files.")
        xs.append(x.to(torch.uint8).unsqueeze(1))
        ys.append(y.long())
    return torch.cat(xs), torch.cat(ys)


def search_dirs(data_dir: str | None, sub: str, defaults: list[Path], env_root: bool) -> list[Path]:
    """Folders to look for IDX files in, in order.

    An explicit ``data_dir`` is the only place looked (its ``sub`` folder first):
    a wrong explicit folder is an error, never a silent fallback.  Otherwise
    ``$GANFORGE_DATA/sub`` (and ``$GANFORGE_DATA`` itself if ``env_root``), then
    ``defaults``.
    """
    if data_dir:
        base = Path(data_dir).expanduser()
        return [base / sub, base]
    dirs: list[Path] = []
    env = os.environ.get("GANFORGE_DATA")
    if env:
        base = Path(env).expanduser()
        dirs += [base / sub] + ([base] if env_root else [])
    return dirs + list(defaults)


def find_idx_split(dirs: list[Path], split: str) -> list[Path] | None:
    """The IDX files for ``split`` from the first folder in ``dirs`` that has them all."""
    for folder in dirs:
        files = idx_files(folder, split)
        if files:
            return files
    return None
