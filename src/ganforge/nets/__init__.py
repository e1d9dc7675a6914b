"""Architectures, one file each, registered by name as a (generator, discriminator) pair.

A generator is built as ``G(shape, z_dim, **model.g)`` and maps z (B, z_dim)
to samples (B, *shape); a discriminator ``D(shape, **model.d)`` maps samples
(B, *shape) to logits (B,).  ``shape`` is (C, H, W) for images or (D,) for
points.  Every discriminator also exposes ``features(x) -> (B, feature_dim)``
and ``head`` (features -> one logit), which conditional variants build on
(``nets/conditional.py``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.registry import Registry


@dataclass(frozen=True)
class Arch:
    generator: type[nn.Module]
    discriminator: type[nn.Module]


ARCHS: Registry[Arch] = Registry("architecture")


def register_arch(name: str, generator: type[nn.Module], discriminator: type[nn.Module]) -> None:
    ARCHS.register(name)(Arch(generator, discriminator))


def options_of(cls: type) -> list[str]:
    """Keyword options a net accepts beyond the positional shape / z_dim."""
    params = inspect.signature(cls.__init__).parameters
    return [n for n, p in params.items() if p.kind == p.KEYWORD_ONLY]


def check_kwargs(cls: type, kwargs: dict, where: str) -> None:
    """Reject unknown network options with the list of valid ones."""
    if not isinstance(kwargs, dict):
        raise GanforgeError(f"{where} must be a mapping of options, got {kwargs!r}.")
    valid = options_of(cls)
    for key in kwargs:
        if key not in valid:
            raise GanforgeError(f"Unknown option {where}.{key} for {cls.__name__}; valid options: {', '.join(valid)}.")


# Importing the modules registers the architectures.
from ganforge.nets import dcgan, mlp, resnet  # noqa: E402,F401
from ganforge.nets import fastgan  # noqa: E402,F401
from ganforge.nets import resnet_translator, unet  # noqa: E402,F401  (register TRANSLATORS; nets/translation.py)


def build_generator(spec: dict) -> nn.Module:
    """Rebuild a generator from its self-description (stored as "generator" in model.json).

    spec: {"arch", "shape", "z_dim", "g": kwargs} plus, for class-conditional
    models, {"num_classes", "conditioning", "embed_dim"}.
    """
    from ganforge.nets.conditional import ConditionalGenerator

    arch = ARCHS.get(spec["arch"])
    shape, z_dim, kwargs = tuple(spec["shape"]), int(spec["z_dim"]), dict(spec.get("g", {}))
    if spec.get("conditioning"):
        return ConditionalGenerator(arch.generator, shape, z_dim, int(spec["num_classes"]), spec["conditioning"],
                                    spec.get("embed_dim") or None, **kwargs)
    return arch.generator(shape, z_dim, **kwargs)

