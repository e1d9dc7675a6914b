"""Class-conditional GANs: ``cgan`` (Mirza & Osindero 2014) and ``projection`` (Miyato & Koyama 2018).

Both train like ``gan`` (any registered loss, DiffAugment, R1, instance
noise) with labels: D judges (x, y) pairs, G makes samples of the classes it
is asked for.  Fake labels are drawn uniformly over the classes.  They differ
only in how the label enters the nets (see ``nets/conditional.py``):

- ``cgan``: label embedding joined to z in G, one-hot label maps joined to
  D's input.
- ``projection``: conditional batch norm in G, projection discriminator
  (logit + <embed(y), features>), hinge loss by default.

The data source must be labelled (class sub-folders for ``folder``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ganforge.data.base import class_blocks
from ganforge.errors import GanforgeError
from ganforge.nets.conditional import D_CONDITIONING, G_CONDITIONING, ConditionalDiscriminator
from ganforge.recipes.base import RECIPES
from ganforge.recipes.gan import GAN


@RECIPES.register("cgan")
class ConditionalGAN(GAN):
    """Conditional GAN: G(z, y), D(x, y); generate any class on request."""

    conditional = True  # acgan and projection inherit it

    @dataclass
    class Options(GAN.Options):
        g_conditioning: str = "concat"  # concat (label embedding joined to z) | cbn (conditional batch norm)
        d_conditioning: str = "concat"  # concat (one-hot maps joined to the input) | projection | acgan
        embed_dim: int = 0  # size of G's label embedding for concat; 0 = min(z_dim, 50)

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        for field, registry in (("g_conditioning", G_CONDITIONING), ("d_conditioning", D_CONDITIONING)):
            if getattr(opts, field) not in registry:
                raise GanforgeError(f"recipe.{field}: {registry.unknown_message(getattr(opts, field))}")

    def __init__(self, cfg, shape, num_classes, device) -> None:
        if num_classes < 2:
            raise GanforgeError(f"Recipe {cfg.recipe_name!r} needs labelled data with at least 2 classes; "
                                f"data source {cfg.data.source!r} gave {num_classes}. Use a labelled source "
                                "(mnist, fashion-mnist, a folder with class sub-folders) or recipe.name=gan.")
        super().__init__(cfg, shape, num_classes, device)

    def generator_spec(self) -> dict:
        return {**super().generator_spec(), "num_classes": self.num_classes,
                "conditioning": self.opts.g_conditioning, "embed_dim": self.opts.embed_dim or None}

    def build_discriminator(self, arch) -> nn.Module:
        return ConditionalDiscriminator(arch.discriminator, self.shape, self.num_classes, self.opts.d_conditioning,
                                        **self.cfg.model.d)

    def sample_labels(self, n: int, real_labels: torch.Tensor | None) -> torch.Tensor:
        """Uniform fake labels (n,); in multi-process runs each rank keeps its slice of a global draw."""
        rank, world = self.shard
        labels = torch.randint(0, self.num_classes, (n * world,), device=self.device)
        return labels[rank * n : (rank + 1) * n]

    def generate(self, G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return G(z, labels)

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.D(x, labels)

    def grid_labels(self, n: int) -> torch.Tensor:
        """Each grid row one class: K rows of max(1, n // K) samples."""
        per_class = max(1, n // self.num_classes)
        return class_blocks(self.num_classes, per_class)


@RECIPES.register("projection")
class ProjectionGAN(ConditionalGAN):
    """Projection discriminator + conditional batch norm in G, hinge loss (Miyato & Koyama 2018)."""

    @dataclass
    class Options(ConditionalGAN.Options):
        loss: str = "hinge"
        g_conditioning: str = "cbn"
        d_conditioning: str = "projection"
