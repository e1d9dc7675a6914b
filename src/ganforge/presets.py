"""Presets, ``--set`` overrides and full validation: building a checked :class:`~ganforge.config.Config`.

This module sits above the registries (data sources, nets, recipes,
optimisers): it checks a config's names and variant options against them,
while :mod:`ganforge.config` (the schema) stays at the ground floor so every
registry can import it without an import circle.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ganforge.config import Config, check_values, from_dict
from ganforge.data import SOURCES
from ganforge.errors import GanforgeError
from ganforge.nets import ARCHS, check_kwargs
from ganforge.recipes import RECIPES, recipe_options
from ganforge.training.optim import OPTIMIZERS, SCHEDULES


# ----------------------------------------------------------------------------
# presets and overrides


def preset_names() -> list[str]:
    folder = resources.files("ganforge") / "presets"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read_yaml(path: Path | Any, what: str) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise GanforgeError(f"{what} is not valid YAML ({exc.__class__.__name__}); fix the file.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GanforgeError(f"{what} must hold a mapping of settings at the top level.")
    return data


def preset_dict(name: str) -> dict:
    """The raw settings of a preset name, or of a YAML file path."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise GanforgeError(f"Config file {name!r} does not exist; give a preset name (ganforge list) or a YAML path.")
        return _read_yaml(path, f"Config file {name!r}")
    if name not in preset_names():
        close = difflib.get_close_matches(name, preset_names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise GanforgeError(f"Unknown preset {name!r}.{hint} Choose one of: {', '.join(preset_names())}.")
    return _read_yaml(resources.files("ganforge") / "presets" / f"{name}.yaml", f"Preset {name!r}")


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"train.steps=500"`` -> (["train", "steps"], 500); the value is parsed as YAML."""
    if "=" not in text:
        raise GanforgeError(f"Override {text!r} must look like key.sub=value, e.g. train.steps=500.")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise GanforgeError(f"Override {text!r} has no key; write key.sub=value.")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.split("."), value


def apply_overrides(values: dict, overrides: list[str]) -> dict:
    """Set nested keys of a raw settings dict; the dataclasses check them afterwards."""
    for text in overrides:
        path, value = parse_override(text)
        node = values
        for part in path[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise GanforgeError(f"Override {text!r}: {part!r} is a value, not a section.")
            node = child
        node[path[-1]] = value
    return values


def load_config(preset: str | None = None, overrides: list[str] | None = None, name: str | None = None) -> Config:
    """Preset (or YAML file) + overrides -> a checked :class:`Config`."""
    values = preset_dict(preset) if preset else {}
    values = apply_overrides(values, list(overrides or []))
    if name is not None:
        values["name"] = name
    elif preset and "name" not in values:
        values["name"] = Path(preset).stem
    cfg = from_dict(Config, values)
    validate(cfg)
    return cfg


def config_from_dict(values: dict) -> Config:
    """Rebuild a :class:`Config` saved with :meth:`Config.to_dict` (e.g. a run's config.yaml)."""
    cfg = from_dict(Config, values)
    validate(cfg)
    return cfg


def read_run_config(run_dir: Path | str) -> dict:
    """The raw settings of ``RUN/config.yaml``; a missing or damaged file is one GanforgeError naming it."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise GanforgeError(f"{str(run_dir)!r} is not a run directory (no config.yaml); give the folder a run was trained into.")
    try:
        values = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except (ValueError, yaml.YAMLError, RecursionError):  # not UTF-8, not YAML, bad dates, absurd nesting
        values = None
    if not isinstance(values, dict) or not values:
        raise GanforgeError(f"{str(path)!r} is damaged (not a YAML mapping of settings); restore it, "
                            "or start the run again with --overwrite.")
    return values


# ----------------------------------------------------------------------------
# validation


def validate(cfg: Config) -> None:
    """Check every field (values, registered names and their options, size limits); one GanforgeError."""
    check_values(cfg)
    _validate_registered(cfg)
    from ganforge.limits import check_config  # every size limit lives in ganforge.limits

    check_config(cfg)


def _validate_registered(cfg: Config) -> None:
    SOURCES.get(cfg.data.source)
    arch = ARCHS.get(cfg.model.arch)
    check_kwargs(arch.generator, cfg.model.g, "model.g")
    check_kwargs(arch.discriminator, cfg.model.d, "model.d")
    RECIPES.get(cfg.recipe_name)
    recipe_options(cfg)  # raises on unknown / bad recipe options
    for which in ("optim_g", "optim_d"):
        OPTIMIZERS.get(getattr(cfg, which).name)
        SCHEDULES.get(getattr(cfg, which).schedule)
