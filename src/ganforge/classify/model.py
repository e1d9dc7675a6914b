"""A saved classifier: ``classifier.json`` (network spec + class names + provenance) + ``model.safetensors``.

Nothing is unpickled when loading: the JSON rebuilds the network, the
safetensors file fills its weights (strictly: a file of another shape is a
clear error).  ``predict`` reads image files, converts them to the model's
channels and size (the ``folder`` data source's decoding: EXIF rotation,
transparency on white, centre crop, bicubic resize) and returns class names.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ganforge.classify.net import NetSpec, build_classifier
from ganforge.errors import GanforgeError
from ganforge.registry import error_line
from ganforge.files import atomic_write, write_text_atomic

META = "classifier.json"
WEIGHTS = "model.safetensors"
KIND = "ganforge-classifier"
FORMAT = 1


class ClassifierModel:
    """A trained classifier with its description (``meta``: class_names, dataset, method, ...)."""

    def __init__(self, net: nn.Module, meta: dict) -> None:
        self.net, self.meta = net.eval(), dict(meta)

    @property
    def spec(self) -> NetSpec:
        return self.net.spec

    @property
    def class_names(self) -> list[str]:
        return list(self.meta.get("class_names") or [str(i) for i in range(self.spec.num_classes)])

    # ------------------------------------------------------------ save / load

    def save(self, path: Path | str) -> Path:
        """Write ``path/classifier.json`` and ``path/model.safetensors`` (each atomically)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}
        atomic_write(path / WEIGHTS, lambda tmp: save_file(tensors, str(tmp)))
        meta = {"kind": KIND, "format": FORMAT, "net": self.spec.to_dict(), **self.meta}
        write_text_atomic(path / META, json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path | str) -> "ClassifierModel":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        path = Path(path)
        if path.is_file() and path.name in (META, WEIGHTS):
            path = path.parent
        if not (path / META).is_file() or not (path / WEIGHTS).is_file():
            raise GanforgeError(f"{str(path)!r} is not a saved classifier (needs {META} and {WEIGHTS}); "
                                "give a folder written by `ganforge classify`.")
        try:
            meta = json.loads((path / META).read_text())
        except (OSError, ValueError) as exc:
            raise GanforgeError(f"{path / META} is unreadable ({exc.__class__.__name__}); save the classifier again.") from None
        if not isinstance(meta, dict) or meta.get("kind") != KIND:
            raise GanforgeError(f"{path / META} does not describe a ganforge classifier.")
        if int(meta.get("format", 0)) > FORMAT:
            raise GanforgeError(f"{path} was saved by a newer ganforge (format {meta['format']}); upgrade ganforge.")
        net = build_classifier(NetSpec.from_dict(meta["net"]))  # no "arch" (saved before the cnn): the mlp
        try:
            state = load_file(str(path / WEIGHTS))
            net.load_state_dict(state, strict=True)
        except (SafetensorError, OSError, RuntimeError) as exc:
            raise GanforgeError(f"Weights in {path / WEIGHTS} are unreadable or do not fit the network in {META} "
                                f"({error_line(exc)}).") from None
        extra = {k: v for k, v in meta.items() if k not in ("kind", "format", "net")}
        return cls(net, extra)

    # ------------------------------------------------------------ prediction

    @torch.no_grad()
    def predict_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 (N, C, H, W) at the model's shape -> predicted class ids (N,)."""
        from ganforge.metrics.accuracy import predict_logits

        return predict_logits(self.net, x).argmax(1)

    def predict_files(self, paths: list[Path]) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
        """Image files -> ([(path, class_name)], [(path, why it was skipped)])."""
        from ganforge.data.folder import decode_image

        good, bad, arrays = [], [], []
        for p in paths:
            result = decode_image(Path(p), self.spec.resolution, self.spec.in_channels)
            if isinstance(result, str):
                bad.append((Path(p), result))
            else:
                good.append(Path(p))
                arrays.append(result)
        if not arrays:
            return [], bad
        ids = self.predict_tensor(torch.from_numpy(np.stack(arrays))).tolist()
        names = self.class_names
        return [(p, names[i]) for p, i in zip(good, ids)], bad


def image_paths(target: Path | str) -> list[Path]:
    """A file -> [it]; a folder -> its image files (by suffix, recursively, sorted)."""
    from ganforge.data.folder import IMAGE_SUFFIXES, list_files

    target = Path(target)
    if target.is_file():
        return [target]
    if target.is_dir():
        files = [f for f in list_files(target) if f.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise GanforgeError(f"No image files (.png, .jpg, ...) in {target}.")
        return files
    raise GanforgeError(f"{str(target)!r} does not exist; give an image file or a folder of images.")
