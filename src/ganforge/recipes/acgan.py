"""ACGAN (Odena et al. 2017): D also classifies, and both nets are trained to get the class right.

D has an unconditional real/fake head and an auxiliary classifier on the same
features.  D minimises adv + w * (CE(class(x_real), y) + CE(class(x_fake), y_fake));
G minimises adv_G + w * CE(class(G(z, y_fake)), y_fake).  G is conditioned
like ``cgan`` (label embedding joined to z by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.health.signals import d_signals
from ganforge.nets.conditional import D_CONDITIONING
from ganforge.recipes.base import RECIPES
from ganforge.recipes.conditional import ConditionalGAN


@RECIPES.register("acgan")
class ACGAN(ConditionalGAN):
    """Auxiliary-classifier GAN: a class head on D; G is rewarded for recognisable classes."""

    @dataclass
    class Options(ConditionalGAN.Options):
        d_conditioning: str = "acgan"
        aux_weight: float = 1.0  # weight of the classification losses

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if not D_CONDITIONING.get(opts.d_conditioning).classifies:
            heads = " or ".join(n for n in D_CONDITIONING.names() if D_CONDITIONING.get(n).classifies)
            raise GanforgeError(f"Recipe acgan needs recipe.d_conditioning={heads}, got {opts.d_conditioning!r}; "
                                "for other discriminators use recipe.name=cgan.")
        if opts.aux_weight < 0:
            raise GanforgeError(f"recipe.aux_weight must be >= 0, got {opts.aux_weight}.")

    def d_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        fake_labels = self.sample_labels(len(real), labels)
        with torch.no_grad():
            fake = self.generate(self.G, self.sample_z(len(real)), fake_labels)
        real_logits, real_classes = self.D.classify(self.seen(real, step))
        fake_logits, fake_classes = self.D.classify(self.seen(fake, step))
        aux = F.cross_entropy(real_classes, labels) + F.cross_entropy(fake_classes, fake_labels)
        loss = self.loss.d_loss(real_logits, fake_logits) + self.opts.aux_weight * aux
        return {"loss": loss, "aux": aux.detach(), "real_score": real_logits.detach().float().mean(),
                "fake_score": fake_logits.detach().float().mean(),
                "real_class_acc": (real_classes.argmax(1) == labels).float().mean(),
                **d_signals(real_logits, fake_logits, threshold=getattr(self.loss, "threshold", 0.0))}

    def g_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        fake_labels = self.sample_labels(len(real), labels)
        fake_logits, fake_classes = self.D.classify(self.seen(self.generate(self.G, self.sample_z(len(real)), fake_labels), step))
        aux = F.cross_entropy(fake_classes, fake_labels)
        return {"loss": self.loss.g_loss(fake_logits) + self.opts.aux_weight * aux, "aux": aux.detach()}
