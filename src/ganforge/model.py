"""The loaded generator: :class:`GeneratorModel` and how it is rebuilt from a checkpoint or model folder.

This module sits below everything that uses a trained generator (the
metrics, art, export, the studio and :mod:`ganforge.api`), so none of them
imports the training code through the API. ``ganforge.load`` (api.py) adds the
other kinds of model on top: exported .onnx files and image-to-image translators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from ganforge.data.base import to_uint8_images
from ganforge.errors import GanforgeError
from ganforge.limits import check_int, check_truncation
from ganforge.nets import build_generator
from ganforge.registry import Registry, error_line, first_line
from ganforge.training import checkpoint as ckpt


@dataclass(frozen=True)
class ModelKind:
    """What a model.json's ``kind`` says about the model it describes.

    ``generator``: a latent -> sample generator (:func:`load_generator`,
    metrics, art, export); other kinds are checked and loaded by their own
    package, and ``description`` / ``use`` tell a person what to do instead.
    """

    generator: bool
    description: str = "a generator"
    use: str = ""


#: model.json ``kind`` -> what it is; a description without ``kind`` is a generator.
MODEL_KINDS: Registry[ModelKind] = Registry("model kind")
MODEL_KINDS.register("generator")(ModelKind(generator=True))
MODEL_KINDS.register("translator")(ModelKind(  # pix2pix / CycleGAN: images -> images, no latent (translate/)
    generator=False, description="an image-to-image translator", use="use ganforge.load(path).translate(images)"))


def model_kind(spec: dict) -> ModelKind:
    """The kind of a checked generator description (see :func:`read_model`)."""
    return MODEL_KINDS.get(spec.get("kind") or "generator")


_MAX_ROUNDS = 100_000  # truncation redraw rounds; each keeps a component with p >= 0.8% (psi >= 0.01)


def seeded_latents(seed: int, n: int, z_dim: int) -> tuple[torch.Tensor, torch.Generator]:
    """Latents z (n, z_dim) that depend only on ``seed``, and the generator positioned after them.

    Drawn on the CPU so a seed means the same z on every device; the truncation
    trick redraws from the same stream.  The one home of "the latents of a seed"
    (training's fixed grid, ``GeneratorModel.latents``, evaluation).
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, z_dim, generator=generator), generator


def truncate(z: torch.Tensor, psi: float, generator: torch.Generator) -> torch.Tensor:
    """BigGAN truncation: redraw the components of ``z`` with |z_i| > psi from ``generator`` until none is left.

    Components already inside [-psi, psi] keep their values, so a truncated
    latent resembles its untruncated self.  The result is a sample of the
    normal distribution truncated to [-psi, psi], and is a pure function of
    (z, psi, generator state): the same seed gives the same latents.
    """
    psi = check_truncation(psi)
    z = z.clone()
    outside = z.abs() > psi
    for _ in range(_MAX_ROUNDS):
        count = int(outside.sum())
        if count == 0:
            return z
        draws = torch.randn(count, generator=generator, dtype=z.dtype)
        z[outside] = draws
        outside = z.abs() > psi
    raise AssertionError("unreachable: truncation did not converge")  # p(accept) >= 0.8% per draw


def class_index(label, class_names: list[str] | None, num_classes: int) -> int:
    """A class id (int, integral float or digit string) or class name -> id in [0, num_classes).

    The one check of a requested class for the API, the CLI, provenance and the
    studio: a mistake raises a GanforgeError listing the valid classes.
    """
    names = class_names or [str(i) for i in range(num_classes)]
    if isinstance(label, str):
        if not label.strip().lstrip("+-").isdigit():
            if label not in names:
                raise GanforgeError(f"Unknown class {label!r}; valid classes: {', '.join(names)}.")
            return names.index(label)
        label = int(label)
    listing = ", ".join(f"{i}={n}" for i, n in enumerate(names))
    return check_int(label, "Class id", 0, num_classes - 1, hint=f" Valid classes: {listing}.")


