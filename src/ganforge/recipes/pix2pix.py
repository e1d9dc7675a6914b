"""pix2pix (Isola et al. 2017): a conditional GAN plus L1 for aligned pairs.

G = a translator (U-Net by default) from the source to the target domain; D =
a PatchGAN on the (source, image) pair stacked along channels, so D judges
whether the image fits *this* input, not only whether it looks real (the
conditioning FID misses, CycleGAN issue #730).

    D loss = 1/2 * loss.d(D(s, t), D(s, G(s)))        (the paper halves D's objective)
    G loss = adversarial_weight * loss.g(D(s, G(s))) + l1_weight * |G(s) - t|_1

with l1_weight = 100 (the paper's lambda).  ``adversarial_weight: 0`` gives the
"L1 only" baseline with the same net and schedule; D is then still trained
(it never reaches G) and its scores show how far L1-only outputs are from
real ones.  ``direction: BtoA`` translates B -> A instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.recipes.base import RECIPES
from ganforge.recipes.translation import TranslationRecipe

DIRECTIONS = ("AtoB", "BtoA")


@RECIPES.register("pix2pix")
class Pix2Pix(TranslationRecipe):
    """pix2pix (Isola et al. 2017): image-to-image cGAN + L1 on aligned pairs, PatchGAN D on (input, output)."""

    @dataclass
    class Options(TranslationRecipe.Options):
        l1_weight: float = 100.0  # lambda of the L1 term
        adversarial_weight: float = 1.0  # 0 = the L1-only baseline
        direction: str = "AtoB"  # AtoB | BtoA

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if opts.direction not in DIRECTIONS:
            raise GanforgeError(f"recipe.direction must be AtoB or BtoA, got {opts.direction!r}.")
        if opts.l1_weight < 0 or opts.adversarial_weight < 0:
            raise GanforgeError("recipe.l1_weight and recipe.adversarial_weight must be >= 0; the paper uses 100 and 1.")

    @property
    def directions(self) -> dict[str, str]:
        return {self.opts.direction: "G"}

    def build_networks(self) -> dict[str, nn.Module]:
        return {"G": self.translator(), "D": self.patch_discriminator(2 * self.channels)}

    def source_target(self, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch (B, 2C, H, W) -> (source, target) by ``recipe.direction``, each (B, C, H, W)."""
        a, b = self.pair(real)
        return (a, b) if self.opts.direction == "AtoB" else (b, a)

    def d_step(self, real: torch.Tensor, labels, step: int) -> dict[str, torch.Tensor]:
        source, target = self.source_target(real)
        with torch.no_grad():
            fake = self.G(source)
        real_logits = self.D(torch.cat([source, target], 1))
        fake_logits = self.D(torch.cat([source, fake], 1))
        return {"loss": 0.5 * self.loss.d_loss(real_logits, fake_logits),
                "real_score": real_logits.detach().float().mean(), "fake_score": fake_logits.detach().float().mean()}

    def g_step(self, real: torch.Tensor, labels, step: int) -> dict[str, torch.Tensor]:
        source, target = self.source_target(real)
        fake = self.G(source)
        adversarial = self.loss.g_loss(self.D(torch.cat([source, fake], 1)))
        l1 = (fake - target).abs().mean()
        loss = self.opts.adversarial_weight * adversarial + self.opts.l1_weight * l1
        return {"loss": loss, "adversarial": adversarial.detach(), "l1": l1.detach()}

    def preview_panels(self, G: nn.Module, a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
        source, target = (a, b) if self.opts.direction == "AtoB" else (b, a)
        return [source, G(source), target]
