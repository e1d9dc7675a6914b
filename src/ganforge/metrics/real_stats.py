"""The real side of an evaluation: which split, which samples, which extractor, and the on-disk cache.

Real features are the expensive half of an evaluation that never changes
between runs, so :func:`real_stats` caches them per extractor checksum,
source, split, size and a fingerprint of the exact samples; a second
evaluation only pays for the generated side.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.extractor import Extractor, extractor_for_source, load_extractor

DEFAULT_N_REAL = 10_000  # real samples compared against: all of a test split, at most 10k
STATS_VERSION = 1  # bump when the cached real statistics change meaning


def stats_dir() -> Path:
    """``$GANFORGE_CACHE/stats``, else ``~/.cache/ganforge/stats``."""
    from ganforge.data.registry import cache_root

    return cache_root() / "stats"


def eval_split(source: str) -> str:
    """"test" when the source has a test split, else "train"."""
    from ganforge.data import SOURCES

    return "test" if "test" in getattr(SOURCES.get(source), "splits", ("train", "test", "all")) else "train"


def load_real(data_cfg, split: str, n_max: int | None):
    """The real ``split`` of ``data_cfg``'s source (all of it, not the run's ``limit``),
    cut to a fixed seeded subset of ``n_max`` samples when larger. -> Dataset."""
    from ganforge.data import load_dataset

    data = load_dataset(dataclasses.replace(data_cfg, split=split, limit=None))
    if n_max is not None and len(data) > n_max:
        keep = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:n_max].sort().values
        data.x = data.x[keep]
        data.y = data.y[keep] if data.y is not None else None
    return data


def fingerprint(x: torch.Tensor) -> str:
    """SHA-256 of a tensor's shape, dtype and bytes: identifies the exact real samples."""
    h = hashlib.sha256(f"{tuple(x.shape)}{x.dtype}".encode())
    h.update(x.contiguous().view(-1).view(torch.uint8).numpy().tobytes() if x.numel() else b"")
    return h.hexdigest()


def resolve_extractor(extractor: str | Path | Extractor | None, data_cfg, device="cpu") -> Extractor:
    """"auto" -> the committed extractor for ``data_cfg.source``; a name or folder -> that one."""
    if isinstance(extractor, Extractor):
        return extractor.to(device)
    if extractor in (None, "auto"):
        name = extractor_for_source(data_cfg.source)
        if name is None:
            raise GanforgeError(
                f"No feature extractor is committed for data source {data_cfg.source!r}; train one with "
                f"`ganforge metrics train-extractor --dataset {data_cfg.source} --out DIR` (add --path for a "
                f"folder) and pass --extractor DIR, or use --metrics inception-fid.")
        extractor = name
    return load_extractor(extractor, device=device)


def _extract_real(extractor, x: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """Real images -> {"features", "probs"} (the expensive step the cache saves)."""
    if hasattr(extractor, "probs"):
        feats, probs = extractor(x, batch_size)
        return {"features": feats, "probs": probs}
    return {"features": extractor.features(x, batch_size=min(batch_size, 50))}


def real_stats(extractor, data_cfg, split: str, n_real: int | None, batch_size: int = 500,
               cache: bool = True, data=None) -> tuple[dict[str, torch.Tensor], dict]:
    """Features (and class probabilities) of the real ``split``, from the on-disk cache when present.

    Returns ``(tensors, info)``; tensors holds "features" (N, D) float32 and,
    for a domain classifier, "probs" (N, K). The cache key covers the
    extractor's sha256, the source, split, n and a fingerprint of the exact
    real samples, so changed data or weights never reuse stale numbers.
    """
    if data is None:
        data = load_real(data_cfg, split, n_real)
    if not data.is_image:
        raise GanforgeError(f"Data source {data_cfg.source!r} gives points; image features do not apply.")
    key_fields = {"version": STATS_VERSION, "extractor": extractor.name, "sha256": extractor.sha256,
                  "source": data_cfg.source, "split": split, "n": len(data), "data": fingerprint(data.x)}
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()
    path = stats_dir() / f"{data_cfg.source}-{split}-{extractor.name}-{len(data)}-{key[:16]}.safetensors"
    info = {"split": split, "n_real": len(data), "cache": str(path), "cached": False}
    if cache and path.is_file():
        tensors = _read_stats(path, key)
        if tensors is not None:
            info["cached"] = True
            return tensors, info
    tensors = {k: v.float().contiguous() for k, v in _extract_real(extractor, data.x, batch_size).items()}
    if cache:
        _write_stats(path, key, tensors)
    return tensors, info


def _read_stats(path: Path, key: str) -> dict[str, torch.Tensor] | None:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            if json.loads(f.metadata()["ganforge"]).get("key") != key:
                return None
            return {k: f.get_tensor(k) for k in f.keys()}
    except Exception:  # noqa: BLE001 -- a damaged cache file is recomputed, never trusted
        return None


def _write_stats(path: Path, key: str, tensors: dict[str, torch.Tensor]) -> None:
    from safetensors.torch import save_file

    from ganforge.files import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"ganforge": json.dumps({"key": key})}
        atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))
    except (OSError, GanforgeError):  # a read-only cache only costs recomputing next time
        pass
