"""Experiment configuration: the schema dataclasses and their strict coercion (the ground floor).

A run is described by one :class:`Config`.  :mod:`ganforge.presets` builds it
from a named preset (``presets/<name>.yaml``) or a YAML file plus
``key.sub=value`` overrides, then checks every field (:func:`check_values` here,
the registry-dependent sections there).  Unknown keys and bad values raise a
:class:`GanforgeError` that lists what is valid, so a typo never silently
trains the wrong thing.

Sections whose keys depend on a registered variant (``recipe`` options and the
``model.g`` / ``model.d`` network arguments) stay dicts here and are checked
against that variant's signature by :func:`ganforge.presets.validate`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml

from ganforge.errors import GanforgeError


@dataclass
class DataConfig:
    """Where the training images come from (see ``ganforge data list``)."""

    source: str = "mnist"
    split: str = "train"
    path: str | None = None  # folder / cifar10: the files to read
    data_dir: str | None = None  # mnist / fashion-mnist: a folder of IDX files
    resolution: int | None = None  # resize (and centre-crop) to this square size
    channels: int | None = None  # convert to 1 (grey) or 3 (RGB) channels
    limit: int | None = None  # keep only the first N samples (quick tests)
    variant: str | None = None  # toy2d: ring8 | grid25
    cache: bool = True  # cache decoded tensors on disk
    streaming: bool = False  # folder only: decode per batch in DataLoader workers (folders too large for memory)
    workers: int = 2  # DataLoader worker processes for streaming
    cache_dir: str | None = None


@dataclass
class ModelConfig:
    """Which architecture (``nets/<arch>.py``) and its arguments."""

    arch: str = "dcgan"
    z_dim: int = 100
    g: dict = field(default_factory=dict)  # generator keyword arguments
    d: dict = field(default_factory=dict)  # discriminator keyword arguments
    pack: int = 1  # PacGAN packing: D judges this many samples jointly (1 = off); batch_size must divide by it


@dataclass
class OptimConfig:
    """One network's optimiser and learning-rate schedule."""

    name: str = "adam"  # adam | adamw | rmsprop | sgd
    lr: float = 2e-4
    betas: list = field(default_factory=lambda: [0.5, 0.999])
    weight_decay: float = 0.0
    momentum: float = 0.0
    schedule: str = "constant"  # constant | linear | cosine (decay to 0 at the last step)


@dataclass
class TrainConfig:
    """The generic loop's knobs; none of them know which recipe runs."""

    steps: int = 2000  # generator steps
    batch_size: int = 64  # images per optimiser step (split over grad_accum micro-batches)
    n_critic: int = 1  # discriminator steps per generator step
    grad_accum: int = 1
    grad_clip: float = 0.0  # max gradient norm per network; 0 = off
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    precision: str = "fp32"  # fp32 | bf16 | fp16 (autocast) | auto (bf16 where the hardware is fast at it)
    ema_decay: float = 0.999  # EMA of G's weights used for sampling; 0 = off
    ema_start: int = 0  # step from which the EMA starts averaging
    log_every: int = 50
    sample_every: int = 250
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    grid_size: int = 64  # images in each sample grid
    eval_every: int = 0  # evaluate (FID, ...) every N steps into metrics.jsonl and keep a "best" checkpoint; 0 = off
    eval_n: int = 2000  # generated samples per evaluation during training
    deterministic: bool = False  # torch deterministic algorithms (slower)
    channels_last: bool = False  # NHWC memory format for conv nets (faster on some CPUs / tensor cores)
    compile: bool = False  # torch.compile G and D (dynamic=False); pays off on long GPU runs
    data_on_device: str | bool = "auto"  # keep the uint8 data set on the training device, batches gathered there: auto (CUDA, when it fits) | true | false
    cuda_graphs: str | bool = "auto"  # capture the D and G updates in CUDA graphs (training/graphs.py): auto (CUDA, when safe) | true | false
    progress: bool = True  # tqdm progress bar
    on_divergence: str = "stop"  # non-finite losses/gradients: stop (keep the last good checkpoint) | rollback (reload it, halve the lrs)
    max_bad_steps: int = 10  # non-finite steps (skipped) in one log interval before on_divergence acts
    max_rollbacks: int = 3  # on_divergence=rollback: give up (stop) after this many rollbacks
    health_every: int = 100  # steps between the health monitor's sample checks (diversity, classes, modes of the fixed latents), in the first log row at or after each multiple
    health: str | bool = "warn"  # training-health monitor (YAML reads a bare `off` as false: same as "off"): warn (print diagnoses) | stop (stop at a serious one) | off
    tensorboard: bool = False  # also write TensorBoard event files into runs/NAME/tb (needs ganforge[tensorboard])


@dataclass
class Config:
    """A whole experiment.  ``ganforge train`` writes it to ``runs/<name>/config.yaml``."""

    name: str = "run"
    description: str = ""
    out_dir: str = "runs"
    recipe: dict = field(default_factory=lambda: {"name": "gan"})
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim_g: OptimConfig = field(default_factory=OptimConfig)
    optim_d: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def recipe_name(self) -> str:
        return self.recipe.get("name", "gan")

    @property
    def recipe_options(self) -> dict:
        return {k: v for k, v in self.recipe.items() if k != "name"}


