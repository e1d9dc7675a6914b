"""The in-memory data set every source returns, and how batches are drawn.

A source decodes its files once into a :class:`Dataset`; the trainer then
draws batches by index from the uint8 tensor and scales them to [-1, 1] on the
fly (per-step PIL decoding is what makes the reference scripts slow).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Dataset:
    """A whole data split in memory.

    x: uint8 (N, C, H, W) images, or float32 (N, D) points (toy2d).
    y: int64 (N,) class ids, or None for unlabelled data.
    """

    x: torch.Tensor
    y: torch.Tensor | None = None
    class_names: list[str] | None = None
    source: str = ""
    info: dict = field(default_factory=dict)  # notices, skipped-file counts, centres, ...

    def __post_init__(self) -> None:
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"{len(self.x)} samples but {len(self.y)} labels")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def is_image(self) -> bool:
        return self.x.dim() == 4

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """(C, H, W) for images, (D,) for points."""
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        if self.class_names:
            return len(self.class_names)
        return int(self.y.max()) + 1 if self.y is not None and len(self.y) else 0

    def to_model(self, raw: torch.Tensor) -> torch.Tensor:
        """uint8 images -> float in [-1, 1]; points pass through as float32."""
        return from_uint8_images(raw)

    def batch(self, index: torch.Tensor, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor | None]:
        """Gather samples ``index`` (int64 (B,)) -> (x float on device, y int64 or None)."""
        raw = self.x[index].to(device, non_blocking=True)
        y = self.y[index].to(device, non_blocking=True) if self.y is not None else None
        return self.to_model(raw), y

    def batches(self, sampler: IndexSampler, batch_size: int, rank: int = 0, world: int = 1, workers: int = 0):
        """This source's batch iterator (``.next(device)``): in-memory gather (``workers`` is unused here)."""
        return InMemoryBatches(self, sampler, batch_size, rank, world)


def class_blocks(num_classes: int, per_class: int) -> torch.Tensor:
    """Labels int64 (K * per_class,): 0 0 .. 1 1 .. K-1, every class equally often and class-sorted
    (one class per grid row; per-class metrics)."""
    return torch.arange(num_classes).repeat_interleave(per_class)


def class_cycle(n: int, num_classes: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Labels int64 (n,): 0 1 .. K-1 0 1 ..: classes in turn, so any prefix is as balanced as it can be."""
    return torch.arange(n, device=device) % num_classes


def from_uint8_images(x: torch.Tensor) -> torch.Tensor:
    """uint8 images (..., C, H, W) -> float32 in [-1, 1], the model space; float input passes through as float32.

    The one place the pixel scale is defined (the inverse of :func:`to_uint8_images`).
    """
    return x.float().div_(127.5).sub_(1.0) if x.dtype == torch.uint8 else x.float()  # float() of uint8 copies


def to_uint8_images(x: torch.Tensor) -> torch.Tensor:
    """Model-space float images in [-1, 1] (N, C, H, W) -> uint8 (N, C, H, W)."""
    return x.detach().float().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8).cpu()


class IndexSampler:
    """Draws batches of indices epoch by epoch, without replacement within an epoch.

    Stateless apart from a position: epoch e's order is ``randperm(n)`` from a
    generator seeded with (seed, e), so the batch at any position can be
    recomputed.  Resume stores (seed, position) and sees exactly the batches
    it would have seen; a prefetching DataLoader can start at any position.
    """

    def __init__(self, n: int, seed: int) -> None:
        if n < 1:
            raise ValueError("IndexSampler needs at least one sample")
        self.n, self.seed, self.position = n, seed, 0
        self._epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.n, generator=generator)
        return self._perm

    def indices_at(self, position: int, batch_size: int) -> torch.Tensor:
        """The ``batch_size`` indices (int64 (B,)) starting at a global position."""
        parts, need = [], batch_size
        while need > 0:
            epoch, offset = divmod(position, self.n)
            take = self._epoch_order(epoch)[offset : offset + need]
            parts.append(take)
            position += len(take)
            need -= len(take)
        return torch.cat(parts)

    def next(self, batch_size: int) -> torch.Tensor:
        index = self.indices_at(self.position, batch_size)
        self.position += batch_size
        return index

    def state_dict(self) -> dict:
        return {"seed": self.seed, "position": self.position, "n": self.n}

    def load_state_dict(self, state: dict) -> None:
        if int(state["n"]) != self.n:
            raise ValueError(f"checkpoint sampler covers {int(state['n'])} samples, data has {self.n}")
        self.seed, self.position = int(state["seed"]), int(state["position"])
        self._epoch = -1


class InMemoryBatches:
    """The fast path: gather a batch by index from the uint8 tensor, scale on the fly.

    Each call takes the next global batch of indices and keeps this rank's
    slice, so W processes together see the batches one process would.
    """

    def __init__(self, data: Dataset, sampler: IndexSampler, batch_size: int, rank: int = 0, world: int = 1) -> None:
        self.data, self.sampler, self.batch_size, self.rank, self.world = data, sampler, batch_size, rank, world

    def next(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        index = self.sampler.next(self.batch_size)
        per_rank = len(index) // self.world
        return self.data.batch(index[self.rank * per_rank : (self.rank + 1) * per_rank], device)

    def reset(self) -> None:
        """Nothing is prefetched here (the streaming path forgets its prefetched batches)."""
