"""One optimiser update of one group of nets: the work the eager step runs and a CUDA graph captures.

Freeze the nets outside the group, run the recipe's step over ``grad_accum``
micro-batches (backward on each), average gradients across processes,
measure the gradient norm, clip, and step the optimiser unless the loss or
the gradients are non-finite.  Everything here is device work with no host
sync (the non-finite decision stays a device tensor, read by the fused
optimiser through ``found_inf``), which is what lets ``training/graphs.py``
capture it whole.  What needs the host (the guard's step counter, the update
ratio) is the caller's.
"""

from __future__ import annotations

import torch

from ganforge.training import distributed
from ganforge.training.device import autocast
from ganforge.training.divergence import gradient_norm, guarded_step, is_finite


def optimizer_update(trainer, group: str, step_fn, real: torch.Tensor, labels: torch.Tensor | None,
                     autocast_cache: bool = True) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """One step of ``group``'s optimiser on batch ``real`` (B, ...) / ``labels`` (B,) or None.

    Returns (logs: {key: 0-dim float device tensor} including "grad_norm", ok: 0-dim bool device tensor).
    """
    t = trainer.cfg.train
    optimizer, scaler, params = trainer.optimizers[group], trainer.scalers[group], trainer.params[group]
    _train_only(trainer.params, group)
    for p in params:  # optimizer.zero_grad(set_to_none=True) without its profiler record and grouping
        p.grad = None
    logs: dict[str, torch.Tensor] = {}
    for x, y in _micro_batches(real, labels, t.grad_accum):
        with autocast(trainer.device, trainer.precision, cache=autocast_cache):
            out = step_fn(x, y, trainer.step)
        loss = out["loss"] if t.grad_accum == 1 else out["loss"] / t.grad_accum
        scaler.scale(loss).backward()
        _accumulate(logs, out, t.grad_accum)
    if trainer.dist.enabled:
        for net in trainer.groups[group]:
            distributed.average_gradients(net, trainer.dist.world_size)
    scaler.unscale_(optimizer)
    norm = gradient_norm(params)
    if t.grad_clip > 0:
        torch.nn.utils.clip_grads_with_norm_(params, t.grad_clip, norm)
    ok = is_finite(logs["loss"]) if scaler.is_enabled() else is_finite(logs["loss"], norm)
    guarded_step(optimizer, ok, scaler)
    logs["grad_norm"] = torch.nan_to_num(norm, nan=0.0, posinf=0.0, neginf=0.0)  # a skipped step logs 0
    return logs, ok


def _micro_batches(real: torch.Tensor, labels: torch.Tensor | None, n: int):
    """``n`` (x, y) chunks of the batch along dim 0; the batch itself when n is 1 (no split op)."""
    if n == 1:
        return [(real, labels)]
    return zip(real.chunk(n), labels.chunk(n) if labels is not None else [None] * n)


def _train_only(params: dict[str, list[torch.nn.Parameter]], group: str) -> None:
    """Gradients for ``group``'s parameters only (no wasted gradients for the other nets).

    Walks the trainer's flat parameter lists, touching only flags that change:
    ``Module.requires_grad_`` on every net re-walks the module tree each update.
    """
    for g, group_params in params.items():
        wanted = g == group
        for p in group_params:
            if p.requires_grad != wanted:
                p.requires_grad_(wanted)


def _accumulate(logs: dict[str, torch.Tensor], out: dict[str, torch.Tensor], micro_batches: int) -> None:
    """Add one micro-batch's step outputs (0-dim tensors) to ``logs`` as means over the micro-batches.

    With one micro-batch the outputs are the logs as they are (fp32, detached): no copy, no launch.
    """
    for key, value in out.items():
        value = value.detach().float()
        if micro_batches == 1:
            logs[key] = value
        else:
            logs[key] = logs[key] + value / micro_batches if key in logs else value / micro_batches
