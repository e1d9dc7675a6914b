"""The recipe interface and its registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
import torch.nn as nn

from ganforge.config import Config, from_dict
from ganforge.errors import GanforgeError
from ganforge.nets import ARCHS, build_generator
from ganforge.registry import Registry

RECIPES: Registry[type["Recipe"]] = Registry("recipe")


class Recipe(ABC):
    """Base class: builds G and D from ``cfg.model`` and defines the two steps.

    Subclasses set ``Options`` (a dataclass of their settings) and implement
    ``d_step`` and ``g_step``.  Both take a real batch x (B, *shape) in model
    space and labels y (B,) or None, and return a dict of scalar tensors whose
    ``"loss"`` entry is minimised; the other entries are logged.
    """

    @dataclass
    class Options:
        pass

    def __init__(self, cfg: Config, shape: tuple[int, ...], num_classes: int, device: torch.device) -> None:
        self.cfg = cfg
        self.opts = recipe_options(cfg)
        self.shape, self.num_classes, self.device = tuple(shape), num_classes, device
        self.z_dim = cfg.model.z_dim
        self.G: nn.Module = build_generator(self.generator_spec()).to(device)
        self.D: nn.Module = self.build_discriminator(ARCHS.get(cfg.model.arch)).to(device)

    # -- how the nets are built and called; conditional recipes override these

    def generator_spec(self) -> dict:
        """Everything needed to rebuild G without the data (goes into model.json)."""
        m = self.cfg.model
        return {"arch": m.arch, "shape": list(self.shape), "z_dim": m.z_dim, "g": dict(m.g)}

    def build_discriminator(self, arch) -> nn.Module:
        return arch.discriminator(self.shape, **self.cfg.model.d)

    def generate(self, G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Samples from generator ``G`` (G itself or its EMA) for latents z (B, z_dim)."""
        return G(z)

    def sample_labels(self, n: int, real_labels: torch.Tensor | None) -> torch.Tensor | None:
        """Labels (n,) for a batch of fakes (None: unconditional)."""
        return None

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """D's logits (B,) for samples x and (for conditional recipes) their labels."""
        return self.D(x)

    def grid_labels(self, n: int) -> torch.Tensor | None:
        """Labels for the fixed sample grid (None: unconditional)."""
        return None

    #: (rank, world size): set by the trainer in multi-process runs.
    shard: tuple[int, int] = (0, 1)

    def sample_z(self, n: int) -> torch.Tensor:
        """Latents (n, z_dim) ~ N(0, I) from the device's global RNG (saved in checkpoints).

        In a run of W processes every rank draws the global (n * W, z_dim)
        block and keeps its slice, so W processes see the latents one would.
        """
        rank, world = self.shard
        z = torch.randn(n * world, self.z_dim, device=self.device)
        return z[rank * n : (rank + 1) * n] if world > 1 else z

    @abstractmethod
    def d_step(self, real: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One D (critic) step's loss on a real batch: {"loss": scalar to backpropagate, ...logged scalars}."""

    @abstractmethod
    def g_step(self, real: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One G step's loss (``real`` for recipes that need it, e.g. feature matching): {"loss": ..., ...}."""

    def after_d_step(self) -> None:
        """Called after each D optimiser step (e.g. WGAN weight clipping)."""

    def after_g_step(self) -> None:
        """Called after each G optimiser step."""

    @classmethod
    def check_options(cls, opts) -> None:
        """Raise GanforgeError for option values that are wrong (names, ranges); called by config validation."""

    def state_dict(self) -> dict:
        """Extra recipe state for checkpoints (e.g. adaptive augmentation probability)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def recipe_options(cfg: Config):
    """The recipe's ``Options`` built from ``cfg.recipe`` (unknown keys are an error)."""
    cls = RECIPES.get(cfg.recipe_name)
    opts = from_dict(cls.Options, cfg.recipe_options, where="recipe")
    cls.check_options(opts)
    return opts


def build_recipe(cfg: Config, shape: tuple[int, ...], num_classes: int, device: torch.device) -> Recipe:
    cls = RECIPES.get(cfg.recipe_name)
    try:
        return cls(cfg, shape, num_classes, device)
    except TypeError as exc:  # a constructor argument problem is a config problem
        raise GanforgeError(f"Could not build recipe {cfg.recipe_name!r} from the config: {exc}.") from None
