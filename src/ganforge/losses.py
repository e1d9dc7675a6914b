"""GAN losses as small pure functions on discriminator outputs (logits).

Each loss is a class registered by name holding its few options, with two
methods: ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``,
both taking (B,) or (B, 1) tensors of raw D outputs and returning a scalar to
*minimise*.  Recipes pick one with ``LOSSES.get(name)(**options)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganforge.registry import Registry

LOSSES: Registry = Registry("loss")


class Loss:
    """What the health checks know about a loss, declared by each registered one.

    ``saturating``: G's loss flattens out when D wins (the minimax G loss), so
    G stops learning exactly when it most needs to; ``wasserstein``: D is a
    critic with unbounded scores and no real/fake threshold.  A loss with a
    ``real_label`` option supports one-sided label smoothing.
    """

    saturating = False
    wasserstein = False


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Mean binary cross-entropy of sigmoid(logits) against a constant target."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


@LOSSES.register("minimax")
@dataclass
class MinimaxLoss(Loss):
    """Goodfellow et al. 2014, as written: G minimises log(1 - D(G(z))).

    D maximises log D(x) + log(1 - D(G(z))), i.e. minimises the BCE with real=1
    (or ``real_label`` < 1 for one-sided label smoothing, Salimans et al. 2016)
    and fake=0.  The G loss saturates when D wins early: its gradient vanishes
    exactly when G most needs it, which is why ``nonsaturating`` is the default.
    """

    saturating = True
    real_label: float = 1.0

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return _bce(real_logits, self.real_label) + _bce(fake_logits, 0.0)

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        # log(1 - sigmoid(l)) = -softplus(l); minimising it = minimising -BCE(l, 0).
        return -F.softplus(fake_logits).mean()


@LOSSES.register("nonsaturating")
@dataclass
class NonSaturatingLoss(MinimaxLoss):
    """The same D loss; G maximises log D(G(z)) instead (strong gradients early on)."""

    saturating = False

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return _bce(fake_logits, 1.0)


@LOSSES.register("wasserstein")
@dataclass
class WassersteinLoss(Loss):
    """WGAN (Arjovsky et al. 2017): the critic's score gap estimates W1.

    Only meaningful with a Lipschitz constraint (weight clipping, gradient
    penalty or spectral norm), which the recipe adds.
    """

    wasserstein = True

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return fake_logits.mean() - real_logits.mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


@LOSSES.register("lsgan")
@dataclass
class LeastSquaresLoss(Loss):
    """LSGAN (Mao et al. 2017): D regresses real -> b, fake -> a; G pushes fakes -> c.

    The paper's factor 1/2 is kept.  a=0, b=1, c=1 is the common 0-1 coding;
    a=-1, b=1, c=0 minimises the Pearson chi^2 divergence.
    """

    a: float = 0.0
    b: float = 1.0
    c: float = 1.0

    @property
    def threshold(self) -> float:
        """D's output halfway between the fake and real targets: where "says real" begins."""
        return (self.a + self.b) / 2

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real_logits - self.b) ** 2).mean() + 0.5 * ((fake_logits - self.a) ** 2).mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake_logits - self.c) ** 2).mean()


@LOSSES.register("hinge")
@dataclass
class HingeLoss(Loss):
    """Hinge loss (Lim & Ye 2017; SNGAN, Miyato et al. 2018; BigGAN).

    D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G: -E[D(G(z))].
    """

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()
