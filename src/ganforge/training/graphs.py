"""``train.cuda_graphs``: capture the D update and the G update in CUDA graphs and replay them.

A small GAN's step on a GPU is bound by kernel launches: the 64x64 DCGAN at
batch 64 runs hundreds of small kernels per step, and Python issues each one.
A CUDA graph records them once and replays them with one launch.

Why explicit ``torch.cuda.CUDAGraph`` capture and not ``torch.compile(mode=
"reduce-overhead")``: the update to capture is forward + backward + gradient
norm + clipping + the fused optimiser step + the non-finite guard; PyTorch's
CUDA-semantics notes document whole-iteration capture with a capturable
optimiser, while reduce-overhead graphs only what dynamo traces (the
optimiser step and backward run outside its graphs unless compiled too, and
the recipe's Python would have to trace without breaks).  The rules followed
here, from those notes:

- static input buffers: each replay copies the batch into the tensors the
  graph was captured with;
- warm-up before capture on a side stream (lazy optimiser state, cuDNN's
  algorithm choice): the first ``WARMUP`` updates of each group run eagerly
  there, and they are real training updates, so no step is wasted;
- the optimiser must be fused (Adam, AdamW, SGD) and ``capturable``; its
  learning rate becomes a device tensor, so the schedule (``optim.write_lr``
  fills it in place) is read by the graph instead of baked into it;
- autocast runs with its weight cache off (``cache_enabled=False``) during
  capture; the non-finite guard is already device-only (``update.py``);
- no host sync, no data-dependent Python control flow and no use of the
  step number in the recipe's steps: the recipe says so with ``graph_safe``
  (absent means not safe: instance-noise schedules, image pools and
  CPU-drawn crops are not).

Where a precondition fails (not CUDA, ``grad_accum`` > 1, several
processes, fp16's GradScaler, an optimiser that is not fused, a recipe not
declared graph-safe, ``train.compile``) the trainer runs eagerly and says
why in one line.  ``n_critic`` > 1 is fine: the D graph is replayed n times.
Loading a checkpoint (resume, rollback) replaces the optimiser state, so
:meth:`GraphedUpdates.reset` drops the graphs and they are captured again.
"""

from __future__ import annotations

import torch
from tqdm import tqdm

from ganforge.training.divergence import supports_device_skip
from ganforge.training.optim import use_tensor_lr
from ganforge.training.update import optimizer_update

WARMUP = 3  # eager updates of each group before its capture


def unmet_precondition(trainer) -> str | None:
    """None when the updates can be captured, else why not (one clause)."""
    t, recipe = trainer.cfg.train, trainer.recipe
    checks = (
        (trainer.device.type == "cuda", f"graph capture needs CUDA and this run is on {trainer.device.type}"),
        (t.grad_accum == 1, f"train.grad_accum={t.grad_accum} splits the update into micro-batches"),
        (not trainer.dist.enabled, "a multi-process run averages gradients between processes"),
        (trainer.precision != "fp16", "fp16's GradScaler reads its scale on the host"),
        (not t.compile, "train.compile=true compiles the nets instead"),
        (all(supports_device_skip(opt) for opt in trainer.optimizers.values()),
         "an optimiser is not fused (only fused adam, adamw and sgd step without the host)"),
        (bool(getattr(recipe, "graph_safe", False)),
         f"recipe {trainer.cfg.recipe_name!r} is not declared graph-safe (Recipe.graph_safe)"),
    )
    return next((why for ok, why in checks if not ok), None)


def resolve(trainer) -> tuple[bool, str]:
    """(capture the updates, why) for ``train.cuda_graphs`` = auto | true | false."""
    setting = trainer.cfg.train.cuda_graphs
    if setting is False:
        return False, "CUDA graphs off (as configured)"
    why = unmet_precondition(trainer)
    if why is not None:
        return False, f"CUDA graphs off: {why}"
    return True, f"CUDA graphs on for the D and G updates ({'auto' if setting == 'auto' else 'as configured'})"


class _Captured:
    """One group's graph, its static inputs and its static outputs."""

    def __init__(self, graph: torch.cuda.CUDAGraph, real: torch.Tensor, labels: torch.Tensor | None,
                 logs: dict[str, torch.Tensor], ok: torch.Tensor) -> None:
        self.graph, self.real, self.labels, self.logs, self.ok = graph, real, labels, logs, ok

    def replay(self, real: torch.Tensor, labels: torch.Tensor | None) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        self.real.copy_(real, non_blocking=True)
        if self.labels is not None:
            self.labels.copy_(labels, non_blocking=True)
        self.graph.replay()
        return dict(self.logs), self.ok  # a copy: the caller adds keys; the tensors are overwritten by the next replay


class GraphedUpdates:
    """Runs ``optimizer_update`` for a group: eagerly on a side stream for WARMUP updates, then captured and replayed."""

    def __init__(self, trainer) -> None:
        self.trainer = trainer
        self.stream = torch.cuda.Stream(trainer.device)
        self.reset()

    def reset(self) -> None:
        """Forget the graphs (the optimiser state they point at was replaced); warm up and capture again."""
        self.captured: dict[str, _Captured] = {}
        self.eager_updates: dict[str, int] = {}
        self.failed: str | None = None  # why a capture failed: every update then runs eagerly

    def update(self, group: str, step_fn, real: torch.Tensor, labels: torch.Tensor | None):
        """(logs, ok) of one update of ``group``, like ``update.optimizer_update``."""
        if group in self.captured:
            return self.captured[group].replay(real, labels)
        if self.failed or self.eager_updates.get(group, 0) < WARMUP:
            self.eager_updates[group] = self.eager_updates.get(group, 0) + 1
            return self._on_side_stream(lambda: optimizer_update(self.trainer, group, step_fn, real, labels))
        try:
            self.captured[group] = self._capture(group, step_fn, real, labels)
        except RuntimeError as exc:  # e.g. a host sync in a recipe declared graph-safe: train on, eagerly, and say so
            self.failed = f"capturing the {group!r} update failed ({str(exc).splitlines()[0]})"
            tqdm.write(f"CUDA graphs off from step {self.trainer.step}: {self.failed}; training goes on without them.")
            self.captured.clear()
            torch.cuda.synchronize(self.trainer.device)
            return optimizer_update(self.trainer, group, step_fn, real, labels)
        return self.captured[group].replay(real, labels)

    def _on_side_stream(self, work):
        current = torch.cuda.current_stream(self.trainer.device)
        self.stream.wait_stream(current)
        with torch.cuda.stream(self.stream):
            result = work()
        current.wait_stream(self.stream)
        return result

    def _capture(self, group: str, step_fn, real: torch.Tensor, labels: torch.Tensor | None) -> _Captured:
        """Record one update of ``group`` reading static copies of ``real`` / ``labels``; nothing runs yet."""
        optimizer = self.trainer.optimizers[group]
        for param_group in optimizer.param_groups:
            if "capturable" in param_group:
                param_group["capturable"] = True  # fused Adam keeps its step counts on the device already
        use_tensor_lr(optimizer, self.trainer.device)
        static_real = real.detach().clone(memory_format=torch.preserve_format)
        static_labels = labels.detach().clone() if labels is not None else None
        torch.cuda.synchronize(self.trainer.device)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            logs, ok = optimizer_update(self.trainer, group, step_fn, static_real, static_labels, autocast_cache=False)
        return _Captured(graph, static_real, static_labels, logs, ok)
