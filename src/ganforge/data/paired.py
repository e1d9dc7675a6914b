"""Image pairs for image-to-image translation: ``paired-folder`` and ``unpaired-folders``.

A sample is one image of domain A and one of domain B concatenated along
channels, x = uint8 (N, 2C, H, W) with A in channels [0, C) and B in [C, 2C)
(both halves have ``data.channels`` channels, default 3).  The generic
trainer, its in-memory gather and its sampler need no change, and any
crop/flip applied to x (:func:`random_crop_flip`) is applied to A and B alike,
so a pair stays aligned.  :func:`split_pair` undoes the packing.

``paired-folder`` (``data.path``) reads either

- ``A/`` and ``B/`` with the same relative file names (suffixes may differ,
  e.g. ``A/1.png`` pairs ``B/1.jpg``), or
- side-by-side ``AB`` images (A on the left, as in the pix2pix data sets).

``unpaired-folders`` reads ``A/`` and ``B/`` (any file names, any counts; class
sub-folders are allowed and ignored) and pairs them by a seeded shuffle: N =
the larger count, the smaller side is repeated in shuffled order.  CycleGAN
never uses the pairing; it only lets one index draw one image of each domain.
An :class:`UnpairedDataset` deals the B halves out again every epoch
(:meth:`UnpairedDataset.partners`, seeded by the training seed and the
epoch), so an A image does not meet the same B image in every epoch; epoch 0
uses the stored pairs.  It is not written to the dataset cache, which would
give back a plain Dataset.

Splits: ``<path>/<split>`` (AB layout), ``<path>/A/<split>`` (A/B layout) or
``<path>/<split>A`` (CycleGAN's trainA/testA layout) when they exist, else
the folders themselves for ``train`` / ``all``.

Files are decoded as the ``folder`` source does (EXIF rotation, odd modes,
transparency on white, centre crop, ``data.resolution`` default 64); corrupt
and non-image files are skipped and counted in one notice.  A pair whose
partner file is missing, or whose two images differ in size, is an error: a
silent skip would train on misaligned data.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ganforge.config import DataConfig
from ganforge.data.base import Dataset, IndexSampler, InMemoryBatches
from ganforge.data.folder import (DEFAULT_CHANNELS, DEFAULT_RESOLUTION, IMAGE_SUFFIXES, data_root, decode_image,
                                  fit_square, list_files, load_folder, skip_info, to_mode)
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError
from ganforge.registry import Registry

SPLITS = ("train", "test", "val", "all")
PAIRING_SEED = 0  # the unpaired shuffle: fixed, so the cache and every run agree


@dataclass(frozen=True)
class PairedSource:
    """What the rows of a translation source are, for its metrics (``metrics/translation.py``).

    Declared next to the source, not stored in its Dataset, so a cached dataset cannot hold a stale copy.
    """

    aligned: bool  # A and B of a row belong together (pix2pix data): pixel metrics apply
    #: side "A" / "B" -> (committed extractor that classifies that domain, read after un-inverting?)
    readers: dict[str, tuple[str, bool]] = field(default_factory=dict)
    labels_of: str = "AB"  # the sides the labels y describe


#: data source name -> :class:`PairedSource`, for every source whose samples are A|B pairs.
PAIRED_SOURCES: Registry[PairedSource] = Registry("paired data source")


# ----------------------------------------------------------------------------
# packing, and the augmentation that keeps pairs aligned


def pack_pair(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A (N, C, H, W) and B (N, C, H, W) -> x (N, 2C, H, W)."""
    return torch.cat([a, b], dim=1)


