"""The Python API: ``ganforge.train(...)`` and ``ganforge.load(path).sample(...)``."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ganforge.config import Config, load_config
from ganforge.data.base import to_uint8_images
from ganforge.errors import GanforgeError
from ganforge.nets import build_generator
from ganforge.training import checkpoint as ckpt


def train(config: Config | str, overrides: list[str] | None = None, name: str | None = None,
          resume: bool = False, overwrite: bool = False) -> Path:
    """Train a preset name, a YAML path or a :class:`Config`; returns the run directory."""
    from ganforge.training.trainer import train as run_training

    cfg = config if isinstance(config, Config) else load_config(config, overrides, name=name)
    return run_training(cfg, resume=resume, overwrite=overwrite)


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
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.z_dim, generator=generator)
        if truncation is None:
            return z
        from ganforge.art.latent import truncate

        return truncate(z, truncation, generator)

    @property
    def num_classes(self) -> int:
        """Number of classes a conditional model can make; 0 for unconditional models."""
        spec = self.meta.get("generator", {})
        return int(spec.get("num_classes", 0)) if spec.get("conditioning") else 0

    def class_index(self, label: int | str) -> int:
        """A class id or name -> id, with the valid ones listed on a mistake."""
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        if isinstance(label, str) and not label.lstrip("-").isdigit():
            if label not in names:
                raise GanforgeError(f"Unknown class {label!r}; valid classes: {', '.join(names)}.")
            return names.index(label)
        index = int(label)
        if not 0 <= index < self.num_classes:
            raise GanforgeError(f"Class id {index} is out of range; valid ids are 0-{self.num_classes - 1} "
                                f"({', '.join(f'{i}={n}' for i, n in enumerate(names))}).")
        return index

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
        """Write a model directory (model.json + model.safetensors with the G weights only)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = ckpt.flatten_modules({"G_ema": self.generator})
        save_file(tensors, str(path / ckpt.WEIGHTS))
        (path / ckpt.META).write_text(json.dumps(self.meta, indent=2))
        return path


def load(path: Path | str, checkpoint: str = "latest", device: str | torch.device = "cpu") -> GeneratorModel:
    """Load the generator of a run directory, a checkpoint directory or a saved model directory.

    The EMA weights are used when the run kept an EMA.  ``checkpoint`` is
    "latest", "best" or a checkpoint name like "step_000500".
    """
    path = Path(path)
    if not path.exists():
        raise GanforgeError(f"{str(path)!r} does not exist; give a run directory such as runs/demo.")
    folder = ckpt.find_checkpoint(path, checkpoint)
    meta = ckpt.load_meta(folder)
    weights = ckpt.load_weights(folder)
    spec = meta.get("generator") or {k: meta[k] for k in ("arch", "shape", "z_dim", "g")}
    generator = build_generator(spec)
    state = ckpt.unflatten(weights, "G_ema") or ckpt.unflatten(weights, "G")
    try:
        generator.load_state_dict(state)
    except RuntimeError as exc:
        raise GanforgeError(f"Weights in {str(folder)!r} do not fit the model it describes ({str(exc).splitlines()[0]}).") from None
    return GeneratorModel(generator, meta, folder).to(device)
