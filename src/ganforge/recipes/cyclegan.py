"""CycleGAN (Zhu et al. 2017): two translators and two PatchGANs for unpaired domains.

G_AB: A -> B and G_BA: B -> A; D_A judges A images, D_B judges B images.

    G loss = gan_weight * (loss.g(D_B(G_AB(a))) + loss.g(D_A(G_BA(b))))
             + cycle_weight * (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)
             + identity_weight * cycle_weight * (|G_BA(a) - a|_1 + |G_AB(b) - b|_1)
    D loss = loss.d(D_A(a), D_A(pool_A(G_BA(b)))) + loss.d(D_B(b), D_B(pool_B(G_AB(a))))

Defaults are the paper's: LSGAN, cycle lambda = 10, identity 0.5 * lambda
(the identity term keeps colours: without it early training often inverts
them, CycleGAN issue #249), 50-image history pools.  ganforge's ``lsgan`` G
loss is 1/2 E(D - 1)^2, half the authors' MSE, so ``gan_weight`` defaults to 2
to keep their balance against the cycle term.  D's fakes come from the
current G (no grad) through the pools; the pools are saved in checkpoints, so
resume is bit-identical.  The preview strip is a | G_AB(a) | G_BA(G_AB(a)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.recipes.base import RECIPES
from ganforge.recipes.image_pool import ImagePool
from ganforge.recipes.translation import TranslationRecipe


@RECIPES.register("cyclegan")
class CycleGAN(TranslationRecipe):
    """CycleGAN (Zhu et al. 2017): unpaired A <-> B, two translators + two PatchGANs, cycle and identity L1."""

    @dataclass
    class Options(TranslationRecipe.Options):
        generator: str = "resnet"
        loss: str = "lsgan"
        gan_weight: float = 2.0  # x lsgan's 1/2 E(D-1)^2 = the authors' E(D-1)^2
        cycle_weight: float = 10.0  # lambda
        identity_weight: float = 0.5  # times lambda; 0 = off
        pool_size: int = 50  # history of fakes shown to each D; 0 = off

    optimized = {"d": ("D_A", "D_B"), "g": ("G_AB", "G_BA")}
    sampling_net = "G_AB"
    directions = {"AtoB": "G_AB", "BtoA": "G_BA"}

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if min(opts.gan_weight, opts.cycle_weight, opts.identity_weight) < 0 or opts.pool_size < 0:
            raise GanforgeError("recipe.gan_weight, cycle_weight, identity_weight and pool_size must be >= 0; "
                                "the paper uses 1 (x2 for lsgan), 10, 0.5 and 50.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pools = {"A": ImagePool(self.opts.pool_size), "B": ImagePool(self.opts.pool_size)}

    def build_networks(self) -> dict[str, nn.Module]:
        return {"G_AB": self.translator(), "G_BA": self.translator(),
                "D_A": self.patch_discriminator(self.channels), "D_B": self.patch_discriminator(self.channels)}

    def d_step(self, real: torch.Tensor, labels, step: int) -> dict[str, torch.Tensor]:
        a, b = self.pair(real)
        with torch.no_grad():
            fake_b, fake_a = self.nets["G_AB"](a), self.nets["G_BA"](b)
        logits = {}
        for side, real_x, fake_x in (("A", a, fake_a), ("B", b, fake_b)):
            D = self.nets[f"D_{side}"]
            logits[side] = (D(real_x), D(self.pools[side].query(fake_x)))
        loss_a, loss_b = (self.loss.d_loss(*logits[side]) for side in "AB")
        return {"loss": loss_a + loss_b, "loss_A": loss_a.detach(), "loss_B": loss_b.detach(),
                "real_score": 0.5 * (logits["A"][0].mean() + logits["B"][0].mean()).detach(),
                "fake_score": 0.5 * (logits["A"][1].mean() + logits["B"][1].mean()).detach()}

    def g_step(self, real: torch.Tensor, labels, step: int) -> dict[str, torch.Tensor]:
        a, b = self.pair(real)
        G_AB, G_BA = self.nets["G_AB"], self.nets["G_BA"]
        fake_b, fake_a = G_AB(a), G_BA(b)
        adversarial = self.loss.g_loss(self.nets["D_B"](fake_b)) + self.loss.g_loss(self.nets["D_A"](fake_a))
        cycle = (G_BA(fake_b) - a).abs().mean() + (G_AB(fake_a) - b).abs().mean()
        loss = self.opts.gan_weight * adversarial + self.opts.cycle_weight * cycle
        logs = {"adversarial": adversarial.detach(), "cycle": cycle.detach()}
        if self.opts.identity_weight > 0:
            identity = (G_BA(a) - a).abs().mean() + (G_AB(b) - b).abs().mean()
            loss = loss + self.opts.identity_weight * self.opts.cycle_weight * identity
            logs["identity"] = identity.detach()
        return {"loss": loss, **logs}

    def preview_panels(self, G: nn.Module, a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
        G_BA = self.nets["G_BA"]
        was_training = G_BA.training
        G_BA.eval()  # like G: no dropout draws, so previews leave the training RNG alone
        try:
            fake_b = G(a)
            return [a, fake_b, G_BA(fake_b)]
        finally:
            G_BA.train(was_training)

    def state_dict(self) -> dict:
        return {f"pool_{side}": pool.state_dict() for side, pool in self.pools.items()}

    def load_state_dict(self, state: dict) -> None:
        for side, pool in self.pools.items():
            if f"pool_{side}" in state:
                pool.load_state_dict(state[f"pool_{side}"], self.device)
