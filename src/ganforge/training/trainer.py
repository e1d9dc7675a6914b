"""The generic training loop.  It knows no recipe, loss or architecture by name.

One training step = ``n_critic`` discriminator updates, then one generator
update, then the EMA of G.  Each update: freeze the other network, run the
recipe's step over ``grad_accum`` micro-batches (backward on each), clip the
gradient norm, step the optimiser.  Around the steps: logging to
``metrics.jsonl``, sample grids from fixed latents, atomic checkpoints, and a
clean stop on Ctrl-C / SIGTERM that writes a checkpoint first.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from pathlib import Path

import torch
from tqdm import tqdm

from ganforge import __version__
from ganforge.art.grid import make_grid, save_image
from ganforge.config import Config, to_yaml
from ganforge.data import IndexSampler, load_dataset, to_uint8_images
from ganforge.data.streaming import InMemoryBatches, StreamingBatches, StreamingFolder
from ganforge.errors import GanforgeError
from ganforge.recipes import build_recipe
from ganforge.training import checkpoint as ckpt
from ganforge.training import distributed
from ganforge.training.device import autocast, resolve_device, resolve_precision
from ganforge.training.ema import EMA
from ganforge.training.optim import build_optimizer, set_lr
from ganforge.training.plots import plot_points, read_metrics
from ganforge.training.report import write_report

POINTS_IN_SCATTER = 2000  # toy2d samples drawn for each scatter "grid"


def fixed_latents(seed: int, n: int, z_dim: int) -> torch.Tensor:
    """Latents (n, z_dim) that depend only on the seed (CPU generator: same on every device)."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


