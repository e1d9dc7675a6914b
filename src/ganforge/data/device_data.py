"""The on-device data path: the whole uint8 data set resident on the training device.

On a GPU the host path costs, every step, a gather on the CPU, a host-to-device
copy of the batch and (without pinned memory) a wait for it.  Here the uint8
images (``Dataset.x``, 4 bytes per pixel less than float32) and labels are
copied to the device once; each step's indices are a slice of the epoch's
permutation, which is itself copied to the device once per epoch, so a step
issues only device work: ``index_select`` and the uint8 -> [-1, 1] scaling.
There is no data-level augmentation in the in-memory path to move: the
recipes' augmentation (DiffAugment, ADA's signals) already runs on the device
on the batch this returns.

The indices come from the same :class:`IndexSampler` positions as the host
path (``data.base.InMemoryBatches``), so the batches, the losses and a resumed run
are the same as there.
"""

from __future__ import annotations

import torch

from ganforge.data.base import Dataset, IndexSampler
from ganforge.errors import GanforgeError

#: ``auto`` keeps a data set on a GPU only when it takes at most this share of the free device memory.
MAX_SHARE_OF_FREE = 0.25


def wanted(setting: str | bool, data, device: torch.device) -> tuple[bool, str]:
    """(use the on-device path, why) for ``train.data_on_device`` = auto | true | false.

    ``auto`` is on for CUDA when the data set fits in a quarter of the free
    memory; on a CPU the host path already gathers from memory the step reads,
    so there is nothing to gain.  ``true`` on a data set that is not in memory
    (``data.streaming=true``) is a configuration error.
    """
    in_memory = isinstance(data, Dataset)
    # A data set that draws its own batches (unpaired-folders re-pairs A and B every epoch)
    # would lose that behaviour to a plain gather by index.
    own_batches = in_memory and type(data).batches is not Dataset.batches
    if setting is True:
        if not in_memory:
            raise GanforgeError("train.data_on_device=true needs the data set in memory, but data.streaming=true "
                                "decodes it per batch; set one of them to false.")
        if own_batches:
            raise GanforgeError("train.data_on_device=true cannot be used with this data source, which draws its own "
                                "batches (unpaired-folders re-pairs its images every epoch); set train.data_on_device=auto.")
        return True, "as configured"
    if setting is False:
        return False, "as configured"
    if not in_memory:
        return False, "auto: the data set is streamed from disk"
    if own_batches:
        return False, "auto: the data set draws its own batches"
    if device.type != "cuda":
        return False, f"auto: on {device.type} the host path already reads from the same memory"
    size, free = data.x.nbytes + (data.y.nbytes if data.y is not None else 0), torch.cuda.mem_get_info(device)[0]
    if size > MAX_SHARE_OF_FREE * free:
        return False, f"auto: the data set ({size / 2**20:.0f} MiB) is over a quarter of the free device memory"
    return True, f"auto: the data set ({size / 2**20:.0f} MiB) fits on {device}"


class DeviceBatches:
    """Batches gathered on the device from a device-resident uint8 copy of the data set.

    ``next(device)`` -> (x float (B, *sample_shape) in model space, y int64 (B,) or None), both on the device;
    the same samples as the host path's ``InMemoryBatches`` with the same sampler.
    """

    def __init__(self, data: Dataset, sampler: IndexSampler, batch_size: int, device: torch.device,
                 rank: int = 0, world: int = 1) -> None:
        self.data, self.sampler, self.batch_size, self.device = data, sampler, batch_size, device
        self.rank, self.world = rank, world
        self.x = data.x.to(device)
        self.y = data.y.to(device) if data.y is not None else None
        self._epoch, self._order = -1, None

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        """Epoch ``epoch``'s permutation (int64 (N,)) on the device: one copy per epoch."""
        if epoch != self._epoch:
            n = self.sampler.n
            self._epoch, self._order = epoch, self.sampler.indices_at(epoch * n, n).to(self.device)
        return self._order

    def _indices(self) -> torch.Tensor:
        """The next global batch's indices (int64 (B,)) on the device, advancing the sampler."""
        position, n = self.sampler.position, self.sampler.n
        self.sampler.position += self.batch_size
        epoch, offset = divmod(position, n)
        if offset + self.batch_size <= n:  # the usual case: one slice of this epoch's order, no copy
            return self._epoch_order(epoch)[offset : offset + self.batch_size]
        # The batch spans epochs (or the data set is smaller than a batch): the sampler's own answer.
        return self.sampler.indices_at(position, self.batch_size).to(self.device)

    def next(self, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        index = self._indices()
        per_rank = len(index) // self.world
        index = index[self.rank * per_rank : (self.rank + 1) * per_rank]
        y = self.y.index_select(0, index) if self.y is not None else None
        return self.data.to_model(self.x.index_select(0, index)), y

    def reset(self) -> None:
        """After a resume or rollback the sampler may have a new seed: forget the cached epoch order."""
        self._epoch, self._order = -1, None


def batches(data, sampler: IndexSampler, batch_size: int, device: torch.device, setting: str | bool,
            rank: int = 0, world: int = 1, workers: int = 0):
    """(batch iterator, why): the on-device path when ``train.data_on_device`` asks for it, else the source's own."""
    on_device, why = wanted(setting, data, device)
    if on_device:
        return DeviceBatches(data, sampler, batch_size, device, rank, world), f"data on {device} ({why})"
    return data.batches(sampler, batch_size, rank, world, workers), f"data gathered on the host ({why})"


__all__ = ["DeviceBatches", "batches", "wanted"]