class GeneratorModel:
    """A trained generator, rebuilt from a self-describing directory (model.json + weights)."""

    def __init__(self, generator: torch.nn.Module, meta: dict, source: Path) -> None:
        self.generator, self.meta, self.source = generator.eval(), meta, source

    @property
    def z_dim(self) -> int:
        return int(self.meta["z_dim"])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.meta["shape"])

    @property
    def class_names(self) -> list[str] | None:
        return self.meta.get("class_names")

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    def to(self, device: str | torch.device) -> "GeneratorModel":
        self.generator.to(device)
        return self

    def latents(self, n: int, seed: int = 0, truncation: float | None = None) -> torch.Tensor:
        """z (n, z_dim) for a seed; drawn on the CPU so a seed means the same images on every device.

        ``truncation=psi`` applies the BigGAN truncation trick: every component
        with |z_i| > psi is redrawn (from the same seeded stream) until it lies
        in [-psi, psi]; components already inside are kept, so a truncated
        sample stays close to its untruncated self.  Deterministic per seed.
        """
        if n < 1:
            raise GanforgeError(f"Number of samples must be >= 1, got {n}.")
        if seed < 0:
            raise GanforgeError(f"Seed must be >= 0, got {seed}.")
        z, generator = seeded_latents(seed, n, self.z_dim)
        if truncation is None:
            return z
        return truncate(z, truncation, generator)

    @property
    def num_classes(self) -> int:
        """Number of classes a conditional model can make; 0 for unconditional models."""
        spec = self.meta.get("generator", {})
        return int(spec.get("num_classes", 0)) if spec.get("conditioning") else 0

    def class_index(self, label: int | str) -> int:
        """A class id or name -> id (:func:`class_index`)."""
        return class_index(label, self.class_names, self.num_classes)

    def labels_for(self, n: int, labels=None, seed: int = 0) -> torch.Tensor | None:
        """Labels (n,) for a conditional model: one class for all, a list of n, or seeded random when None."""
        if not self.num_classes:
            if labels is not None:
                raise GanforgeError("This model is unconditional: it cannot make a requested class; drop the class / labels.")
            return None
        if labels is None:
            return torch.randint(0, self.num_classes, (n,), generator=torch.Generator().manual_seed(seed + 1_000_003))
        if isinstance(labels, (int, str)):
            return torch.full((n,), self.class_index(labels), dtype=torch.long)
        values = labels.tolist() if isinstance(labels, torch.Tensor) else list(labels)
        if len(values) != n:
            raise GanforgeError(f"Got {len(values)} labels for {n} samples; give one label or exactly {n}.")
        return torch.tensor([self.class_index(v) for v in values], dtype=torch.long)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256) -> torch.Tensor:
        """z (N, z_dim) [+ labels (N,)] -> samples (N, *shape) as float on the CPU ([-1, 1] for images)."""
        outs = []
        for i, chunk in enumerate(z.split(batch_size)):
            args = (chunk.to(self.device),)
            if self.num_classes:
                if labels is None:
                    raise GanforgeError("This model is conditional: give labels (class ids or names).")
                args += (labels[i * batch_size : i * batch_size + len(chunk)].to(self.device),)
            outs.append(self.generator(*args).float().cpu())
        return torch.cat(outs)

    def sample(self, n: int, seed: int = 0, labels=None, truncation: float | None = None) -> torch.Tensor:
        """n samples (n, *shape) for a seed: float in [-1, 1] for images, points for toy2d.

        ``labels`` (conditional models): a class id or name for all samples, or
        one per sample; None draws classes from the seed.  ``truncation``: see :meth:`latents`.
        """
        return self.generate(self.latents(n, seed, truncation), self.labels_for(n, labels, seed))

    def sample_images(self, n: int, seed: int = 0, labels=None, truncation: float | None = None) -> torch.Tensor:
        """n images as uint8 (n, C, H, W)."""
        return to_uint8_images(self.sample(n, seed, labels, truncation))

    def save_pretrained(self, path: Path | str) -> Path:
        """Write a model directory: model.json, model.safetensors (the G weights only) and README.md (its model card)."""
        from safetensors.torch import save_file

        from ganforge.files import atomic_write, write_text_atomic
        from ganforge.modelcard import write_pretrained_card

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = ckpt.flatten_modules({"G_ema": self.generator})
        atomic_write(path / ckpt.WEIGHTS, lambda tmp: save_file(tensors, str(tmp)))
        write_text_atomic(path / ckpt.META, json.dumps(self.meta, indent=2))
        write_pretrained_card(self, path)
        return path


def read_model(path: Path | str, checkpoint: str = "latest") -> tuple[Path, dict, dict]:
    """(checkpoint folder, model.json, its checked generator description) of a run, checkpoint or model folder."""
    folder = ckpt.find_checkpoint(Path(path), checkpoint)
    meta = ckpt.load_meta(folder)
    return folder, meta, _checked_spec(meta, folder / ckpt.META)  # untrusted: checked before any work