def split_pair(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x (N, 2C, H, W) -> (A, B), each (N, C, H, W): the two equal channel halves."""
    if x.dim() != 4 or x.shape[1] % 2:
        raise GanforgeError(f"Translation recipes need paired images (N, 2C, H, W) from a paired data source, "
                            f"got shape {tuple(x.shape)}; set data.source to paired-folder or unpaired-folders.")
    return x.chunk(2, dim=1)


def random_crop_flip(x: torch.Tensor, pad: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """pix2pix's jitter on a batch x (B, C, H, W): reflect-pad by ``pad``, random H x W crop, random
    horizontal flip, one draw per sample shared by all its channels, so A and B stay aligned.

    Draws from ``generator`` (default: the global RNG, which checkpoints save).
    """
    b, _, h, w = x.shape
    offsets = torch.randint(0, 2 * pad + 1, (b, 2), generator=generator) if pad else torch.zeros(b, 2, dtype=torch.long)
    flips = torch.rand(b, generator=generator) < 0.5
    padded = torch.nn.functional.pad(x, (pad,) * 4, mode="reflect") if pad else x
    out = torch.stack([padded[i, :, top : top + h, left : left + w] for i, (top, left) in enumerate(offsets.tolist())])
    return torch.where(flips.to(x.device).view(b, 1, 1, 1), out.flip(-1), out)


# ----------------------------------------------------------------------------
# folders


def split_dir(base: Path, split: str, joined: str | None = None) -> Path:
    """``base/<split>`` (or the sibling folder ``joined``, e.g. trainA) when it exists; else ``base`` for train/all."""
    candidate = base.parent / joined if joined else base / split
    if split != "all" and candidate.is_dir():
        return candidate
    if split in ("train", "all") and base.is_dir():
        return base
    raise GanforgeError(f"{base} has no {split!r} split (looked for {candidate}); add that folder "
                        "(held-out pairs for ganforge eval), or train on data.split train or all.")


def _images(folder: Path) -> list[Path]:
    return [f for f in list_files(folder) if f.suffix.lower() in IMAGE_SUFFIXES] if folder.is_dir() else []


def _ab_layout(root: Path) -> bool:
    return (root / "A").is_dir() and (root / "B").is_dir()


def _inputs(cfg: DataConfig) -> list[Path]:
    root = data_root(cfg, "Pair folder", "/path/to/pairs")
    if _ab_layout(root):
        return _images(split_dir(root / "A", cfg.split)) + _images(split_dir(root / "B", cfg.split))
    return _images(split_dir(root, cfg.split))


@SOURCES.register("paired-folder")
@source_options(splits=SPLITS, inputs=_inputs, path_is_data=True)
def load_paired_folder(cfg: DataConfig) -> Dataset:
    """Aligned pairs from data.path: A/ and B/ with the same file names, or side-by-side AB images."""
    root = data_root(cfg, "Pair folder", "/path/to/pairs")
    size, channels = cfg.resolution or DEFAULT_RESOLUTION, cfg.channels or DEFAULT_CHANNELS
    if _ab_layout(root):
        jobs, seen = _matched_files(split_dir(root / "A", cfg.split), split_dir(root / "B", cfg.split))
        decode = lambda job: _decode_two(job, size, channels)  # noqa: E731
    else:
        jobs = _images(split_dir(root, cfg.split))
        seen = len(list_files(split_dir(root, cfg.split)))
        decode = lambda path: decode_side_by_side(path, size, channels)  # noqa: E731
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(decode, jobs, chunksize=16))
    pairs, skipped = [], {}
    for result in results:
        if isinstance(result, str):
            skipped[result] = skipped.get(result, 0) + 1
        else:
            pairs.append(result)
    if not pairs:
        raise GanforgeError(f"No readable image pairs in {root} ({seen} files looked at); give A/ and B/ folders "
                            "with the same file names, or side-by-side AB images.")
    x = torch.from_numpy(np.stack(pairs))
    return Dataset(x=x, info={**skip_info(root, seen, skipped), "paired": True, "layout": "A|B channels"})


PAIRED_SOURCES.register("paired-folder")(PairedSource(aligned=True))


def _matched_files(a_dir: Path, b_dir: Path) -> tuple[list[tuple[Path, Path]], int]:
    """[(A file, B file)] matched by relative path without suffix; a missing partner is an error."""
    a_files, b_files = _images(a_dir), _images(b_dir)
    key = lambda f, base: f.relative_to(base).with_suffix("").as_posix()  # noqa: E731
    b_by_key = {key(f, b_dir): f for f in b_files}
    a_keys = {key(f, a_dir) for f in a_files}
    for f in a_files:
        if key(f, a_dir) not in b_by_key:
            raise GanforgeError(f"{f} has no partner in {b_dir} (expected a file named {key(f, a_dir)}.*); "
                                "add it or remove the unpaired file.")
    for f in b_files:
        if key(f, b_dir) not in a_keys:
            raise GanforgeError(f"{f} has no partner in {a_dir} (expected a file named {key(f, b_dir)}.*); "
                                "add it or remove the unpaired file.")
    return [(f, b_by_key[key(f, a_dir)]) for f in a_files], len(a_files) + len(b_files)


def _decode_two(job: tuple[Path, Path], size: int, channels: int) -> np.ndarray | str:
    """(A file, B file) -> uint8 (2C, size, size), a skip reason, or an error for differing sizes."""
    a_path, b_path = job
    a_size, b_size = _pixel_size(a_path), _pixel_size(b_path)
    if a_size and b_size and a_size != b_size:
        raise GanforgeError(f"{a_path} is {a_size[0]}x{a_size[1]} but its partner {b_path} is {b_size[0]}x{b_size[1]}; "
                            "a pair must have the same size (resize one of them).")
    a, b = decode_image(a_path, size, channels), decode_image(b_path, size, channels)
    for part in (a, b):
        if isinstance(part, str):
            return part
    return np.concatenate([a, b])


def _pixel_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the header, None when unreadable (the decoder then counts it as skipped)."""
    try:
        with Image.open(path) as img:
            return ImageOps.exif_transpose(img).size if img.getexif() else img.size
    except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError, Image.DecompressionBombError):
        return None