# ----------------------------------------------------------------------------
# dict <-> dataclass with strict checking


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against a type hint, converting int->float where harmless."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except GanforgeError:
                continue
        raise GanforgeError(f"{where} must be {_type_name(hint)}, got {value!r}.")
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise GanforgeError(f"{where} must be a mapping of settings, got {value!r}.")
        return from_dict(hint, value, where)
    if hint is float:
        value = _yaml_float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GanforgeError(f"{where} must be a number, got {value!r}.")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise GanforgeError(f"{where} must be a whole number, got {value!r}.")
        return int(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise GanforgeError(f"{where} must be true or false, got {value!r}.")
        return value
    if hint is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise GanforgeError(f"{where} must be text, got {value!r}.")
        return str(value)
    if hint in (list, dict) or origin in (list, dict):
        expected = origin or hint
        if not isinstance(value, expected):
            raise GanforgeError(f"{where} must be a {expected.__name__}, got {value!r}.")
        return value
    return value


def _yaml_float(value: Any) -> Any:
    """PyYAML reads 1e-4 (no dot) as a string; accept such numeric strings as floats."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _type_name(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    names = [getattr(a, "__name__", str(a)) for a in args] or [getattr(hint, "__name__", str(hint))]
    return " or ".join(names) + (" or null" if type(None) in typing.get_args(hint) else "")


def from_dict(cls: type, values: dict, where: str = "config") -> Any:
    """Build dataclass ``cls`` from ``values``; unknown keys are an error, missing ones default."""
    hints = _field_types(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            raise GanforgeError(_unknown_key(f"{where}.{key}" if where != "config" else key, key, names))
        sub = f"{where}.{key}" if where != "config" else key
        kwargs[key] = _coerce(value, hints[key], sub)
    return cls(**kwargs)


def _unknown_key(path: str, key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"Unknown setting {path!r}.{hint} Valid keys here: {', '.join(valid)}."


# ----------------------------------------------------------------------------
# validation of values and of the registry-dependent sections


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise GanforgeError(message)


def check_values(cfg: Config) -> None:
    """Check every value that needs no registry; raise one clear :class:`GanforgeError` for the first problem.

    The checks against registered variants and the size limits are in
    :func:`ganforge.presets.validate`, one floor up (the registries import this module).
    """
    t = cfg.train
    _check(isinstance(cfg.recipe, dict) and "name" in cfg.recipe, "recipe must be a mapping with a 'name', e.g. recipe.name=gan.")
    _check(bool(cfg.name) and "/" not in cfg.name and cfg.name not in (".", ".."), f"Run name {cfg.name!r} must be a plain folder name without '/'.")
    _check(t.eval_every >= 0 and t.eval_n >= 2, "train.eval_every must be >= 0 (0 = off) and train.eval_n >= 2.")
    for key in ("steps", "batch_size", "n_critic", "grad_accum", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "grid_size",
                "health_every"):
        _check(getattr(t, key) >= 1, f"train.{key} must be >= 1, got {getattr(t, key)}.")
    _check(t.batch_size % t.grad_accum == 0, f"train.batch_size ({t.batch_size}) must be divisible by train.grad_accum ({t.grad_accum}).")
    _check(t.grad_clip >= 0 and not math.isnan(t.grad_clip), f"train.grad_clip must be >= 0 (0 turns clipping off), got {t.grad_clip}.")
    _check(0.0 <= t.ema_decay < 1.0, f"train.ema_decay must be in [0, 1), got {t.ema_decay}; 0 turns the EMA off.")
    _check(t.precision in ("fp32", "bf16", "fp16", "auto"), f"train.precision must be fp32, bf16, fp16 or auto, got {t.precision!r}.")
    _check(cfg.model.z_dim >= 1, f"model.z_dim must be >= 1, got {cfg.model.z_dim}.")
    _check(cfg.model.pack >= 1, f"model.pack must be >= 1 (1 = no packing), got {cfg.model.pack}.")
    _check(t.batch_size % (cfg.model.pack * t.grad_accum) == 0,
           f"train.batch_size ({t.batch_size}) must be divisible by model.pack x train.grad_accum "
           f"({cfg.model.pack} x {t.grad_accum}); change one of them.")
    _check(t.on_divergence in ("stop", "rollback"), f"train.on_divergence must be stop or rollback, got {t.on_divergence!r}.")
    _check(t.max_bad_steps >= 1 and t.max_rollbacks >= 0, "train.max_bad_steps must be >= 1 and train.max_rollbacks >= 0.")
    if t.health is False:
        t.health = "off"
    _check(t.health in ("warn", "stop", "off"), f"train.health must be warn, stop or off, got {t.health!r}.")
    for key in ("data_on_device", "cuda_graphs"):
        _check(getattr(t, key) in ("auto", True, False), f"train.{key} must be auto, true or false, got {getattr(t, key)!r}.")
    for which in ("optim_g", "optim_d"):
        o: OptimConfig = getattr(cfg, which)
        _check(math.isfinite(o.lr) and o.lr > 0, f"{which}.lr must be a positive finite number, got {o.lr}; try 2e-4.")
        _check(isinstance(o.betas, list) and len(o.betas) == 2 and all(0 <= b < 1 for b in o.betas),
               f"{which}.betas must be two numbers in [0, 1), e.g. [0.5, 0.999], got {o.betas!r}.")
        _check(o.weight_decay >= 0 and o.momentum >= 0, f"{which}.weight_decay and momentum must be >= 0.")


def to_yaml(cfg: Config) -> str:
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)


_MOVED_TO_PRESETS = {"preset_names", "preset_dict", "parse_override", "apply_overrides", "load_config",
                     "config_from_dict", "read_run_config", "validate"}


def __getattr__(name: str):
    # Loading and registry validation live one floor up (ganforge.presets): say so instead of a bare ImportError.
    if name in _MOVED_TO_PRESETS:
        raise ImportError(f"ganforge.config.{name} moved to ganforge.presets; import it from there.")
    raise AttributeError(f"module 'ganforge.config' has no attribute {name!r}")
