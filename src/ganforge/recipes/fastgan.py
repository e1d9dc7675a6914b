"""FastGAN (Liu et al. 2021): the GAN recipe plus the self-supervised reconstruction loss of D.

On every D step the discriminator also rebuilds the real images it saw
(after DiffAugment) from its own feature maps: the whole image at half
resolution from the 8x8 map, and one random quadrant (the same for the
batch) from the matching quarter of the 16x16 map (``nets/fastgan.py``).
The D loss adds ``recon_weight * (L1(whole) + L1(quadrant))``.  The paper
uses LPIPS, whose weights would have to be downloaded; an L1 keeps the
regulariser's purpose -- D's features must describe the image, so D cannot
win by memorising a few thousand images -- with no outside weights.

Defaults follow the paper: hinge loss, DiffAugment "color,translation".
Everything else (R1, instance noise, other losses) is inherited from
``recipes/gan.py``.  Needs ``model.arch: fastgan`` (a D with ``reconstruct``).

``fastgan-cond`` is the same with class labels (``generate --class``):
conditional batch norm in G and a projection D (Miyato & Koyama 2018, as the
``projection`` recipe), the decoders reading the wrapped D's own maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.nets.conditional import D_CONDITIONING
from ganforge.nets.fastgan import reconstruction_targets
from ganforge.recipes.base import RECIPES
from ganforge.recipes.conditional import ProjectionGAN
from ganforge.recipes.gan import GAN


@RECIPES.register("fastgan")
class FastGAN(GAN):
    """GAN with FastGAN's reconstruction term on D (hinge loss and DiffAugment by default)."""

    graph_safe = False  # the reconstructed quadrant is drawn on the host each step

    @dataclass
    class Options(GAN.Options):
        loss: str = "hinge"
        diffaugment: str = "color,translation"
        recon_weight: float = 1.0  # weight of the L1 reconstruction term in the D loss
        recon_batch: int = 0  # reals per D step the decoders rebuild (a cheaper pass); 0 = the whole batch

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if opts.recon_weight < 0 or opts.recon_batch < 0:
            raise GanforgeError(f"recipe.recon_weight and recipe.recon_batch must be >= 0, got {opts.recon_weight} "
                                f"and {opts.recon_batch}; try recon_weight 1 and recon_batch 0 (the whole batch).")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not hasattr(self.reconstructor, "reconstruct"):
            raise GanforgeError(f"Recipe fastgan needs a discriminator with reconstruction decoders, which "
                                f"model.arch={self.cfg.model.arch!r} lacks; set model.arch=fastgan.")

    @property
    def reconstructor(self) -> torch.nn.Module:
        """The FastGAN discriminator whose decoders rebuild the reals (D itself here)."""
        return self.D

    def d_penalties(self, real: torch.Tensor, real_seen: torch.Tensor, fake_seen: torch.Tensor,
                    real_logits: torch.Tensor) -> dict[str, tuple[float, torch.Tensor]]:
        terms = super().d_penalties(real, real_seen, fake_seen, real_logits)
        if self.opts.recon_weight > 0:
            terms["recon"] = (self.opts.recon_weight, self.reconstruction_loss(real_seen))
        return terms

    def reconstruction_loss(self, seen: torch.Tensor) -> torch.Tensor:
        """L1 of D's two reconstructions of the reals it saw, seen (B, C, H, W) -> scalar.

        A separate D pass over (up to ``recon_batch``) reals: the logits pass
        of ``d_step`` stays the parent's.  The quadrant is drawn from the CPU
        generator (saved in checkpoints, and no device sync).
        """
        x = seen.detach()
        if self.opts.recon_batch:
            x = x[: self.opts.recon_batch]
        part = int(torch.randint(4, (1,)))
        _, whole, piece = self.reconstructor.reconstruct(x, part)
        whole_target, piece_target = reconstruction_targets(x, part)
        return F.l1_loss(whole.float(), whole_target.float()) + F.l1_loss(piece.float(), piece_target.float())


