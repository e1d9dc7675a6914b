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

from pathlib import Path

import torch
from tqdm import tqdm

from ganforge.errors import GanforgeError
from ganforge.training import checkpoint as ckpt
from ganforge.training import state


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

    ``record(ok, step)`` notes one update (one device op: ``~ok``; the step
    stays on the host); ``read()`` returns (bad updates since the last read,
    first bad step or None) and resets: the one host sync per interval.  The
    per-update flags are reduced on the device every ``COMPACT_EVERY``
    updates, so a loop that never reads (a benchmark) keeps a bounded list.
    """

    COMPACT_EVERY = 1024

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.reset()

    def reset(self) -> None:
        self.bad = torch.zeros((), dtype=torch.int64, device=self.device)
        self.first = torch.full((), -1, dtype=torch.int64, device=self.device)
        self._flags: list[torch.Tensor] = []  # 0-dim bool device tensors: True = that update was skipped
        self._steps: list[int] = []

    def record(self, ok: torch.Tensor, step: int) -> None:
        self._flags.append(~ok)  # a new tensor: a CUDA graph's static ``ok`` may be overwritten by the next replay
        self._steps.append(step)
        if len(self._flags) >= self.COMPACT_EVERY:
            self._compact()

    def _compact(self) -> None:
        """Fold the pending flags into ``bad`` / ``first`` on the device (no host sync)."""
        if not self._flags:
            return
        flags = torch.stack(self._flags)  # (N,) bool
        steps = torch.tensor(self._steps, dtype=torch.int64).to(self.device, non_blocking=True)
        first_here = torch.where(flags, steps, torch.iinfo(torch.int64).max).min()
        self.first = torch.where((self.first < 0) & flags.any(), first_here, self.first)
        self.bad = self.bad + flags.sum()
        self._flags, self._steps = [], []

    def read(self) -> tuple[int, int | None]:
        self._compact()
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
    """0-dim bool tensor: every element of every value (a loss, a gradient norm) finite; device-side.

    One isfinite and one all over the values joined, not a pair per value: on a small step every launch counts.
    """
    first = values[0]
    if len(values) == 1:
        return torch.isfinite(first).all()
    if all(v.dim() == 0 and v.dtype == first.dtype and v.device == first.device for v in values):
        return torch.isfinite(torch.stack(values)).all()  # the usual case: a 0-dim loss and a 0-dim norm
    return torch.isfinite(torch.cat([v.float().reshape(-1).to(first.device) for v in values])).all()


def update_ratio(before: list[torch.Tensor], params: list[torch.nn.Parameter]) -> torch.Tensor:
    """||w_after - w_before|| / ||w_before|| over all parameters (0-dim, on the device).

    The size of one optimiser step relative to the weights; ~1e-3 is typical
    for Adam at 2e-4, far larger means the step is out of scale with the net.
    """
    if not before:
        return torch.zeros(())
    delta = torch._foreach_sub([p.detach() for p in params], before)
    num = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(delta)).float())
    den = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(before)).float())
    return num / den.clamp_min(1e-12)


def act_on_divergence(trainer, row: dict) -> None:
    """Past ``train.max_bad_steps`` skipped steps in this interval: roll back or stop with a diagnosis."""
    t = trainer.cfg.train
    bad = int(row.get("nonfinite_steps", 0))
    trainer._bad_in_a_row = trainer._bad_in_a_row + bad if bad else 0  # intervals with bad steps, back to back
    if trainer._bad_in_a_row < t.max_bad_steps:
        if bad:
            tqdm.write(f"warning: skipped {bad} non-finite step(s) before step {trainer.step} "
                       f"(first at step {row.get('first_nonfinite_step')}); watching for divergence.")
        return
    first = row.get("first_nonfinite_step")
    last_good = ckpt.list_checkpoints(trainer.run_dir / "checkpoints")
    if t.on_divergence == "rollback" and last_good and trainer.rollbacks < t.max_rollbacks:
        _rollback(trainer, last_good[-1], first)
        return
    where = f"the last good checkpoint is {last_good[-1].name}" if last_good else "no checkpoint was written yet"
    raise GanforgeError(
        f"Training diverged: losses or gradients became non-finite at step {first if first is not None else trainer.step} "
        f"({bad} of the last steps were skipped); {where}. Try lower learning rates (optim_g.lr / optim_d.lr), "
        f"train.grad_clip=1, or train.on_divergence=rollback; continue with: ganforge train --resume {trainer.run_dir} "
        "--set optim_g.lr=... --set optim_d.lr=...")


def _rollback(trainer, checkpoint: Path, first: int | None) -> None:
    """Reload the last good checkpoint and continue with both learning rates halved."""
    scale, rollbacks = trainer.lr_scale, trainer.rollbacks
    state.restore(trainer, checkpoint)
    trainer.lr_scale, trainer.rollbacks = scale * 0.5, rollbacks + 1
    trainer.guard.reset()
    trainer._bad_in_a_row = 0
    trainer.sums.reset()
    trainer.run.truncate_metrics(trainer.step)
    tqdm.write(f"Diverged at step {first}: rolled back to {checkpoint.name} with learning rates x{trainer.lr_scale:g} "
               f"(rollback {trainer.rollbacks} of at most {trainer.cfg.train.max_rollbacks}).")
