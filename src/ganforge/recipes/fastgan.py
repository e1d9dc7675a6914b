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
    """FastGAN with class labels: conditional batch norm in G, projection D, the reconstruction term on D's maps."""

    @dataclass
    class Options(FastGAN.Options, ProjectionGAN.Options):
        pass

    @classmethod
    def check_options(cls, opts) -> None:
        super().check_options(opts)
        probe = (3, 8, 8)  # any image shape: does the label change what the base D reads?
        if tuple(D_CONDITIONING.get(opts.d_conditioning).input_shape(probe, 2)) != probe:
            raise GanforgeError(f"Recipe fastgan-cond rebuilds the images D reads, which d_conditioning "
                                f"{opts.d_conditioning!r} widens with label channels; set recipe.d_conditioning=projection.")

    @property
    def reconstructor(self) -> torch.nn.Module:
        """The FastGAN discriminator inside the conditional wrapper: the decoders read its unconditional maps."""
        return self.D.net
