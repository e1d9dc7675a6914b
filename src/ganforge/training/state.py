"""What a checkpoint holds for a training run, and how a run is put back from one.

Weights: every net of the recipe under its name (``G.*``, ``D.*``, ...) plus
the EMA of the sampling net (``G_ema.*``).  State: one optimiser and one
GradScaler per optimiser group (``optim_d``, ``optim_g``), the RNGs, the
sampler position, the fixed latents, the recipe's own state, the best FID,
the divergence state (learning-rate scale, rollbacks) and the health
monitor's memory, so a resumed run continues bit-identically.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge import __version__
from ganforge.errors import GanforgeError
from ganforge.registry import error_line
from ganforge.training import checkpoint as ckpt
from ganforge.training.optim import plain_state_dict

FORMAT = 2


def ema_key(trainer) -> str:
    return f"{trainer.recipe.sampling_net}_ema"


def model_meta(trainer) -> dict:
    """The self-description stored beside the weights (enough to rebuild the sampling net without the data)."""
    data, cfg = trainer.data, trainer.cfg
    return {"ganforge_version": __version__, "step": trainer.step, "generator": trainer.recipe.generator_spec(),
            "z_dim": cfg.model.z_dim, "shape": list(data.sample_shape), "class_names": data.class_names, "num_classes": data.num_classes,
            "recipe": cfg.recipe_name, "precision": trainer.precision, "config": cfg.to_dict()}


def save(trainer, best: bool = False) -> Path:
    """Write a checkpoint of ``trainer`` at its current step; returns its folder."""
    modules = dict(trainer.recipe.nets)
    if trainer.ema:
        modules[ema_key(trainer)] = trainer.sampling_generator  # the shadow, its batch norms recalibrated
    state = {
        "format": FORMAT, "step": trainer.step, "elapsed": trainer.elapsed,
        **{f"optim_{g}": plain_state_dict(opt) for g, opt in trainer.optimizers.items()},
        **{f"scaler_{g}": scaler.state_dict() for g, scaler in trainer.scalers.items()},
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if trainer.device.type == "cuda" else [],
        "sampler": trainer.sampler.state_dict(), "fixed_z": trainer.fixed_z,
        "recipe": trainer.recipe.state_dict(), "best_fid": trainer.best_fid,
        "lr_scale": trainer.lr_scale, "rollbacks": trainer.rollbacks,
        "health": trainer.health.state_dict() if trainer.health else {},
    }
    return ckpt.save_checkpoint(trainer.run.path / "checkpoints", f"step_{trainer.step:06d}",
                                ckpt.flatten_modules(modules), state, model_meta(trainer),
                                keep=trainer.cfg.train.keep_checkpoints, best=best)


def restore(trainer, path: Path) -> None:
    """Load checkpoint ``path`` into ``trainer`` (nets, EMA, optimisers, RNG, sampler, step, recipe state)."""
    meta = ckpt.load_meta(path)
    saved = meta.get("config", {}).get("model", {}) if isinstance(meta, dict) else {}
    current = trainer.cfg.to_dict()["model"]
    # Settings both know must agree; a setting newer than the checkpoint (e.g. model.pack) is not a mismatch.
    if any(saved[k] != current[k] for k in saved.keys() & current.keys()):
        raise GanforgeError(f"Checkpoint {str(path)!r} holds a different model ({saved}) than the config; "
                            "resume with the run's own config.yaml or start a new run.")
    weights, state = ckpt.load_weights(path), ckpt.load_state(path)
    try:
        for name, net in trainer.recipe.nets.items():
            net.load_state_dict(ckpt.unflatten(weights, name))
        if trainer.ema:
            sampling = trainer.recipe.sampling_net
            trainer.ema.shadow.load_state_dict(ckpt.unflatten(weights, ema_key(trainer)) or ckpt.unflatten(weights, sampling))
        for group, opt in trainer.optimizers.items():
            opt.load_state_dict(state[f"optim_{group}"])
            trainer.scalers[group].load_state_dict(state[f"scaler_{group}"])
        trainer.sampler.load_state_dict(state["sampler"])
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise GanforgeError(f"Checkpoint {str(path)!r} does not match this model ({error_line(exc)}); "
                            "resume with the run's own config.") from None
    torch.set_rng_state(state["rng_cpu"])
    if trainer.device.type == "cuda" and state["rng_cuda"]:
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    trainer.fixed_z = state["fixed_z"]
    trainer.recipe.load_state_dict(state.get("recipe", {}))
    trainer.step, trainer.elapsed = int(state["step"]), float(state.get("elapsed", 0.0))
    trainer.best_fid = float(state.get("best_fid", float("inf")))
    trainer.lr_scale, trainer.rollbacks = float(state.get("lr_scale", 1.0)), int(state.get("rollbacks", 0))
    if trainer.health and state.get("health"):
        trainer.health.load_state_dict(state["health"])
    trainer.batches.reset()
    trainer.lrs.forget()  # the optimisers' param groups were replaced: write the lrs again
    if trainer.graphs is not None:
        trainer.graphs.reset()  # the graphs point at the optimiser state just replaced