class Trainer:
    """Trains ``cfg`` into ``run_dir``; ``resume=True`` continues from its latest checkpoint."""

    def __init__(self, cfg: Config, run_dir: Path | str | None = None, resume: bool = False, overwrite: bool = False) -> None:
        self.cfg, t = cfg, cfg.train
        self.run_dir = Path(run_dir) if run_dir else Path(cfg.out_dir) / cfg.name
        self.device = resolve_device(t.device)
        self.dist = distributed.init_from_env(self.device.type)
        self.device = distributed.local_device(self.dist, self.device)
        if t.batch_size % (self.dist.world_size * t.grad_accum):
            raise GanforgeError(f"train.batch_size ({t.batch_size}) is the global batch and must be divisible by "
                                f"processes x grad_accum ({self.dist.world_size} x {t.grad_accum}).")
        self._prepare_run_dir(resume, overwrite)
        self.precision = resolve_precision(self.device, t.precision)
        torch.manual_seed(t.seed)  # before building the nets: the seed fixes their init
        if t.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        self.data = load_dataset(cfg.data)
        self.recipe = build_recipe(cfg, self.data.sample_shape, self.data.num_classes, self.device)
        self.recipe.shard = (self.dist.rank, self.dist.world_size)
        self.G, self.D = self.recipe.G, self.recipe.D
        self.memory_format = torch.channels_last if t.channels_last and self.data.is_image else torch.contiguous_format
        for net in (self.G, self.D):
            net.to(memory_format=self.memory_format)
            if t.compile:
                # In place, so state_dict keys stay unprefixed; dynamic=False because the
                # default dynamic-shape tracing fails on a 64x64 DCGAN with this torch.
                net.compile(dynamic=False)
        self.opt_g = build_optimizer(self.G.parameters(), cfg.optim_g)
        self.opt_d = build_optimizer(self.D.parameters(), cfg.optim_d)
        fp16 = self.precision == "fp16"
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=fp16)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=fp16)
        self.ema = EMA(self.G, t.ema_decay, t.ema_start) if t.ema_decay > 0 else None
        self.sampler = IndexSampler(len(self.data), t.seed)
        self.batches = self._batch_source()
        n_fixed = t.grid_size if self.data.is_image else POINTS_IN_SCATTER
        self.fixed_labels = self.recipe.grid_labels(n_fixed)  # conditional: one class per grid row
        if self.fixed_labels is not None:
            n_fixed = len(self.fixed_labels)
        self.fixed_z = fixed_latents(t.seed, n_fixed, cfg.model.z_dim)
        self.step, self.elapsed = 0, 0.0
        self._stop_requested = False
        self._sums: dict[str, torch.Tensor] = {}
        self._sum_steps = 0
        self.evaluator = self._build_evaluator() if t.eval_every and self.dist.is_main else None
        self.best_fid = float("inf")
        self._is_best = False
        if resume:
            self._restore(ckpt.find_checkpoint(self.run_dir))
        if self.dist.enabled:
            for net in (self.G, self.D):
                distributed.broadcast_module(net)

    # ------------------------------------------------------------------ loop

    def fit(self) -> Path:
        """Run until ``train.steps`` (or a stop request); returns the run directory."""
        t = self.cfg.train
        previous = self._install_signal_handlers()
        if t.progress and self.dist.is_main:
            tqdm.write(f"Training {self.cfg.name} on {self.device} ({self.precision}), {len(self.data)} samples -> {self.run_dir}")
        bar = tqdm(total=t.steps, initial=self.step, disable=not (t.progress and self.dist.is_main), dynamic_ncols=True,
                   desc=self.cfg.name, mininterval=0.1 if sys.stderr.isatty() else 30.0)  # quiet in log files
        interval_start, interval_steps = time.perf_counter(), 0
        try:
            while self.step < t.steps and not self._stop_requested:
                self._train_step()
                self.step += 1
                interval_steps += 1
                bar.update(1)
                last = self.step == t.steps
                if self.step % t.log_every == 0 or last:
                    seconds = time.perf_counter() - interval_start
                    self.elapsed += seconds
                    row = self._log(interval_steps * t.batch_size / max(seconds, 1e-9))
                    bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k in ("d/loss", "g/loss", "images_per_s")})
                    interval_start, interval_steps = time.perf_counter(), 0
                    self._agree_on_stop()
                if (self.step % t.sample_every == 0 or last) and self.dist.is_main:
                    self.save_samples()
                evaluated = self.evaluator is not None and self.dist.is_main and (self.step % t.eval_every == 0 or last)
                if evaluated:
                    self._evaluate()
                if self.step % t.checkpoint_every == 0 or last or (evaluated and self._is_best):
                    self.save_checkpoint()
            if self._stop_requested:
                self.elapsed += time.perf_counter() - interval_start
                self.save_checkpoint()
                tqdm.write(f"Stopped at step {self.step}; resume with: ganforge train --resume {self.run_dir}")
        finally:
            bar.close()
            self._restore_signal_handlers(previous)
        if self.dist.is_main:
            write_report(self.run_dir)
        distributed.shutdown(self.dist)
        return self.run_dir

    def _agree_on_stop(self) -> None:
        """In a multi-process run every rank must stop at the same step: stop if any rank was asked to."""
        if self.dist.enabled:
            flag = torch.tensor([float(self._stop_requested)], device=self.device)
            torch.distributed.all_reduce(flag)
            self._stop_requested = bool(flag.item() > 0)

    def _train_step(self) -> None:
        t = self.cfg.train
        set_lr(self.opt_g, self.cfg.optim_g, self.step, t.steps)
        set_lr(self.opt_d, self.cfg.optim_d, self.step, t.steps)
        for _ in range(t.n_critic):
            real, labels = self.batches.next(self.device)
            real = real.contiguous(memory_format=self.memory_format) if real.dim() == 4 else real
            d_logs = self._update(self.D, self.G, self.opt_d, self.scaler_d, self.recipe.d_step, real, labels)
            self.recipe.after_d_step()
        # The G step reuses the last real batch: recipes that need reals in
        # the G step (feature matching, conditioning labels) get one for free.
        g_logs = self._update(self.G, self.D, self.opt_g, self.scaler_g, self.recipe.g_step, real, labels)
        self.recipe.after_g_step()
        if self.ema:
            self.ema.update(self.G, self.step)
        self._accumulate({**{f"d/{k}": v for k, v in d_logs.items()}, **{f"g/{k}": v for k, v in g_logs.items()}})

    def _batch_source(self):
        """In-memory gather (the fast path) or per-batch decoding in workers (data.streaming)."""
        rank, world, batch = self.dist.rank, self.dist.world_size, self.cfg.train.batch_size
        if isinstance(self.data, StreamingFolder):
            return StreamingBatches(self.data, self.sampler, batch, self.cfg.data.workers, rank, world)
        return InMemoryBatches(self.data, self.sampler, batch, rank, world)

    def _update(self, net, frozen, optimizer, scaler, step_fn, real, labels) -> dict[str, torch.Tensor]:
        """One optimiser step of ``net`` with ``frozen`` held fixed; returns detached logs."""
        t = self.cfg.train
        net.requires_grad_(True)
        frozen.requires_grad_(False)  # no wasted gradients for the other network
        optimizer.zero_grad(set_to_none=True)
        logs: dict[str, torch.Tensor] = {}
        label_chunks = labels.chunk(t.grad_accum) if labels is not None else [None] * t.grad_accum
        for x, y in zip(real.chunk(t.grad_accum), label_chunks):
            with autocast(self.device, self.precision):
                out = step_fn(x, y)
            scaler.scale(out["loss"] / t.grad_accum).backward()
            for key, value in out.items():
                logs[key] = logs.get(key, 0.0) + value.detach().float() / t.grad_accum
        if self.dist.enabled:
            distributed.average_gradients(net, self.dist.world_size)
        if t.grad_clip > 0:
            scaler.unscale_(optimizer)
            logs["grad_norm"] = torch.nn.utils.clip_grad_norm_(net.parameters(), t.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        return logs

    # --------------------------------------------------------------- logging

    def _accumulate(self, logs: dict[str, torch.Tensor]) -> None:
        # Sums stay on the device: no host sync until the next log line.
        for key, value in logs.items():
            self._sums[key] = self._sums.get(key, 0.0) + value
        self._sum_steps += 1

    def _log(self, images_per_s: float) -> dict:
        row = {"step": self.step, "time_s": round(self.elapsed, 3), "images_per_s": round(images_per_s, 2),
               "lr_g": self.opt_g.param_groups[0]["lr"], "lr_d": self.opt_d.param_groups[0]["lr"]}
        if self.dist.enabled:
            self._sums = distributed.average_logs(self._sums, self.dist.world_size)
        for key, total in self._sums.items():
            value = float(total) / max(self._sum_steps, 1)
            row[key] = value if math.isfinite(value) else str(value)
        self._sums, self._sum_steps = {}, 0
        if self.dist.is_main:
            with open(self.run_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
        return row

    # ------------------------------------------------------------ evaluation

    def _build_evaluator(self):
        from ganforge.metrics.evaluate import TrainingEvaluator  # heavy: only when asked for

        return TrainingEvaluator(self.cfg)

    def _evaluate(self) -> dict:
        """Metrics of the sampling generator into metrics.jsonl; remember whether FID improved."""
        G = self.sampling_generator
        was_training = G.training
        G.eval()
        results = self.evaluator(_RecipeSampler(self.recipe, G, self.data.num_classes if self.fixed_labels is not None else 0),
                                 self.cfg.model.z_dim, self.step)
        G.train(was_training)
        fid = results.get("fid")
        self._is_best = fid is not None and fid < self.best_fid
        if self._is_best:
            self.best_fid = fid
        row = {"step": self.step, **{f"eval/{k}": v for k, v in results.items()}}
        with open(self.run_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        return results

    @property
    def sampling_generator(self) -> torch.nn.Module:
        """The EMA generator when there is one: it gives the cleaner samples."""
        return self.ema.shadow if self.ema else self.G

    @torch.no_grad()
    def save_samples(self) -> Path:
        """Sample grid (images) or scatter plot (points) from the fixed latents."""
        G = self.sampling_generator
        was_training = G.training
        G.eval()
        labels = self.fixed_labels.split(256) if self.fixed_labels is not None else [None] * len(self.fixed_z.split(256))
        fake = torch.cat([self.recipe.generate(G, z.to(self.device), y if y is None else y.to(self.device)).float().cpu()
                          for z, y in zip(self.fixed_z.split(256), labels)])
        G.train(was_training)
        out = self.run_dir / "samples" / f"step_{self.step:06d}.png"
        out.parent.mkdir(exist_ok=True)
        if self.data.is_image:
            per_row = len(fake) // self.data.num_classes if self.fixed_labels is not None else None
            grid = make_grid(to_uint8_images(fake), nrow=per_row)
            scale = max(1, 256 // grid.width + 1) if grid.width < 256 else 1
            save_image(grid, out, {"run": self.cfg.name, "step": self.step, "seed": self.cfg.train.seed}, scale=scale)
        else:
            plot_points(fake, self.data.x[:POINTS_IN_SCATTER], out, title=f"{self.cfg.name} step {self.step}")
        return out

    # ----------------------------------------------------------- checkpoints

    def model_meta(self) -> dict:
        """The self-description stored beside the weights (enough to rebuild G without the data)."""
        m = self.cfg.model
        return {"ganforge_version": __version__, "step": self.step, "generator": self.recipe.generator_spec(),
                "arch": m.arch, "z_dim": m.z_dim, "g": m.g,
                "shape": list(self.data.sample_shape), "class_names": self.data.class_names,
                "num_classes": self.data.num_classes, "recipe": self.cfg.recipe_name, "precision": self.precision, "config": self.cfg.to_dict()}

    def save_checkpoint(self) -> Path | None:
        if not self.dist.is_main:
            return None
        modules = {"G": self.G, "D": self.D}
        if self.ema:
            modules["G_ema"] = self.ema.shadow
        state = {
            "format": 1, "step": self.step, "elapsed": self.elapsed,
            "optim_g": self.opt_g.state_dict(), "optim_d": self.opt_d.state_dict(),
            "scaler_g": self.scaler_g.state_dict(), "scaler_d": self.scaler_d.state_dict(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
            "sampler": self.sampler.state_dict(), "fixed_z": self.fixed_z,
            "recipe": self.recipe.state_dict(),
        }
        state["best_fid"] = self.best_fid
        folder = self.run_dir / "checkpoints"
        name = f"step_{self.step:06d}"
        best, self._is_best = getattr(self, "_is_best", False), False
        return ckpt.save_checkpoint(folder, name, ckpt.flatten_modules(modules), state, self.model_meta(),
                                    keep=self.cfg.train.keep_checkpoints, best=best)

    def _restore(self, path: Path) -> None:
        meta = ckpt.load_meta(path)
        saved = meta.get("config", {}).get("model", {})
        if saved and saved != self.cfg.to_dict()["model"]:
            raise GanforgeError(f"Checkpoint {str(path)!r} holds a different model ({saved}) than the config; "
                                "resume with the run's own config.yaml or start a new run.")
        weights, state = ckpt.load_weights(path), ckpt.load_state(path)
        try:
            self.G.load_state_dict(ckpt.unflatten(weights, "G"))
            self.D.load_state_dict(ckpt.unflatten(weights, "D"))
            if self.ema:
                ema_weights = ckpt.unflatten(weights, "G_ema") or ckpt.unflatten(weights, "G")
                self.ema.shadow.load_state_dict(ema_weights)
            self.opt_g.load_state_dict(state["optim_g"])
            self.opt_d.load_state_dict(state["optim_d"])
            self.scaler_g.load_state_dict(state["scaler_g"])
            self.scaler_d.load_state_dict(state["scaler_d"])
            self.sampler.load_state_dict(state["sampler"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise GanforgeError(f"Checkpoint {str(path)!r} does not match this model ({str(exc).splitlines()[0]}); "
                                "resume with the run's own config.") from None
        torch.set_rng_state(state["rng_cpu"])
        if self.device.type == "cuda" and state["rng_cuda"]:
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self.fixed_z = state["fixed_z"]
        self.recipe.load_state_dict(state.get("recipe", {}))
        self.step, self.elapsed = int(state["step"]), float(state.get("elapsed", 0.0))
        self.best_fid = float(state.get("best_fid", float("inf")))
        self._truncate_metrics()

    def _truncate_metrics(self) -> None:
        """Drop log lines written after the checkpoint we resume from (they will be redone)."""
        path = self.run_dir / "metrics.jsonl"
        rows = [r for r in read_metrics(path) if r.get("step", 0) <= self.step]
        ckpt.write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))

    # -------------------------------------------------------------- run dir

    def _prepare_run_dir(self, resume: bool, overwrite: bool) -> None:
        if not self.dist.is_main:  # rank 0 owns the run directory
            return
        used = (self.run_dir / "checkpoints").exists() or (self.run_dir / "metrics.jsonl").exists()
        if resume and not used:
            raise GanforgeError(f"Nothing to resume in {str(self.run_dir)!r}: it has no checkpoints; start it without --resume.")
        if used and not resume:
            if not overwrite:
                raise GanforgeError(f"Run directory {str(self.run_dir)!r} already holds a run; resume it with "
                                    f"--resume {self.run_dir}, pick another --name, or pass --overwrite to replace it.")
            import shutil
            shutil.rmtree(self.run_dir)
        (self.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        ckpt.write_text_atomic(self.run_dir / "config.yaml", to_yaml(self.cfg))

    def _install_signal_handlers(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, self._request_stop)
        return previous

    def _restore_signal_handlers(self, previous: dict) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _request_stop(self, signum, frame) -> None:
        if self._stop_requested:  # a second Ctrl-C means "now"
            raise KeyboardInterrupt
        self._stop_requested = True
        tqdm.write("Stopping after this step and writing a checkpoint (Ctrl-C again to abort at once)...")


class _RecipeSampler(torch.nn.Module):
    """z (B, z_dim) -> samples through the recipe, cycling classes for conditional models (for evaluation)."""

    def __init__(self, recipe, generator: torch.nn.Module, num_classes: int) -> None:
        super().__init__()
        self.recipe, self.generator, self.num_classes = recipe, generator, num_classes

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        labels = torch.arange(len(z), device=z.device) % self.num_classes if self.num_classes else None
        return self.recipe.generate(self.generator, z, labels)


def train(cfg: Config, run_dir: Path | str | None = None, resume: bool = False, overwrite: bool = False) -> Path:
    """Train ``cfg``; returns the run directory."""
    return Trainer(cfg, run_dir, resume=resume, overwrite=overwrite).fit()