def decode_side_by_side(path: Path, size: int, channels: int) -> np.ndarray | str:
    """One AB image (A left, B right, each square) -> uint8 (2C, size, size), or why it was skipped."""
    try:
        if path.stat().st_size == 0:
            return "empty"
        with Image.open(path) as img:
            img.load()
            img = to_mode(ImageOps.exif_transpose(img), channels)
    except UnidentifiedImageError:
        return "corrupt"
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        return "corrupt"
    w, h = img.size
    if w != 2 * h:
        raise GanforgeError(f"{path} is {w}x{h}, not two squares side by side (width must be twice the height); "
                            "give A/ and B/ folders instead, or fix the image.")
    halves = [fit_square(img.crop(box), size) for box in ((0, 0, h, h), (h, 0, w, h))]
    arrays = [np.asarray(half, dtype=np.uint8) for half in halves]
    return np.concatenate([a[None] if a.ndim == 2 else a.transpose(2, 0, 1) for a in arrays])


# ----------------------------------------------------------------------------
# unpaired


def _unpaired_dirs(cfg: DataConfig) -> tuple[Path, Path]:
    root = data_root(cfg, "Pair folder", "/path/to/pairs")
    if not _ab_layout(root) and not ((root / f"{cfg.split}A").is_dir() and (root / f"{cfg.split}B").is_dir()):
        raise GanforgeError(f"{root} needs two folders A/ and B/ (or {cfg.split}A/ and {cfg.split}B/) for unpaired-folders; "
                            "create them or point data.path at their parent.")
    return tuple(split_dir(root / side, cfg.split, joined=f"{cfg.split}{side}") for side in "AB")


def _unpaired_inputs(cfg: DataConfig) -> list[Path]:
    return [f for d in _unpaired_dirs(cfg) for f in list_files(d)]


