"""A trained translator, rebuilt from a checkpoint's self-description, that turns images into images.

``ganforge.load(run)`` returns a :class:`TranslatorModel` for pix2pix and
CycleGAN runs (model.json's "generator" has ``kind: translator``): it names
the translator, its options, the image size and channels, and which
checkpointed net translates each way ({"AtoB": "G"} or, for CycleGAN, both).
The EMA of a net is used when the run kept one.  Nets run in eval mode, so a
translation is deterministic (pix2pix's dropout is off).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

from ganforge.data.base import from_uint8_images, to_uint8_images
from ganforge.data.folder import decode_image, fit_square, to_mode
from ganforge.data.registry import convert_channels, resize_square
from ganforge.errors import GanforgeError
from ganforge.registry import error_line
from ganforge.nets.translation import build_translator
from ganforge.training import checkpoint as ckpt


class TranslatorModel:
    """Translators by direction ("AtoB", "BtoA") for square images of ``size`` with ``channels`` channels."""

    def __init__(self, nets: dict[str, nn.Module], meta: dict, source: Path) -> None:
        self.nets = {direction: net.eval() for direction, net in nets.items()}
        self.meta, self.source = meta, source
        spec = meta["generator"]
        self.channels, self.size = int(spec["channels"]), int(spec["size"])

    @property
    def directions(self) -> list[str]:
        return sorted(self.nets)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one translated image."""
        return (self.channels, self.size, self.size)

    @property
    def device(self) -> torch.device:
        return next(next(iter(self.nets.values())).parameters()).device

    def to(self, device: str | torch.device) -> "TranslatorModel":
        for net in self.nets.values():
            net.to(device)
        return self

    def net_for(self, direction: str) -> nn.Module:
        if direction not in self.nets:
            raise GanforgeError(f"This model translates {' and '.join(self.directions)}, not {direction!r}; "
                                f"use --direction {self.directions[0]}.")
        return self.nets[direction]

    def prepare(self, images) -> torch.Tensor:
        """Images -> float (N, C, size, size) in [-1, 1].

        Accepts file paths, PIL images, uint8 tensors (N, C, H, W) or float
        tensors in [-1, 1] of the model's size; images are converted to the
        model's channels and centre-cropped / resized to its size like training data.
        """
        if isinstance(images, torch.Tensor):
            return self._prepare_tensor(images)
        if isinstance(images, (str, Path, Image.Image)):
            images = [images]
        arrays = [self._decode(item) for item in images]
        if not arrays:
            raise GanforgeError("No images to translate; give at least one image file.")
        return from_uint8_images(torch.stack(arrays))

    def _prepare_tensor(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x[None]
        if x.dim() != 4:
            raise GanforgeError(f"Images must be a tensor (N, C, H, W), got shape {tuple(x.shape)}.")
        if x.dtype == torch.uint8:
            x = resize_square(convert_channels(x, self.channels), self.size)
            return from_uint8_images(x)
        if tuple(x.shape[1:]) != self.shape:
            raise GanforgeError(f"Float images must already have the model's shape {self.shape} and lie in [-1, 1], "
                                f"got {tuple(x.shape[1:])}; pass uint8 images to have them converted.")
        return x.float()

    def _decode(self, item) -> torch.Tensor:
        """One file or PIL image -> uint8 (C, size, size), decoded like the folder data source."""
        if isinstance(item, Image.Image):
            image = fit_square(to_mode(item, self.channels), self.size)
            array = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy())
            return array[None] if array.dim() == 2 else array.permute(2, 0, 1)
        path = Path(item)
        if not path.is_file():
            raise GanforgeError(f"Input image {str(path)!r} does not exist; give image files or folders of them.")
        result = decode_image(path, self.size, self.channels)
        if isinstance(result, str):
            raise GanforgeError(f"Input image {str(path)!r} cannot be read ({result}); give a PNG or JPEG image.")
        return torch.from_numpy(result.copy())

    @torch.no_grad()
    def translate(self, images, direction: str = "AtoB", batch_size: int = 64) -> torch.Tensor:
        """Translate images (see :meth:`prepare`) -> float (N, C, size, size) in [-1, 1] on the CPU."""
        net = self.net_for(direction)
        x = self.prepare(images)
        return torch.cat([net(chunk.to(self.device)).float().cpu() for chunk in x.split(batch_size)])

    def translate_images(self, images, direction: str = "AtoB") -> torch.Tensor:
        """Like :meth:`translate`, as uint8 (N, C, size, size)."""
        return to_uint8_images(self.translate(images, direction))


DIRECTIONS = ("AtoB", "BtoA")


def check_translator_spec(spec, where: str) -> dict:
    """The translator description of a model.json, checked like a request before anything is built.

    A model.json may come from anywhere, so types, ranges (``ganforge.limits``)
    and the parameter count (on the meta device, no memory) are bounded first.
    """
    from ganforge import limits
    from ganforge.nets.translation import TRANSLATORS

    bad = lambda why: GanforgeError(f"{where} is not a usable translator description ({why}); "  # noqa: E731
                                    "it was not written by ganforge or was edited.")
    directions, options = spec.get("directions"), spec.get("g") if spec.get("g") is not None else {}
    if not isinstance(spec.get("translator"), str) or not isinstance(options, dict):
        raise bad("'translator' is not a name or 'g' is not an object")
    if not isinstance(directions, dict) or not directions or not all(
            d in DIRECTIONS and isinstance(n, str) for d, n in directions.items()):
        raise bad(f"'directions' must map AtoB / BtoA to net names, got {directions!r}")
    cls = TRANSLATORS.get(spec["translator"])
    limits.check_net_options(cls, options, f"{where}: g")
    checked = {**spec, "g": options, "channels": limits.check_int(spec.get("channels"), f"{where}: channels", 1, limits.MAX_CHANNELS),
               "size": limits.check_int(spec.get("size"), f"{where}: size", 1, limits.MAX_RESOLUTION)}
    limits.check_parameter_count(lambda: _build(checked), where)
    return checked


def _build(spec: dict) -> nn.Module:
    return build_translator(spec["translator"], spec["channels"], spec["channels"], spec["size"], dict(spec["g"]))


def load_translator(folder: Path, meta: dict, weights: dict, device: str | torch.device = "cpu") -> TranslatorModel:
    """The TranslatorModel of checkpoint ``folder`` (its meta and flattened weights already read)."""
    spec = check_translator_spec(meta["generator"], repr(str(Path(folder) / ckpt.META)))
    nets = {}
    for direction, name in spec["directions"].items():
        net = _build(spec)
        state = ckpt.unflatten(weights, f"{name}_ema") or ckpt.unflatten(weights, name)
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise GanforgeError(f"Weights in {str(folder)!r} do not fit the translator it describes "
                                f"({error_line(exc)}).") from None
        nets[direction] = net
    return TranslatorModel(nets, {**meta, "generator": spec}, folder).to(device)


def load_model(path: Path | str, checkpoint: str = "latest", device: str | torch.device = "cpu"):
    """A run's model by its model.json kind: a :class:`TranslatorModel` for pix2pix / CycleGAN runs, else
    the :class:`ganforge.model.GeneratorModel`.  Below the API, so metrics can load either without it."""
    from ganforge.model import build_model, model_kind, read_model

    path = Path(path)
    if not path.exists():
        raise GanforgeError(f"{str(path)!r} does not exist; give a run directory such as runs/demo.")
    folder, meta, spec = read_model(path, checkpoint)
    if model_kind(spec).generator:
        return build_model(folder, meta, spec, device)
    return load_translator(folder, meta, ckpt.load_weights(folder), device)
