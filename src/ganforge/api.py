"""The Python API: ``ganforge.train(...)`` and ``ganforge.load(path).sample(...)``."""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge.config import Config
from ganforge.model import GeneratorModel
from ganforge.presets import load_config

__all__ = ["GeneratorModel", "load", "train"]  # GeneratorModel lives in ganforge.model


def train(config: Config | str, overrides: list[str] | None = None, name: str | None = None,
          resume: bool = False, overwrite: bool = False) -> Path:
    """Train a preset name, a YAML path or a :class:`Config`; returns the run directory."""
    from ganforge.training.trainer import train as run_training

    cfg = config if isinstance(config, Config) else load_config(config, overrides, name=name)
    return run_training(cfg, resume=resume, overwrite=overwrite)


def load(path: Path | str, checkpoint: str = "latest", device: str | torch.device = "cpu") -> GeneratorModel:
    """Load the generator of a run directory, a checkpoint directory, a saved model directory or an exported .onnx file.

    The EMA weights are used when the run kept an EMA.  ``checkpoint`` is
    "latest", "best" or a checkpoint name like "step_000500".  A pix2pix /
    CycleGAN run gives a :class:`ganforge.translate.TranslatorModel` instead.
    """
    path = Path(path)
    if path.suffix.lower() == ".onnx" and path.is_file():  # an exported generator: sampled with onnxruntime
        from ganforge.export.onnx_model import load_onnx

        return load_onnx(path, device)
    from ganforge.translate.model import load_model  # one loader for both model kinds (and the missing-path error)

    return load_model(path, checkpoint, device)
