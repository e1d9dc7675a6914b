"""The generic training loop.  It knows no recipe, loss or architecture by name.

The loop and the order of things in a step live here; one optimiser update
is ``training/update.py`` (captured in CUDA graphs by ``training/graphs.py``),
the on-device batches ``data/device_data.py``, the evaluator, health monitor,
TensorBoard and the log interval's sums ``training/observers.py``; the run
directory, checkpoint contents, divergence policy, precision probe and sample
rendering have their own modules next to it.

One training step = ``n_critic`` updates of optimiser group "d", then one of
group "g", then the EMA of the recipe's sampling net.  The recipe declares its
networks and which of them each group trains (``Recipe.optimized``), so a
recipe with four networks (CycleGAN) runs in the same loop.  Each update:
freeze the nets outside the group, run the recipe's step over ``grad_accum``
micro-batches (backward on each), measure the gradient norm, clip, and step
the optimiser unless the loss or gradients are non-finite (decided on the
device: see ``training/divergence.py``).

Around the steps: log rows to ``metrics.jsonl`` (sums stay on the device
until a log step), sample grids from fixed latents, atomic checkpoints, the
training-health monitor, and a clean stop on Ctrl-C / SIGTERM that writes a
checkpoint first.  The run directory (lock, overwrite, log) is
``training/rundir.py``; what a checkpoint holds is ``training/state.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from ganforge.config import Config, to_yaml
from ganforge.data import IndexSampler, load_dataset
from ganforge.data import device_data
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe
from ganforge.training import checkpoint as ckpt
from ganforge.training import distributed, graphs, observers, state
from ganforge.training.device import resolve_device
from ganforge.training.precision import choose as choose_precision
from ganforge.training.divergence import NonFiniteGuard, act_on_divergence, update_ratio
from ganforge.training.ema import EMA
from ganforge.training.optim import LearningRates, build_optimizer
from ganforge.training.report import write_report
from ganforge.training.rundir import RunDirectory
from ganforge.training.samples import POINTS_IN_SCATTER, fixed_latents, grid_tensor, render, write_samples
from ganforge.training.update import optimizer_update
from ganforge.training.stopping import StopRequest

GROUP_CONFIG = {"d": "optim_d", "g": "optim_g"}  # optimiser group -> its config section


class Trainer:
    """Trains ``cfg`` into ``run_dir``; ``resume=True`` continues from ``checkpoint`` (default: the latest)."""

    def __init__(self, cfg: Config, run_dir: Path | str | None = None, resume: bool = False, overwrite: bool = False,
                 checkpoint: str = "latest") -> None:
        self.cfg, t = cfg, cfg.train
        self.device = resolve_device(t.device)
        self.dist = distributed.init_from_env(self.device.type)
        self.device = distributed.local_device(self.dist, self.device)
        if t.batch_size % (self.dist.world_size * t.grad_accum):
            raise GanforgeError(f"train.batch_size ({t.batch_size}) is the global batch and must be divisible by "
                                f"processes x grad_accum ({self.dist.world_size} x {t.grad_accum}).")
        self.run = RunDirectory(run_dir or Path(cfg.out_dir) / cfg.name, owner=self.dist.is_main)
        self.run.open(resume, overwrite)
        try:
            self._build()
            if resume and not self.run.fresh_resume:
                state.restore(self, ckpt.find_checkpoint(self.run_dir, checkpoint))
            self.run.commit(to_yaml(cfg))
            self.run.truncate_metrics(self.step)  # rows after the checkpoint will be redone
        except BaseException:
            self.run.close()
            raise
        if self.run.fresh_resume and t.progress:
            tqdm.write(f"{self.run_dir} has no checkpoint yet: starting it again from step 0 with its config.")
        if self.dist.enabled:
            for net in self.recipe.nets.values():
                distributed.broadcast_module(net)

    def _build(self) -> None:
        cfg, t = self.cfg, self.cfg.train
        torch.manual_seed(t.seed)  # before building the nets: the seed fixes their init
        if t.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        self.data = load_dataset(cfg.data)
        self.recipe = build_recipe(cfg, self.data.sample_shape, self.data.num_classes, self.device)
        self.recipe.shard = (self.dist.rank, self.dist.world_size)
        per_rank = t.batch_size // self.dist.world_size
        if per_rank > len(self.data):
            raise GanforgeError(f"train.batch_size ({t.batch_size}) is larger than the data set ({len(self.data)} samples); "
                                f"use train.batch_size <= {len(self.data)}.")
        self.recipe.on_data(self.data)
        self.memory_format = torch.channels_last if t.channels_last and self.data.is_image else torch.contiguous_format
        for net in self.recipe.nets.values():
            net.to(memory_format=self.memory_format)
            if t.compile:
                # In place, so state_dict keys stay unprefixed; dynamic=False because the
                # default dynamic-shape tracing fails on a 64x64 DCGAN with this torch.
                net.compile(dynamic=False)
        # After the nets (the auto probe times their steps), before the GradScalers (fp16 needs one).
        self.precision, self.precision_reason = choose_precision(cfg, self.recipe, self.device, self.data.sample_shape,
                                                                 self.data.num_classes, self.memory_format)
        self.groups = {g: [self.recipe.nets[name] for name in names] for g, names in self.recipe.optimized.items()}
        self.params = {g: [p for net in nets for p in net.parameters()] for g, nets in self.groups.items()}
        self.optimizers = {g: build_optimizer(self.params[g], getattr(cfg, GROUP_CONFIG[g])) for g in self.groups}
        self.lrs = LearningRates(self.optimizers, {g: getattr(cfg, GROUP_CONFIG[g]) for g in self.groups})
        self.scalers = {g: torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16") for g in self.groups}
        sampling = self.recipe.nets[self.recipe.sampling_net]
        self.ema = EMA(sampling, t.ema_decay, t.ema_start) if t.ema_decay > 0 else None
        self._ema_calibrated_at: int | None = None  # the step whose EMA weights the batch-norm statistics match
        self.sampler = IndexSampler(len(self.data), t.seed)
        self.batches, data_path = device_data.batches(self.data, self.sampler, t.batch_size, self.device, t.data_on_device,
                                                      self.dist.rank, self.dist.world_size, cfg.data.workers)
        use_graphs, graphs_why = graphs.resolve(self)
        self.graphs = graphs.GraphedUpdates(self) if use_graphs else None
        self.speed_line = f"{data_path}; {graphs_why}"  # printed once when the run starts
        n_fixed = t.grid_size if self.data.is_image else POINTS_IN_SCATTER
        self.fixed_labels = self.recipe.grid_labels(n_fixed)  # conditional: one class per grid row
        if self.fixed_labels is not None:
            n_fixed = len(self.fixed_labels)
        self.fixed_z = fixed_latents(t.seed, n_fixed, cfg.model.z_dim)
        self.step, self.elapsed = 0, 0.0
        self.stop = StopRequest()
        self.guard = NonFiniteGuard(self.device)
        self.lr_scale, self.rollbacks = 1.0, 0  # divergence rollbacks halve the learning rates
        self._bad_in_a_row = 0
        self.sums = observers.IntervalSums()
        self._rendered: tuple[int, torch.Tensor] | None = None  # (step, samples): see fixed_samples
        self.evaluator = observers.build_evaluator(self)
        self.best_fid = float("inf")
        self.health = observers.build_health(self)
        self.tensorboard = observers.build_tensorboard(self)

    # -------------------------------------------------- shortcuts (API, tests)

    @property
    def run_dir(self) -> Path:
        return self.run.path

    @property
    def G(self) -> torch.nn.Module:
        return self.recipe.nets["G"]

    @property
    def D(self) -> torch.nn.Module:
        return self.recipe.nets["D"]

    @property
    def opt_g(self) -> torch.optim.Optimizer:
        return self.optimizers["g"]

    @property
    def opt_d(self) -> torch.optim.Optimizer:
        return self.optimizers["d"]

    @property
    def sampling_generator(self) -> torch.nn.Module:
        """The EMA of the sampling net when there is one: it gives the cleaner samples.

        Its batch-norm statistics are re-estimated for the current EMA weights
        (once per step) before it is returned, so samples, metrics and saved
        checkpoints all use statistics that belong to the averaged weights.
        """
        if not self.ema:
            return self.recipe.nets[self.recipe.sampling_net]
        if self._ema_calibrated_at != self.step:
            self._calibrate_ema()
        return self.ema.shadow

    @torch.no_grad()
    def _calibrate_ema(self) -> None:
        """Standing batch-norm statistics for the EMA from batches shaped like the fixed latents.

        A private generator seeded by ``train.seed`` draws the latents, so the
        training RNG stream (saved in checkpoints) is untouched and a resumed
        run recomputes the same statistics.
        """
        rng = torch.Generator(device=self.device).manual_seed(self.cfg.train.seed)
        z_like = self.fixed_z.to(self.device)
        labels = None if self.fixed_labels is None else self.fixed_labels.to(self.device)

        def forward(net: torch.nn.Module) -> None:
            z = torch.randn(z_like.shape, generator=rng, device=self.device, dtype=z_like.dtype)
            self.recipe.preview(net, z, labels)

        self.ema.recalibrate(forward)
        self._ema_calibrated_at = self.step

    # ------------------------------------------------------------------ loop

    def fit(self) -> Path:
        """Run until ``train.steps`` (or a stop); returns the run directory.

        ``self.stop.exit_code`` is non-zero afterwards when a signal stopped
        the run; a divergence or a full disk raises GanforgeError after
        keeping the last good checkpoint.
        """
        t = self.cfg.train
        main = self.dist.is_main
        if t.progress and main:
            tqdm.write(f"Training {self.cfg.name} on {self.device} in {self.precision} ({self.precision_reason}), "
                       f"{len(self.data)} samples -> {self.run_dir}")
            tqdm.write(f"speed: {self.speed_line}")
        bar = tqdm(total=t.steps, initial=self.step, disable=not (t.progress and main), dynamic_ncols=True,
                   desc=self.cfg.name, mininterval=0.1 if sys.stderr.isatty() else 30.0)  # quiet in log files
        interval_start, interval_steps = time.perf_counter(), 0
        try:
            with self.stop:
                while self.step < t.steps and not self.stop.requested:
                    self.train_step()
                    self.step += 1
                    interval_steps += 1
                    bar.update(1)
                    last = self.step == t.steps
                    if (self.step % t.sample_every == 0 or last) and self.dist.is_main:
                        self.save_samples()
                    if self.step % t.log_every == 0 or last:
                        seconds = time.perf_counter() - interval_start
                        self.elapsed += seconds
                        row = self._log(interval_steps * t.batch_size / max(seconds, 1e-9), bar)
                        interval_start, interval_steps = time.perf_counter(), 0
                        self._check_divergence(row)
                        self._agree_on_stop()
                    self._periodic_outputs(last)
                if self.stop.requested:
                    self.elapsed += time.perf_counter() - interval_start
                    self.save_checkpoint()
                    tqdm.write(f"Stopped at step {self.step}; resume with: ganforge train --resume {self.run_dir}")
        finally:
            bar.close()
            self._finish()
        return self.run_dir

    def _periodic_outputs(self, last: bool) -> None:
        """Evaluation and checkpoints due at this step (rank 0 writes)."""
        t = self.cfg.train
        evaluated = self.evaluator is not None and (self.step % t.eval_every == 0 or last)
        is_best = observers.evaluate(self) if evaluated else False
        if self.step % t.checkpoint_every == 0 or last or is_best:
            self.save_checkpoint(best=is_best)

    def _finish(self) -> None:
        try:
            if self.dist.is_main:
                write_report(self.run_dir)
        except OSError:
            pass  # the report is a convenience; never mask the real outcome
        finally:
            if self.tensorboard:
                self.tensorboard.close()
            self.run.close()
            distributed.shutdown(self.dist)

    def _agree_on_stop(self) -> None:
        """In a multi-process run every rank must stop at the same step: stop if any rank was asked to."""
        if self.dist.enabled:
            flag = torch.tensor([float(self.stop.requested)], device=self.device)
            torch.distributed.all_reduce(flag)
            if flag.item() > 0:
                self.stop.request()

    def train_step(self) -> None:
        """One training step (public for benchmarks): n_critic "d" updates, one "g" update, the EMA."""
        t = self.cfg.train
        self._rendered = None
        self.lrs.apply(self.step, t.steps, self.lr_scale)
        measure = (self.step + 1) % t.log_every == 0  # update ratios: only on the step before a log row
        for _ in range(t.n_critic):
            real, labels = self.batches.next(self.device)
            real = real.contiguous(memory_format=self.memory_format) if real.dim() == 4 else real
            d_logs = self._update("d", self.recipe.d_step, real, labels, measure)
            self.recipe.after_d_step()
        # The G step reuses the last real batch: recipes that need reals in
        # the G step (feature matching, conditioning labels, pairs) get one for free.
        g_logs = self._update("g", self.recipe.g_step, real, labels, measure)
        self.recipe.after_g_step()
        if self.ema:
            self.ema.update(self.recipe.nets[self.recipe.sampling_net], self.step)
        self.sums.add({**{f"d/{k}": v for k, v in d_logs.items()}, **{f"g/{k}": v for k, v in g_logs.items()}})

    def _update(self, group: str, step_fn, real, labels, measure: bool = False) -> dict[str, torch.Tensor]:
        """One optimiser step of ``group``'s nets, the others frozen; returns detached logs (device tensors).

        Captured and replayed as a CUDA graph when ``self.graphs`` is on, else eager (``training/update.py``).
        """
        params = self.params[group]
        before = [p.detach().clone() for p in params] if measure else None  # weights change only at the step
        if self.graphs is not None:
            logs, ok = self.graphs.update(group, step_fn, real, labels)
        else:
            logs, ok = optimizer_update(self, group, step_fn, real, labels)
        self.guard.record(ok, self.step)
        if before is not None:
            logs["update_ratio"] = update_ratio(before, params)
        return logs

    # --------------------------------------------------------------- logging

    def synchronize(self) -> None:
        """Wait for the queued device work of the steps so far (benchmarks time with this)."""
        self.sums.synchronize()

    def _log(self, images_per_s: float, bar=None) -> dict:
        lrs = {g: float(opt.param_groups[0]["lr"]) for g, opt in self.optimizers.items()}  # a tensor lr under CUDA graphs
        row = {"step": self.step, "time_s": round(self.elapsed, 3), "images_per_s": round(images_per_s, 2),
               "lr_g": lrs["g"], "lr_d": lrs["d"]}
        if self.dist.enabled:
            self.sums.sums = distributed.average_logs(self.sums.sums, self.dist.world_size)
        row.update(self.sums.means())
        bad, first = self.guard.read()
        row["nonfinite_steps"] = bad
        if first is not None:
            row["first_nonfinite_step"] = first
        if self.health is not None and self.health.due(self.step, self.cfg.train.log_every):  # train.health_every
            samples = self.fixed_samples()
            row.update(self.health.sample_signals(self.step, samples))
        self.run.append(row)
        if self.tensorboard:
            self.tensorboard.scalars(self.step, row)
        self._observe_health(row, bar)
        if bar is not None:
            bar.set_postfix_str(_postfix(row), refresh=False)
        return row

    def _observe_health(self, row: dict, bar=None) -> None:
        observers.observe_health(self, row, bar)

    # ------------------------------------------------------------ divergence

    def _check_divergence(self, row: dict) -> None:
        """Past ``train.max_bad_steps`` non-finite steps: roll back or stop (``training/divergence.py``)."""
        act_on_divergence(self, row)

    # --------------------------------------------------------------- samples

    @torch.no_grad()
    def fixed_samples(self) -> torch.Tensor:
        """The sampling net's preview of the fixed latents (N, *shape) on the CPU, rendered once per step:
        a step that writes a sample grid and checks health judges the grid it wrote."""
        if self._rendered is None or self._rendered[0] != self.step:  # train_step clears it (the weights change)
            self._rendered = (self.step, render(self.recipe, self.sampling_generator, self.fixed_z, self.fixed_labels,
                                                self.device))
        return self._rendered[1]

    @torch.no_grad()
    def save_samples(self) -> Path:
        """Sample grid (images) or scatter plot (points) from the fixed latents."""
        samples = self.fixed_samples()
        per_row = len(samples) // self.data.num_classes if self.fixed_labels is not None else None
        meta = {"run": self.cfg.name, "step": self.step, "seed": self.cfg.train.seed}
        real = None if self.data.is_image else self.data.x[:POINTS_IN_SCATTER]
        out = write_samples(samples, self.run_dir / "samples" / f"step_{self.step:06d}.png", meta, real, per_row)
        if self.tensorboard and samples.dim() == 4:
            self.tensorboard.images(self.step, grid_tensor(samples, per_row))
        return out

    # ----------------------------------------------------------- checkpoints

    def model_meta(self) -> dict:
        return state.model_meta(self)

    def save_checkpoint(self, best: bool = False) -> Path | None:
        if not self.dist.is_main:
            return None
        try:
            return state.save(self, best=best)
        except GanforgeError as exc:  # e.g. a full disk: say which checkpoint survives and how to go on
            kept = ckpt.list_checkpoints(self.run_dir / "checkpoints")
            where = f"the last good checkpoint {kept[-1].name} is kept" if kept else "no earlier checkpoint exists"
            raise GanforgeError(f"{str(exc).rstrip('.')}; {where}; resume with: ganforge train --resume {self.run_dir}") from None


def _postfix(row: dict) -> str:
    """The progress bar's numbers; non-finite values (logged as text) print as they are."""
    parts = []
    for key in ("d/loss", "g/loss", "images_per_s"):
        value = row.get(key)
        if value is not None:
            parts.append(f"{key}={value:.3g}" if isinstance(value, (int, float)) else f"{key}={value}")
    return ", ".join(parts)


def train(cfg: Config, run_dir: Path | str | None = None, resume: bool = False, overwrite: bool = False,
          checkpoint: str = "latest") -> Path:
    """Train ``cfg``; returns the run directory."""
    return Trainer(cfg, run_dir, resume=resume, overwrite=overwrite, checkpoint=checkpoint).fit()