@SOURCES.register("unpaired-folders")
@source_options(splits=SPLITS, inputs=_unpaired_inputs, path_is_data=True, cacheable=False)  # see UnpairedDataset
def load_unpaired_folders(cfg: DataConfig) -> Dataset:
    """Two image folders A/ and B/ of any sizes, paired by a seeded shuffle (CycleGAN)."""
    dirs = _unpaired_dirs(cfg)
    sides = [load_folder(replace(cfg, path=str(d), source="folder", split="train")) for d in dirs]
    a_index, b_index = seeded_pairing(len(sides[0]), len(sides[1]), PAIRING_SEED)
    x = pack_pair(sides[0].x[a_index], sides[1].x[b_index])
    notices = [n for side in sides for n in side.info.get("notices", [])]
    info = {"paired": True, "layout": "A|B channels", "count_a": len(sides[0]),
            "count_b": len(sides[1]), "skipped": sum(side.info.get("skipped", 0) for side in sides), "notices": notices}
    return UnpairedDataset(x=x, info=info)


PAIRED_SOURCES.register("unpaired-folders")(PairedSource(aligned=False))


def seeded_pairing(n_a: int, n_b: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (N,) into A and into B, N = max(n_a, n_b): every image of each side at least once."""
    n = max(n_a, n_b)
    generator = torch.Generator().manual_seed(seed)
    cover = lambda m: torch.cat([torch.randperm(m, generator=generator) for _ in range(-(-n // m))])[:n]  # noqa: E731
    return cover(n_a), cover(n_b)


PARTNER_STREAM = 1 << 48  # offsets the partner draws' seed from the sampler's (seed * 1_000_003 + epoch)


class UnpairedDataset(Dataset):
    """Unpaired A|B rows x (N, 2C, H, W) whose B halves are re-dealt every epoch (CycleGAN data).

    Row i keeps its A half (and its label, which describes A); in epoch e its B half
    comes from row ``partners(e, seed)[i]``.  Every B image of x is dealt once per epoch.
    """

    def partners(self, epoch: int, seed: int) -> torch.Tensor:
        """int64 (N,): the row whose B half joins row i in ``epoch``; epoch 0 keeps the stored pairs."""
        if epoch == 0:
            return torch.arange(len(self))
        generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch + PARTNER_STREAM)
        return torch.randperm(len(self), generator=generator)

    def batches(self, sampler: IndexSampler, batch_size: int, rank: int = 0, world: int = 1, workers: int = 0):
        """Like the in-memory gather, with each epoch's pairing (``workers`` is unused here)."""
        return RepairedBatches(self, sampler, batch_size, rank, world)


class RepairedBatches(InMemoryBatches):
    """The in-memory gather of an :class:`UnpairedDataset`: row i's B half comes from its epoch's partner row.

    The epoch of each index is read from the sampler position it was drawn at, so a resumed
    run (same sampler position) sees the same pairs.
    """

    def __init__(self, data: UnpairedDataset, sampler: IndexSampler, batch_size: int, rank: int = 0,
                 world: int = 1) -> None:
        super().__init__(data, sampler, batch_size, rank, world)
        self._partners: dict[int, torch.Tensor] = {}

    def _partner(self, epoch: int) -> torch.Tensor:
        if epoch not in self._partners:
            self._partners = {epoch: self.data.partners(epoch, self.sampler.seed)}  # one epoch at a time
        return self._partners[epoch]

    def next(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        start = self.sampler.position
        index = self.sampler.next(self.batch_size)
        epochs = torch.div(start + torch.arange(len(index)), self.sampler.n, rounding_mode="floor")
        partner = index.clone()
        for epoch in epochs.unique().tolist():  # one epoch, or two when the batch straddles an epoch's end
            at = epochs == epoch
            partner[at] = self._partner(epoch)[index[at]]
        per_rank = len(index) // self.world
        keep = slice(self.rank * per_rank, (self.rank + 1) * per_rank)
        index, partner = index[keep], partner[keep]
        a, _ = split_pair(self.data.x[index])
        _, b = split_pair(self.data.x[partner])
        y = self.data.y[index].to(device, non_blocking=True) if self.data.y is not None else None
        return self.data.to_model(pack_pair(a, b).to(device, non_blocking=True)), y
