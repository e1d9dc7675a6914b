"""``tensor-file``: images + labels from one safetensors file, e.g. the labelled subset `ganforge classify`
trains a conditional GAN on (classify/gan_augment.py). Registered here, with the other sources, so the
source registry does not depend on which packages happen to be imported."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

TENSOR_FILE_SOURCE = "tensor-file"


def write_tensor_file(path: Path | str, x: torch.Tensor, y: torch.Tensor, class_names: list[str]) -> Path:
    """Write uint8 images x (N, C, H, W) + labels y (N,) atomically as a file the ``tensor-file`` source reads."""
    from safetensors.torch import save_file

    from ganforge.files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"class_names": json.dumps(list(class_names))}
    return atomic_write(path, lambda tmp: save_file({"x": x.contiguous(), "y": y.contiguous()}, str(tmp),
                                                    metadata=meta))


def _tensor_inputs(cfg: DataConfig) -> list[Path]:
    return [Path(cfg.path)] if cfg.path else []


@SOURCES.register(TENSOR_FILE_SOURCE)
@source_options(splits=("train", "all"), cacheable=False, inputs=_tensor_inputs, path_is_data=True)
def load_tensor_file(cfg: DataConfig) -> Dataset:
    """Images + labels from a safetensors file (x uint8 (N,C,H,W), y int64) given by data.path; written by `ganforge classify`."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    if not cfg.path or not Path(cfg.path).is_file():
        raise GanforgeError(f"The {TENSOR_FILE_SOURCE} source needs data.path pointing at a .safetensors file, "
                            f"got {cfg.path!r}.")
    try:
        tensors = load_file(cfg.path)
        with safe_open(cfg.path, "pt") as f:
            names = json.loads((f.metadata() or {}).get("class_names", "null"))
    except (SafetensorError, OSError, ValueError) as exc:
        raise GanforgeError(f"{cfg.path} is not a readable tensor file ({exc.__class__.__name__}); "
                            "write it again.") from None
    x, y = tensors.get("x"), tensors.get("y")
    if x is None or x.dtype != torch.uint8 or x.dim() != 4 or y is None or len(y) != len(x):
        raise GanforgeError(f"{cfg.path} must hold uint8 images 'x' (N, C, H, W) and labels 'y' (N,).")
    return Dataset(x=x, y=y.long(), class_names=names, info={"files": [cfg.path]})
