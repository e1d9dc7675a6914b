"""WGAN-GP (Gulrajani et al. 2017): the Wasserstein critic kept 1-Lipschitz by a gradient penalty.

D loss = ``E D(G(z)) - E D(x) + gp_lambda * E_xhat (||grad D(xhat)||_2 - 1)^2``
on random interpolates xhat between real and fake samples
(:func:`ganforge.regularizers.gradient_penalty`, any sample shape: points
(B, D) and images (B, C, H, W)).  With DiffAugment or instance noise on, the
interpolates are taken between the samples as D sees them.

The penalty is per sample, so the critic must not use batch norm (it makes
each score depend on the rest of the batch): the recipe refuses such a critic;
use ``model.d.norm: layer`` (or ``none``).  The paper's settings live in the
presets: Adam(lr 1e-4, betas 0, 0.9), ``train.n_critic: 5``, lambda 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn.modules.batchnorm import _BatchNorm

from ganforge.errors import GanforgeError
from ganforge.recipes.base import RECIPES
from ganforge.recipes.gan import GAN
from ganforge.regularizers import gradient_penalty


@RECIPES.register("wgan-gp")
class WGANGP(GAN):
    """Wasserstein loss + gradient penalty on real/fake interpolates."""

    wasserstein, has_gradient_penalty = True, True

    @dataclass
    class Options(GAN.Options):
        loss: str = "wasserstein"
        gp_lambda: float = 10.0  # weight of the gradient penalty

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if opts.gp_lambda < 0:
            raise GanforgeError(f"recipe.gp_lambda must be >= 0, got {opts.gp_lambda}; the WGAN-GP paper uses 10.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        batch_norms = [name or "D" for name, m in self.D.named_modules() if isinstance(m, _BatchNorm)]
        if batch_norms:
            raise GanforgeError(
                f"WGAN-GP's critic must not use batch norm (found it at D.{batch_norms[0]}): the gradient penalty is "
                "per sample and batch statistics mix the samples; set model.d.norm=layer (or none).")

    def d_penalties(self, real: torch.Tensor, real_seen: torch.Tensor, fake_seen: torch.Tensor,
                    real_logits: torch.Tensor) -> dict[str, tuple[float, torch.Tensor]]:
        terms = super().d_penalties(real, real_seen, fake_seen, real_logits)
        terms["gp"] = (self.opts.gp_lambda, gradient_penalty(self.D, real_seen, fake_seen))
        return terms
