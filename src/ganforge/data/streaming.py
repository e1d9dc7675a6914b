"""The streaming data path: decode images per batch in DataLoader workers.

For folders too large to decode into memory.  It is the "straightforward
per-image PIL pipeline" of the reference scripts, kept correct: batches come
from the same :class:`IndexSampler` positions as the in-memory path (so
resume is exact and multi-process ranks take their slice of each global
batch).  Unreadable files are skipped once, at indexing, with one notice; a
file that breaks after indexing is replaced by the next readable one.
"""

from __future__ import annotations

import os
import random
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from ganforge.config import DataConfig
from ganforge.data.base import IndexSampler, InMemoryBatches, from_uint8_images  # noqa: F401  (re-exported)
from ganforge.data.folder import DEFAULT_CHANNELS, DEFAULT_RESOLUTION, decode_image, list_files, load_folder
from ganforge.errors import GanforgeError


class StreamingFolder(torch.utils.data.Dataset):
    """A folder's file list (+ labels from class sub-folders); ``[i]`` decodes image i.

    Offers the attributes the trainer reads from an in-memory Dataset
    (``sample_shape``, ``num_classes``, ``class_names``, ``is_image``, ``to_model``).
    """

    is_image = True

    def __init__(self, files: list[Path], labels: list[int] | None, class_names: list[str] | None,
                 size: int, channels: int, source: str = "folder") -> None:
        self.files, self.labels, self.class_names = files, labels, class_names
        self.size, self.channels, self.source, self.info = size, channels, source, {"streaming": True}

    def __len__(self) -> int:
        return len(self.files)

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.size, self.size)

    @property
    def num_classes(self) -> int:
        return len(self.class_names or [])

    @staticmethod
    def to_model(raw: torch.Tensor) -> torch.Tensor:
        return from_uint8_images(raw)

    def batches(self, sampler: IndexSampler, batch_size: int, rank: int = 0, world: int = 1, workers: int = 0):
        """This source's batch iterator (``.next(device)``): per-batch decoding in ``workers`` processes."""
        return StreamingBatches(self, sampler, batch_size, workers, rank, world)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        """-> (uint8 (C, H, W), label or -1); an unreadable file is replaced by the next readable one."""
        for step in range(len(self.files)):
            i = (index + step) % len(self.files)
            image = decode_image(self.files[i], self.size, self.channels)
            if not isinstance(image, str):
                return torch.from_numpy(image), self.labels[i] if self.labels is not None else -1
            warnings.warn(f"{self.files[i]}: {image}, skipped while streaming", stacklevel=2)
        raise RuntimeError("no readable image in the streamed folder")


def stream_folder(cfg: DataConfig) -> StreamingFolder:
    """Index the images of ``cfg.path``; class sub-folders become labels.

    Every file is decoded once here, on a thread pool, and dropped: unreadable
    files are skipped at indexing, counted and reported in one notice, exactly
    like the in-memory path, so they are neither counted as samples nor
    replaced (twice) in every epoch.  Pixels are decoded again per batch.
    """
    from ganforge.data.folder import OUTSIDE, data_root, skip_info  # the in-memory path's checks and messages
    from ganforge.data.registry import announce

    root = data_root(cfg)
    size, channels = cfg.resolution or DEFAULT_RESOLUTION, cfg.channels or DEFAULT_CHANNELS
    class_names = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    seen = list_files(root)
    wanted = [f for f in seen if not class_names or f.parent != root]
    skipped = {OUTSIDE: len(seen) - len(wanted)} if len(seen) > len(wanted) else {}
    files = []
    for path, why in zip(wanted, _readability(wanted, size, channels)):
        if why is None:
            files.append(path)
        else:
            skipped[why] = skipped.get(why, 0) + 1
    if not files:
        raise GanforgeError(f"No readable images in {root} ({len(seen)} files looked at); "
                            "point --set data.path at a folder of .png/.jpg images.")
    if cfg.limit:
        keep = sorted(random.Random(0).sample(range(len(files)), min(cfg.limit, len(files))))
        files = [files[i] for i in keep]
    labels = [class_names.index(f.relative_to(root).parts[0]) for f in files] if class_names else None
    data = StreamingFolder(files, labels, class_names or None, size, channels)
    data.info.update(skip_info(root, len(seen), skipped))
    announce(data)
    return data


def _readability(files: list[Path], size: int, channels: int) -> list[str | None]:
    """Per file: None if it decodes, else the reason it is skipped (decoded on threads, pixels dropped)."""
    def reason(path: Path) -> str | None:
        result = decode_image(path, size, channels)  # the same test as the in-memory path: any decodable file
        return result if isinstance(result, str) else None

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(reason, files, chunksize=16))


class _RankBatches:
    """Infinite iterable of this rank's index lists, starting at a sampler position."""

    def __init__(self, sampler: IndexSampler, start: int, batch_size: int, rank: int, world: int) -> None:
        self.sampler, self.start, self.batch_size, self.rank, self.world = sampler, start, batch_size, rank, world

    def __iter__(self):
        position, per_rank = self.start, self.batch_size // self.world
        order = IndexSampler(self.sampler.n, self.sampler.seed)  # own copy: workers must not move the trainer's
        while True:
            index = order.indices_at(position, self.batch_size)
            yield index[self.rank * per_rank : (self.rank + 1) * per_rank].tolist()
            position += self.batch_size


class StreamingBatches:
    """Per-batch decoding in ``workers`` DataLoader processes, prefetching ahead.

    The sampler position advances only when the trainer takes a batch, so a
    checkpoint records what was consumed, not what was prefetched.
    """

    def __init__(self, data: StreamingFolder, sampler: IndexSampler, batch_size: int, workers: int,
                 rank: int = 0, world: int = 1) -> None:
        self.data, self.sampler, self.batch_size, self.workers = data, sampler, batch_size, workers
        self.rank, self.world = rank, world
        self._iterator = None

    def next(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._iterator is None:  # (re)start at the sampler's position, e.g. after a resume
            batches = _RankBatches(self.sampler, self.sampler.position, self.batch_size, self.rank, self.world)
            # Its own generator: creating the iterator must not draw from the global RNG
            # that the recipe's latents come from (resume and in-memory parity rely on it).
            seed_source = torch.Generator().manual_seed(self.sampler.seed)
            loader = DataLoader(self.data, batch_sampler=batches, num_workers=self.workers,
                                prefetch_factor=4 if self.workers else None, generator=seed_source)
            self._iterator = iter(loader)
        images, labels = next(self._iterator)
        self.sampler.position += self.batch_size
        x = self.data.to_model(images.to(device, non_blocking=True))
        return x, labels.to(device) if self.data.labels is not None else None

    def reset(self) -> None:
        """Forget prefetched batches (call after the sampler position was changed)."""
        self._iterator = None


# The folder source's per-batch path (``data.streaming: true``).  Declared here, not in
# folder.py, so the import arrow runs one way: streaming builds on folder's decoders.
load_folder.streaming = stream_folder
