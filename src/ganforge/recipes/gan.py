"""The standard GAN: one loss from ``losses.py``, plus optional stabilisers.

With ``loss: minimax`` it is Goodfellow et al. 2014 as written, with
``nonsaturating`` (the default) the variant every later paper trains with;
``lsgan`` / ``hinge`` / ``wasserstein`` plug in the same way.

Stabilisers, all off by default (recipes derived from this one inherit them):

- ``r1_gamma``: the R1 penalty (Mescheder et al. 2018) on real samples; the D
  loss gets ``r1_gamma / 2 * E||grad_x D(x)||^2``.  The gradient is taken
  w.r.t. the real images *before* augmentation / noise (as StyleGAN2-ADA does).
- ``diffaugment``: DiffAugment (Zhao et al. 2020), a policy such as
  ``"color,translation,cutout"``; D sees augmented reals and fakes in both the
  D and the G step (images only).
- ``instance_noise``: Gaussian noise of this std added to everything D sees
  (reals and fakes, D and G steps; Sønderby et al. 2017, Arjovsky & Bottou
  2017), annealed linearly to 0 at ``train.steps``; the level follows the
  step the trainer passes to each step, so a resumed run uses the same noise.

What D sees is ``D(seen(x))`` with ``seen`` = augment, then add noise.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import torch

from ganforge.augment import diff_augment, parse_policy
from ganforge.errors import GanforgeError
from ganforge.health.signals import d_signals
from ganforge.losses import LOSSES
from ganforge.recipes.base import RECIPES, Recipe
from ganforge.regularizers import r1_penalty


def build_loss(name: str, args: dict):
    """A loss object from its registered name and options, with a clear error on bad options."""
    cls = LOSSES.get(name)
    valid = list(inspect.signature(cls).parameters)
    for key in args:
        if key not in valid:
            raise GanforgeError(f"Loss {name!r} has no option {key!r}; valid options: {', '.join(valid) or 'none'}.")
    return cls(**args)


@RECIPES.register("gan")
class GAN(Recipe):
    """Alternating D and G updates with a registered loss."""

    @dataclass
    class Options:
        loss: str = "nonsaturating"
        loss_args: dict = field(default_factory=dict)  # e.g. {real_label: 0.9} for one-sided label smoothing
        r1_gamma: float = 0.0  # R1 weight gamma: D loss += gamma / 2 * E||grad_x D(x)||^2 on reals; 0 = off
        diffaugment: str = ""  # DiffAugment policy, e.g. "color,translation,cutout"; "" = off
        instance_noise: float = 0.0  # std of noise on D's inputs at the first step, annealed to 0; 0 = off

    @classmethod
    def check_options(cls, opts) -> None:
        build_loss(opts.loss, opts.loss_args)
        if opts.r1_gamma < 0:
            raise GanforgeError(f"recipe.r1_gamma must be >= 0 (0 turns R1 off), got {opts.r1_gamma}; try 10.")
        if opts.instance_noise < 0:
            raise GanforgeError(f"recipe.instance_noise must be >= 0 (0 turns it off), got {opts.instance_noise}; try 0.1.")
        parse_policy(opts.diffaugment)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.loss = build_loss(self.opts.loss, self.opts.loss_args)
        self.augment_ops = parse_policy(self.opts.diffaugment)
        if self.augment_ops and len(self.shape) != 3:
            raise GanforgeError(f"recipe.diffaugment works on images, but this data has samples of shape {self.shape}; "
                                "remove recipe.diffaugment (or set it to \"\").")

    @property
    def graph_safe(self) -> bool:
        """Capturable in a CUDA graph unless instance noise is on (its std follows the step on the host)."""
        return self.opts.instance_noise == 0

    # ------------------------------------------------------------ what D sees

    def noise_std(self, step: int) -> float:
        """Instance-noise std at G step ``step``: ``instance_noise`` at 0, linearly down to 0 at ``train.steps``."""
        progress = step / max(self.cfg.train.steps, 1)
        return self.opts.instance_noise * max(0.0, 1.0 - progress)

    def seen(self, x: torch.Tensor, step: int) -> torch.Tensor:
        """Samples as D sees them at G step ``step``: DiffAugment (if set), then instance noise (if set); differentiable."""
        if self.augment_ops:
            x = diff_augment(x, self.augment_ops)
        std = self.noise_std(step)
        if std > 0:
            x = x + std * torch.randn_like(x)
        return x

    def d_penalties(self, real: torch.Tensor, real_seen: torch.Tensor, fake_seen: torch.Tensor,
                    real_logits: torch.Tensor) -> dict[str, tuple[float, torch.Tensor]]:
        """Regularisers of the D loss as {log name: (weight, unweighted scalar)}; the D loss adds weight * value.

        ``real`` requires grad when ``r1_gamma`` > 0 and ``real_logits`` =
        D(real_seen) was computed from it.  Subclasses extend the dict.
        """
        terms = {}
        if self.opts.r1_gamma > 0:
            terms["r1"] = (self.opts.r1_gamma / 2, r1_penalty(real_logits, real))
        return terms

    # ------------------------------------------------------------------ steps

    def d_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        fake_labels = self.sample_labels(len(real), labels)  # None unless conditional
        with torch.no_grad():
            fake = self.generate(self.G, self.sample_z(len(real)), fake_labels)
        if self.opts.r1_gamma > 0:
            real = real.detach().requires_grad_(True)  # R1 differentiates D w.r.t. the real images
        real_seen, fake_seen = self.seen(real, step), self.seen(fake, step)
        real_logits, fake_logits = self.discriminate(real_seen, labels), self.discriminate(fake_seen, fake_labels)
        loss = self.loss.d_loss(real_logits, fake_logits)
        logs = {
            "real_score": real_logits.detach().float().mean(),
            "fake_score": fake_logits.detach().float().mean(),
            # D's accuracies and ADA's r_t for the health monitor: device tensors, no host sync.
            **d_signals(real_logits, fake_logits, threshold=getattr(self.loss, "threshold", 0.0)),
        }
        for name, (weight, value) in self.d_penalties(real, real_seen, fake_seen, real_logits).items():
            loss = loss + weight * value
            logs[name] = value.detach().float()
        if self.opts.instance_noise > 0:
            logs["noise_std"] = torch.tensor(self.noise_std(step), device=real.device)
        return {"loss": loss, **logs}

    def g_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        fake_labels = self.sample_labels(len(real), labels)
        fake = self.generate(self.G, self.sample_z(len(real)), fake_labels)
        return {"loss": self.loss.g_loss(self.discriminate(self.seen(fake, step), fake_labels))}