def build_model(folder: Path, meta: dict, spec: dict, device: str | torch.device = "cpu") -> GeneratorModel:
    """The generator ``spec`` describes, with the weights of ``folder`` (EMA ones when kept)."""
    meta = {**meta, "z_dim": spec["z_dim"], "shape": list(spec["shape"])}  # one truth for GeneratorModel
    generator = build_generator(spec)
    weights = ckpt.load_weights(folder)
    state = ckpt.unflatten(weights, "G_ema") or ckpt.unflatten(weights, "G")
    try:
        generator.load_state_dict(state)
    except RuntimeError as exc:
        raise GanforgeError(f"Weights in {str(folder)!r} do not fit the model it describes "
                            f"({error_line(exc)}).") from None
    return GeneratorModel(generator, meta, folder).to(device)


def load_generator(path: Path | str, checkpoint: str = "latest",
                   device: str | torch.device = "cpu") -> GeneratorModel:
    """The generator of a run, checkpoint or model folder (what metrics and provenance re-create from)."""
    path = Path(path)
    if not path.exists():
        raise GanforgeError(f"{str(path)!r} does not exist; give a run directory such as runs/demo.")
    folder, meta, spec = read_model(path, checkpoint)
    kind = model_kind(spec)
    if not kind.generator:
        raise GanforgeError(f"{str(path)!r} is {kind.description}, not a generator; {kind.use}.")
    return build_model(folder, meta, spec, device)


def _checked_spec(meta, where: Path) -> dict:
    """The generator description of a model.json, checked like a request: it decides what gets built.

    A model.json may come from anywhere (a download, a hand edit), so its types,
    its sizes (``ganforge.limits``) and the parameter count of the network it
    describes (counted on the meta device, without memory) are checked first.
    Other kinds (``kind: translator``) are checked by their own loader.
    """
    from ganforge import limits
    from ganforge.nets import ARCHS, check_kwargs

    bad = lambda why: GanforgeError(f"{str(where)!r} is not a usable model description ({why}); "  # noqa: E731
                                    "it was not written by ganforge or was edited.")
    if not isinstance(meta, dict):
        raise bad(f"it holds a JSON {type(meta).__name__}, not an object")
    spec = meta.get("generator") if meta.get("generator") is not None else meta
    if not isinstance(spec, dict):
        raise bad("'generator' is not an object")
    kind = spec.get("kind") or "generator"
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise bad(f"unknown kind {kind!r}; known: {', '.join(MODEL_KINDS)}")
    if not MODEL_KINDS.get(kind).generator:
        return spec
    missing = [k for k in ("arch", "shape", "z_dim") if spec.get(k) is None]
    if missing:
        raise bad(f"missing {', '.join(missing)}")
    if not isinstance(spec["arch"], str) or not isinstance(spec["shape"], list) or len(spec["shape"]) not in (1, 3):
        raise bad(f"arch {spec['arch']!r} or shape {spec['shape']!r} has the wrong type")
    arch = ARCHS.get(spec["arch"])
    high = (limits.MAX_CHANNELS, limits.MAX_RESOLUTION, limits.MAX_RESOLUTION) if len(spec["shape"]) == 3 \
        else (limits.MAX_NET_WIDTH,)
    options = spec.get("g") if spec.get("g") is not None else {}
    check_kwargs(arch.generator, options, f"{where}: g")
    limits.check_net_options(arch.generator, options, f"{where}: g")
    checked = {**spec, "g": options,
               "shape": [limits.check_int(v, f"{where}: shape", 1, h) for v, h in zip(spec["shape"], high)],
               "z_dim": limits.check_int(spec["z_dim"], f"{where}: z_dim", 1, limits.MAX_Z_DIM)}
    if spec.get("conditioning"):
        checked["num_classes"] = limits.check_int(spec.get("num_classes"), f"{where}: num_classes", 1,
                                                  limits.MAX_CLASSES)
        if spec.get("embed_dim") is not None:
            limits.check_int(spec["embed_dim"], f"{where}: embed_dim", 1, limits.MAX_NET_WIDTH)
    names = meta.get("class_names")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise bad("class_names is not a list of names")
    try:
        limits.check_parameter_count(lambda: build_generator(checked), str(where))
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise bad(f"{exc.__class__.__name__}: {first_line(str(exc))}") from None
    return checked
