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
    for g, nets in trainer.groups.items():
        for net in nets:
            net.requires_grad_(g == group)  # no wasted gradients for the other nets
    optimizer.zero_grad(set_to_none=True)
    logs: dict[str, torch.Tensor] = {}
    label_chunks = labels.chunk(t.grad_accum) if labels is not None else [None] * t.grad_accum
    for x, y in zip(real.chunk(t.grad_accum), label_chunks):
        with autocast(trainer.device, trainer.precision, cache=autocast_cache):
            out = step_fn(x, y, trainer.step)
        scaler.scale(out["loss"] / t.grad_accum).backward()
        for key, value in out.items():
            logs[key] = logs.get(key, 0.0) + value.detach().float() / t.grad_accum
    if trainer.dist.enabled:
        for net in trainer.groups[group]:
            distributed.average_gradients(net, trainer.dist.world_size)
    scaler.unscale_(optimizer)
    norm = gradient_norm(params)
    if t.grad_clip > 0:
        torch.nn.utils.clip_grads_with_norm_(params, t.grad_clip, norm)
    ok = is_finite(logs["loss"]) if scaler.is_enabled() else is_finite(logs["loss"], norm)
    guarded_step(optimizer, ok, scaler)
    logs["grad_norm"] = torch.where(torch.isfinite(norm), norm, torch.zeros_like(norm))
    return logs, ok