@RECIPES.register("fastgan-cond")
class ConditionalFastGAN(FastGAN, ProjectionGAN):
    """FastGAN with class labels: conditional batch norm in G, projection D, the reconstruction term on D's maps.

    Two options aim to make G follow the label sooner on imbalanced labels
    (emoji: 59 % people-body, 2 % activities):

    - ``class_weight`` > 0: a linear group classifier on D's features.  D
      learns it on the reals it sees (cross-entropy); G is also rewarded
      for fakes that classifier names as the requested group.  The class
      signal is in both losses from the first step; the projection term
      alone had not tied groups to pictures after 684 steps (class
      accuracy at chance; weight 3: 0.17, with a worse FID, BENCHMARKS.md).
      (Reals only, not fakes as in ACGAN: a classifier of fakes teaches G
      nothing about what the groups look like.)  Costs one more D pass over
      the reals and one over the fakes per step.
    - ``data_labels``: the fakes' labels are a shuffle of the real batch's
      labels, so D sees every group as often among fakes as among reals
      and cannot score a picture by its label's frequency alone (not yet
      measured).
    """

    @dataclass
    class Options(FastGAN.Options, ProjectionGAN.Options):
        class_weight: float = 0.0  # weight of the auxiliary group classifier's losses; 0 = off
        data_labels: bool = False  # fake labels: a shuffle of the real batch's labels (else uniform over the groups)

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        if opts.class_weight < 0:
            raise GanforgeError(f"recipe.class_weight must be >= 0 (0 turns the group classifier off), "
                                f"got {opts.class_weight}; try 1.")
        probe = (3, 8, 8)  # any image shape: does the label change what the base D reads?
        if tuple(D_CONDITIONING.get(opts.d_conditioning).input_shape(probe, 2)) != probe:
            raise GanforgeError(f"Recipe fastgan-cond rebuilds the images D reads, which d_conditioning "
                                f"{opts.d_conditioning!r} widens with label channels; set recipe.d_conditioning=projection.")

    @property
    def reconstructor(self) -> torch.nn.Module:
        """The FastGAN discriminator inside the conditional wrapper: the decoders read its unconditional maps."""
        return self.D.net

    def build_discriminator(self, arch) -> torch.nn.Module:
        D = super().build_discriminator(arch)
        if self.opts.class_weight > 0:  # read by ConditionalDiscriminator.classify: (B, feature_dim) -> (B, K)
            D.classifier = torch.nn.Linear(D.net.feature_dim, self.num_classes)
        return D

    def sample_labels(self, n: int, real_labels: torch.Tensor | None) -> torch.Tensor:
        """Fake labels (n,): uniform, or with ``data_labels`` a shuffle of the real batch's labels (n,)."""
        if not self.opts.data_labels or real_labels is None:
            return super().sample_labels(n, real_labels)
        return real_labels[torch.randperm(len(real_labels), device=real_labels.device)][:n]

    def class_loss(self, seen: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of D's group classifier on images as D sees them (B, C, H, W) against labels (B,)."""
        return F.cross_entropy(self.D.classify(seen)[1].float(), labels)

    def d_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        logs = super().d_step(real, labels, step)
        if self.opts.class_weight > 0:
            ce = self.class_loss(self.seen(real, step), labels)
            logs["loss"], logs["class"] = logs["loss"] + self.opts.class_weight * ce, ce.detach()
        return logs

    def g_step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        if self.opts.class_weight == 0:
            return super().g_step(real, labels, step)
        fake_labels = self.sample_labels(len(real), labels)
        fake_seen = self.seen(self.generate(self.G, self.sample_z(len(real)), fake_labels), step)
        ce = self.class_loss(fake_seen, fake_labels)
        adv = self.loss.g_loss(self.discriminate(fake_seen, fake_labels))
        return {"loss": adv + self.opts.class_weight * ce, "class": ce.detach()}
