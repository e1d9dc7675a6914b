"""Non-finite losses and gradients: detect them on the device, skip the step, decide at log time.

GAN divergence (a loss or gradient becoming inf / NaN) is the commonest way a
GAN run dies.  Each optimiser update computes ``ok = isfinite(loss) and
isfinite(grad norm)`` as a 0-dim tensor without reading it on the host; the
optimiser step is skipped on the device when it is false (fused Adam / AdamW
/ SGD read ``optimizer.found_inf``, the mechanism GradScaler uses; other
optimisers pay one host read per step), so the weights stay those of the last
good step.  The guard counts bad steps on the device and remembers the first
one; the trainer reads it once per log interval and, past
``train.max_bad_steps``, stops or rolls back (``train.on_divergence``).
"""

from __future__ import annotations

import torch


def supports_device_skip(optimizer: torch.optim.Optimizer) -> bool:
    """True when ``optimizer.step`` skips itself on ``optimizer.found_inf`` (fused Adam/AdamW/SGD)."""
    return bool(optimizer.defaults.get("fused"))


def guarded_step(optimizer: torch.optim.Optimizer, ok: torch.Tensor, scaler: torch.amp.GradScaler) -> None:
    """``optimizer.step()`` unless ``ok`` (0-dim bool) is false; with fp16 the GradScaler decides."""
    if scaler.is_enabled():  # the scaler skips inf/NaN steps itself (and lowers its scale)
        scaler.step(optimizer)
        scaler.update()
        return
    if supports_device_skip(optimizer):
        optimizer.found_inf = (~ok).float()  # read by the fused kernel: no host sync
        optimizer.step()
        optimizer.found_inf = None
    elif bool(ok):  # one host read: this optimiser has no on-device skip
        optimizer.step()


class NonFiniteGuard:
    """Counts skipped (non-finite) updates on the device; read at log intervals.

    ``record(ok, step)`` adds one bad step when ``ok`` is false and keeps the
    first bad G step; ``read()`` returns (bad steps since the last read,
    first bad step or None) and resets: the one host sync per interval.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.reset()

    def reset(self) -> None:
        self.bad = torch.zeros((), dtype=torch.int64, device=self.device)
        self.first = torch.full((), -1, dtype=torch.int64, device=self.device)

    def record(self, ok: torch.Tensor, step: int) -> None:
        bad = (~ok).to(torch.int64)
        self.bad += bad
        self.first = torch.where((self.first < 0) & (bad > 0), torch.full_like(self.first, step), self.first)

    def read(self) -> tuple[int, int | None]:
        bad, first = int(self.bad), int(self.first)
        self.reset()
        return bad, (first if first >= 0 else None)


def gradient_norm(params: list[torch.nn.Parameter]) -> torch.Tensor:
    """L2 norm of all gradients (0-dim, on the device; inf/NaN if any gradient is), no host sync."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)).float())


def is_finite(*values: torch.Tensor) -> torch.Tensor:
    """0-dim bool tensor: every value finite (device-side)."""
    ok = torch.isfinite(values[0]).all()
    for value in values[1:]:
        ok = ok & torch.isfinite(value).all().to(ok.device)
    return ok
