"""WGAN (Arjovsky et al. 2017): a critic scored by the Wasserstein loss, kept Lipschitz by weight clipping.

The critic outputs an unbounded score (no sigmoid: the nets return raw
logits); its gap ``E D(x) - E D(G(z))`` estimates the Wasserstein-1 distance
up to a constant while every critic weight is clipped to ``[-clip, clip]``
(c = 0.01 in the paper) after each critic update.  The paper's training
settings live in the presets: RMSprop with lr 5e-5 for both nets and
``train.n_critic: 5`` (the paper's extra 100-critic-step warm-up phases are not
reproduced).

Everything of the ``gan`` recipe (DiffAugment, instance noise, R1) is inherited.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.errors import GanforgeError
from ganforge.recipes.base import RECIPES
from ganforge.recipes.gan import GAN
from ganforge.regularizers import clip_weights_


@RECIPES.register("wgan")
class WGAN(GAN):
    """Wasserstein loss + critic weight clipping after every critic step."""

    wasserstein, clips_weights = True, True

    @dataclass
    class Options(GAN.Options):
        loss: str = "wasserstein"
        clip: float = 0.01  # every critic parameter is clamped to [-clip, clip]

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if not opts.clip > 0:
            raise GanforgeError(f"recipe.clip must be positive, got {opts.clip}; the WGAN paper uses 0.01.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The reference code clamps before every critic step, so even the first one sees clipped weights.
        clip_weights_(self.D, self.opts.clip)

    def after_d_step(self) -> None:
        clip_weights_(self.D, self.opts.clip)
