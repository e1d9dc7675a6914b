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


def conditional_recipes() -> str:
    """"recipe acgan, cgan or projection": the registered recipes with ``conditional = True``, for error text."""
    import ganforge.recipes  # noqa: F401 -- registers every built-in recipe

    names = [n for n in RECIPES.names() if RECIPES.get(n).conditional]
    return "recipe " + (" or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names))


class Recipe(ABC):
    """Base class: declares the networks and their optimiser groups, and defines the two steps.

    The contract with the trainer (``training/trainer.py``; see docs/architecture.md):

    - ``nets``: every network by name, built by :meth:`build_networks`
      (default ``{"G": generator, "D": discriminator}``); each is checkpointed
      under its name.  ``self.G`` / ``self.D`` are shortcuts to ``nets["G"]`` / ``nets["D"]``.
    - ``optimized``: which nets each optimiser trains: group ``"d"`` is built
      from ``cfg.optim_d``, group ``"g"`` from ``cfg.optim_g``.  A recipe with
      four nets (CycleGAN) lists two in each group.
    - ``sampling_net``: the net whose EMA is kept and that samples come from.
    - :meth:`d_step` / :meth:`g_step` take a real batch x (B, *shape) in model
      space, labels y (B,) or None, and ``step``, the 0-based index of the G
      step being taken (0 .. train.steps - 1), and return a dict of scalar
      tensors whose ``"loss"`` is minimised; the other entries are logged.
    - :meth:`on_data` is called once with the training Dataset; :meth:`preview`
      renders what the sample grids show.

    Subclasses set ``Options`` (a dataclass of their settings).
    """

    @dataclass
    class Options:
        pass

    #: optimiser group -> names of the nets it trains ("d" uses cfg.optim_d, "g" cfg.optim_g).
    optimized: dict[str, tuple[str, ...]] = {"d": ("D",), "g": ("G",)}
    #: the net whose EMA is kept (train.ema_decay > 0) and that generates samples.
    sampling_net: str = "G"
    #: True for recipes whose generator takes class labels (generate --class, per-class grids).
    conditional: bool = False
    #: True when d_step/g_step do no host sync and no Python branching on data or on the step,
    #: so training/graphs.py may capture them in a CUDA graph (off unless a recipe says so).
    graph_safe: bool = False
    #: What the health checks know about the recipe's D (so remedies never suggest what it already does):
    #: a Wasserstein critic (unbounded scores, a strong critic intended), kept Lipschitz by weight
    #: clipping or by a gradient penalty.
    wasserstein: bool = False
    clips_weights: bool = False
    has_gradient_penalty: bool = False

    def __init__(self, cfg: Config, shape: tuple[int, ...], num_classes: int, device: torch.device) -> None:
        self.cfg = cfg
        self.opts = recipe_options(cfg)
        self.shape, self.num_classes, self.device = tuple(shape), num_classes, device
        self.z_dim = cfg.model.z_dim
        self.nets: dict[str, nn.Module] = {name: net.to(device) for name, net in self.build_networks().items()}

    # -- how the nets are built and called; conditional recipes override these

    def build_networks(self) -> dict[str, nn.Module]:
        """Every network of the recipe by name (default: G from :meth:`generator_spec`, D from the arch)."""
        return {"G": build_generator(self.generator_spec()),
                "D": self.build_discriminator(ARCHS.get(self.cfg.model.arch))}

    @property
    def G(self) -> nn.Module:
        return self.nets["G"]

    @property
    def D(self) -> nn.Module:
        return self.nets["D"]

    def generator_spec(self) -> dict:
        """Everything needed to rebuild G without the data (goes into model.json)."""
        m = self.cfg.model
        return {"arch": m.arch, "shape": list(self.shape), "z_dim": m.z_dim, "g": dict(m.g)}

    def build_discriminator(self, arch) -> nn.Module:
        """D for this data shape; with ``model.pack`` > 1 it judges packs of samples jointly (PacGAN)."""
        pack = self.cfg.model.pack
        if pack > 1:
            from ganforge.nn.packing import packed_discriminator

            return packed_discriminator(arch.discriminator, self.shape, dict(self.cfg.model.d), pack)
        return arch.discriminator(self.shape, **self.cfg.model.d)

    def on_data(self, data) -> None:
        """Called once with the training Dataset (e.g. to keep a fixed batch of inputs for previews)."""

    def generate(self, G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Samples from generator ``G`` (G itself or its EMA) for latents z (B, z_dim)."""
        return G(z)

    def preview(self, G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """What the sample grids show for the fixed latents z (N, z_dim): (N, *shape) in [-1, 1]."""
        return self.generate(G, z, labels)

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
    def d_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        """One D (critic) step's loss on a real batch: {"loss": scalar to backpropagate, ...logged scalars}."""

    @abstractmethod
    def g_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        """One G step's loss (``real`` for recipes that need it, e.g. feature matching): {"loss": ..., ...}."""

    def after_d_step(self) -> None:
        """Called after each D optimiser step (e.g. WGAN weight clipping)."""

    def after_g_step(self) -> None:
        """Called after each G optimiser step."""

    @classmethod
    def check_options(cls, opts) -> None:
        """Raise GanforgeError for option values that are wrong (names, ranges); called by config validation."""

    def state_dict(self) -> dict:
        """Extra recipe state for checkpoints (e.g. adaptive augmentation probability, an image pool)."""
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
