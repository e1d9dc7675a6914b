"""What watches a run from outside the step: the in-training evaluator, the health monitor, TensorBoard,
and the log interval's sums.

Each is built only when its setting asks for it and only on rank 0 (the
heavy imports happen then); the trainer calls into them at log, sample and
evaluation time.  The interval sums keep the logged values of every step on
the device until a log row reads them: one host sync per interval.
"""

from __future__ import annotations

import math

import torch
from tqdm import tqdm

from ganforge.errors import GanforgeError
from ganforge.training.samples import RecipeSampler


def build_evaluator(trainer):
    """``train.eval_every`` > 0: the metrics evaluator with fixed latents (heavy import: only when asked for)."""
    if not (trainer.cfg.train.eval_every and trainer.dist.is_main):
        return None
    from ganforge.metrics.evaluate import TrainingEvaluator

    return TrainingEvaluator(trainer.cfg)


def build_health(trainer):
    """``train.health`` != off: the training-health monitor (None when the health package is unavailable)."""
    if trainer.cfg.train.health == "off" or not trainer.dist.is_main:
        return None
    try:
        from ganforge.health import HealthMonitor
    except ImportError:
        return None
    return HealthMonitor(trainer.cfg, trainer.data, trainer.device)


def build_tensorboard(trainer):
    """``train.tensorboard=true``: TensorBoard event files in the run directory."""
    if not (trainer.cfg.train.tensorboard and trainer.dist.is_main):
        return None
    try:
        from ganforge.training.tensorboard import TensorBoardLogger
    except ImportError:
        raise GanforgeError("train.tensorboard=true needs TensorBoard: pip install 'ganforge[tensorboard]'.") from None
    return TensorBoardLogger(trainer.run_dir, trainer.cfg)


def observe_health(trainer, row: dict, bar=None) -> None:
    """Feed a logged row to the health monitor; print each new diagnosis once, act on serious ones."""
    if trainer.health is None:
        return
    for diagnosis in trainer.health.observe(row):
        tqdm.write(f"health: {diagnosis.line()}")
        if bar is not None:
            bar.set_description_str(f"{trainer.cfg.name} [{diagnosis.name}]", refresh=False)
        if diagnosis.serious and trainer.cfg.train.health == "stop" and diagnosis.name != "divergence":
            tqdm.write("Stopping (train.health=stop); resume with --resume after changing the settings.")
            trainer.stop.request()


def evaluate(trainer) -> bool:
    """Metrics of the sampling generator into metrics.jsonl; True when FID improved (a new best)."""
    G = trainer.sampling_generator
    was_training = G.training
    G.eval()
    try:
        num_classes = trainer.data.num_classes if trainer.fixed_labels is not None else 0
        results = trainer.evaluator(RecipeSampler(trainer.recipe, G, num_classes), trainer.cfg.model.z_dim, trainer.step)
    finally:
        G.train(was_training)
    fid = results.get("fid")
    is_best = fid is not None and fid < trainer.best_fid
    if is_best:
        trainer.best_fid = fid
    row = {"step": trainer.step, **{f"eval/{k}": v for k, v in results.items()}}
    trainer.run.append(row)
    if trainer.tensorboard:
        trainer.tensorboard.scalars(trainer.step, row)
    observe_health(trainer, row)
    return is_best


class IntervalSums:
    """Per-key sums of the steps' logged values (0-dim device tensors) since the last log row.

    Sums stay on the device: no host sync until ``means()``.  A non-finite
    step makes its interval's mean non-finite (logged as "nan"/"inf" text).
    Keys ending in ``update_ratio`` are measured once per interval, so they
    are not divided by the step count.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.steps = 0

    def add(self, logs: dict[str, torch.Tensor]) -> None:
        if logs.keys() == self.sums.keys():  # the usual step: one multi-tensor add instead of one launch per key
            torch._foreach_add_(list(self.sums.values()), [logs[key] for key in self.sums])
        else:  # the first step of an interval, or a step with extra keys (update ratios)
            for key, value in logs.items():
                self.sums[key] = self.sums[key] + value if key in self.sums else value.clone()
        self.steps += 1

    def synchronize(self) -> None:
        """Wait for the device work that produced the sums so far (benchmarks time with this)."""
        if self.sums:
            float(next(iter(self.sums.values())))

    def means(self) -> dict[str, float | str]:
        """{key: mean over the interval} (non-finite values as text), then reset."""
        row: dict[str, float | str] = {}
        for key, total in self.sums.items():
            value = float(total) / (1 if key.endswith("update_ratio") else max(self.steps, 1))
            row[key] = value if math.isfinite(value) else str(value)
        self.reset()
        return row
