"""The data-source registry and ``load_dataset``, the one entry point.

``load_dataset(cfg)`` does, in order:

1. look up ``cfg.source`` in :data:`SOURCES` and check ``cfg.split`` and the
   generic options (``channels``, ``resolution``, ``limit``);
2. return the decoded, conformed data set from the on-disk cache when its key
   matches, else call the loader, conform it (channels, resolution) and write
   the cache atomically;
3. keep the first ``limit`` samples of a fixed seeded shuffle;
4. show the loader's notices (e.g. "this is the 5k MNIST subset") as
   :class:`DataNotice` warnings, each text once per process.

A loader is ``fn(cfg: DataConfig) -> Dataset`` registered with
``@SOURCES.register("name")``; its docstring's first line is what
``ganforge data list`` prints.  :func:`source_options` (applied under the
register decorator) declares its splits, whether it may be cached, and which
input files it reads, so a changed file invalidates the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn.functional as F

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.errors import GanforgeError
from ganforge.files import atomic_write
from ganforge.registry import Registry, first_line

SOURCES: Registry[Callable[[DataConfig], Dataset]] = Registry("data source")

CACHE_VERSION = 1  # bump when a decoder changes its output for the same files
LIMIT_SEED = 0  # the seeded shuffle that picks the `limit` kept samples
DEFAULT_SPLITS = ("train", "test", "all")
_RESIZE_CHUNK = 2048  # images per interpolate call: bounds float memory

log = logging.getLogger("ganforge.data")


class DataNotice(UserWarning):
    """A one-line notice about the data a run uses (subset in use, skipped files)."""


# ----------------------------------------------------------------------------
# declaring and describing sources


def source_options(*, splits: Iterable[str] = DEFAULT_SPLITS, cacheable: bool = True,
                   inputs: Callable[[DataConfig], list[Path]] | None = None,
                   streaming: Callable | None = None, is_image: bool = True,
                   path_is_data: bool = False, mirror_invariant: bool = False) -> Callable:
    """Decorator: declare a loader's valid splits, whether its output is cached,
    ``inputs(cfg) -> [files]`` whose paths, sizes and mtimes key the cache, an
    optional ``streaming(cfg)`` loader that decodes per batch instead, whether
    it gives images (False: points), whether ``data.path`` IS the data set
    (a user's folder or file, which then names it) rather than the location of
    a known one, and whether a mirrored image keeps its class (clothes, not
    digits: classifier training may flip them)."""

    def decorate(fn: Callable) -> Callable:
        fn.splits = tuple(splits)
        fn.cacheable = cacheable
        fn.inputs = inputs
        fn.streaming = streaming
        fn.is_image = is_image
        fn.path_is_data = path_is_data
        fn.mirror_invariant = mirror_invariant
        return fn

    return decorate


def source_trait(name: str, trait: str):
    """What source ``name`` declared with :func:`source_options` (a loader registered without it has the defaults)."""
    return getattr(SOURCES.get(name), trait, getattr(_UNDECLARED, trait))


_UNDECLARED = source_options()(lambda cfg: None)  # the defaults, read by source_trait


def describe_sources() -> list[tuple[str, str]]:
    """[(name, first docstring line)] for every registered source, sorted by name."""
    return [(name, first_line(SOURCES.get(name).__doc__)) for name in SOURCES.names()]


# ----------------------------------------------------------------------------
# the entry point


def load_dataset(cfg: DataConfig) -> Dataset:
    """Decode (or read from cache) the data set ``cfg`` describes.

    Returns uint8 (N, C, H, W) images or float32 (N, D) points, conformed to
    ``cfg.channels`` / ``cfg.resolution`` and cut to ``cfg.limit`` samples.
    """
    loader = SOURCES.get(cfg.source)
    _check_options(cfg, loader)
    if cfg.streaming:
        return _streaming(loader, cfg)
    if cfg.cache and getattr(loader, "cacheable", True):
        data = _load_cached(loader, cfg)
    else:
        data = _build(loader, cfg)
    data = apply_limit(data, cfg.limit)
    announce(data)
    return data


def _streaming(loader: Callable, cfg: DataConfig):
    """The source's per-batch decoding path, for data too large to hold in memory."""
    stream = getattr(loader, "streaming", None)
    if stream is None:
        able = [n for n in SOURCES.names() if getattr(SOURCES.get(n), "streaming", None)]
        raise GanforgeError(f"Data source {cfg.source!r} has no streaming path (it fits in memory); "
                            f"remove data.streaming, or use one of: {', '.join(able)}.")
    if cfg.workers < 0:
        raise GanforgeError(f"data.workers must be >= 0 (0 decodes in the training process), got {cfg.workers}.")
    return stream(cfg)


def _check_options(cfg: DataConfig, loader: Callable) -> None:
    """Raise one clear GanforgeError for a bad split / channels / resolution / limit."""
    splits = getattr(loader, "splits", DEFAULT_SPLITS)
    if cfg.split not in splits:
        raise GanforgeError(f"Data source {cfg.source!r} has no split {cfg.split!r}; "
                            f"set data.split to one of: {', '.join(splits)}.")
    if cfg.channels is not None and cfg.channels not in (1, 3):
        raise GanforgeError(f"data.channels must be 1 (grey) or 3 (RGB), got {cfg.channels}.")
    if cfg.resolution is not None and cfg.resolution < 1:
        raise GanforgeError(f"data.resolution must be a positive number of pixels, got {cfg.resolution}.")
    if cfg.limit is not None and cfg.limit < 1:
        raise GanforgeError(f"data.limit must be >= 1 (or null for all samples), got {cfg.limit}.")


def _build(loader: Callable, cfg: DataConfig) -> Dataset:
    """Run the loader, then conform channels and resolution."""
    data = loader(cfg)
    data.source = cfg.source
    data.info.setdefault("split", cfg.split)
    return conform(data, cfg)


# ----------------------------------------------------------------------------
# generic conforming: channels, resolution, limit


def conform(data: Dataset, cfg: DataConfig) -> Dataset:
    """Convert images to ``cfg.channels`` and ``cfg.resolution`` (no-op when equal)."""
    if not data.is_image:
        if cfg.channels is not None or cfg.resolution is not None:
            raise GanforgeError(f"Data source {cfg.source!r} gives points, not images; "
                                "remove data.channels and data.resolution.")
        return data
    if cfg.channels is not None and not data.info.get("paired"):  # paired sources convert each half themselves
        data.x = convert_channels(data.x, cfg.channels)
    if cfg.resolution is not None:
        data.x = resize_square(data.x, cfg.resolution)
    return data


def convert_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> (N, channels, H, W): grey->RGB repeats, RGB->grey uses
    ITU-R 601 luminance (the weights PIL's ``convert("L")`` uses)."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 1 and channels == 3:
        return x.expand(-1, 3, -1, -1).contiguous()
    if have == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (x.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    raise GanforgeError(f"Cannot convert {have}-channel images to {channels} channels; set data.channels to 1 or 3.")


def resize_square(x: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> (N, C, size, size): centre-crop to square, then
    antialiased bilinear resize, in chunks so 60k images need little memory."""
    h, w = x.shape[-2:]
    if h != w:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        x = x[..., top : top + side, left : left + side]
    if x.shape[-1] == size:
        return x.contiguous()
    parts = []
    for chunk in x.split(_RESIZE_CHUNK):
        y = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        parts.append(y.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(parts) if parts else x.new_zeros((0, x.shape[1], size, size))


def apply_limit(data: Dataset, limit: int | None) -> Dataset:
    """Keep ``limit`` samples: the first ``limit`` of a fixed seeded shuffle, in
    their original order.  Deterministic, and (unlike a plain head) it does not
    keep only class 0 of a class-sorted set."""
    if limit is None or limit >= len(data):
        return data
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(LIMIT_SEED))
    keep = perm[:limit].sort().values
    data.x = data.x[keep].contiguous()
    if data.y is not None:
        data.y = data.y[keep].contiguous()
    data.info["limit"] = limit
    return data


# ----------------------------------------------------------------------------
# notices

_SHOWN: set[str] = set()


def announce(data: Dataset) -> None:
    """Warn each of ``data.info["notices"]`` once per process (cached loads too)."""
    for text in data.info.get("notices", []):
        if text not in _SHOWN:
            _SHOWN.add(text)
            warnings.warn(text, DataNotice, stacklevel=3)


# ----------------------------------------------------------------------------
# the on-disk cache


def cache_root() -> Path:
    """``$GANFORGE_CACHE``, else ``~/.cache/ganforge``: the one root of every ganforge cache."""
    root = os.environ.get("GANFORGE_CACHE")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "ganforge"


def cache_dir(cfg: DataConfig) -> Path:
    """``cfg.cache_dir``, else ``cache_root()/datasets``."""
    if cfg.cache_dir:
        return Path(cfg.cache_dir).expanduser()
    return cache_root() / "datasets"


def cache_key(loader: Callable, cfg: DataConfig) -> str:
    """SHA-256 of everything that changes the cached result: the source, the
    options that shape it (not ``limit``, applied after), and the input files'
    paths, sizes and mtimes."""
    files = loader.inputs(cfg) if getattr(loader, "inputs", None) else []
    stamp = []
    for f in sorted(Path(p).resolve() for p in files):
        st = f.stat()
        stamp.append([str(f), st.st_size, st.st_mtime_ns])
    options = {
        "version": CACHE_VERSION, "source": cfg.source, "split": cfg.split,
        "path": str(Path(cfg.path).expanduser().resolve()) if cfg.path else None,
        "data_dir": str(Path(cfg.data_dir).expanduser().resolve()) if cfg.data_dir else None,
        "resolution": cfg.resolution, "channels": cfg.channels, "variant": cfg.variant, "files": stamp,
    }
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()


def _load_cached(loader: Callable, cfg: DataConfig) -> Dataset:
    """Read the cache entry for ``cfg``; on a miss (or a corrupt file) build and write it."""
    key = cache_key(loader, cfg)
    path = cache_dir(cfg) / f"{cfg.source}-{cfg.split}-{key[:20]}.safetensors"
    if path.exists():
        data = read_cache(path, key)
        if data is not None:
            return data
    data = _build(loader, cfg)
    write_cache(path, key, data)
    return data


def read_cache(path: Path, key: str) -> Dataset | None:
    """The Dataset stored at ``path`` if it is intact and holds ``key``, else None."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()["ganforge"])
            if meta.get("key") != key:
                return None
            x = f.get_tensor("x")
            y = f.get_tensor("y") if "y" in f.keys() else None
        if list(x.shape) != meta["shape"]:
            return None
        return Dataset(x=x, y=y, class_names=meta["class_names"], source=meta["source"], info=meta["info"])
    except Exception as exc:  # any damage at all: ignore the file, rebuild it
        log.info("ignoring unreadable dataset cache %s (%s); rebuilding it", path, exc.__class__.__name__)
        return None


def write_cache(path: Path, key: str, data: Dataset) -> None:
    """Write ``data`` to ``path`` atomically (``ganforge.files.atomic_write``).

    x / y go into a safetensors file; class names, info and the key go into its
    JSON metadata, so the entry is one file that is either whole or absent.
    A cache that cannot be written (read-only disk) only costs a re-decode.
    """
    from safetensors.torch import save_file

    meta = {"key": key, "shape": list(data.x.shape), "class_names": data.class_names,
            "source": data.source, "info": data.info}
    tensors = {"x": data.x.contiguous()}
    if data.y is not None:
        tensors["y"] = data.y.contiguous()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={"ganforge": json.dumps(meta)}))
    except (OSError, GanforgeError) as exc:
        log.warning("could not write the dataset cache %s (%s); it will be decoded again next time", path, exc)
