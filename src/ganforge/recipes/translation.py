"""What pix2pix and CycleGAN share: paired batches, translator nets, previews, the model description.

A batch x (B, 2C, H, W) holds domain A in channels [0, C) and domain B in
[C, 2C) (``data/paired.py``).  Translators come from
:data:`ganforge.nets.translation.TRANSLATORS` (``recipe.generator``, options
``recipe.g``), discriminators are PatchGANs (options ``recipe.d``).  The
``model`` section of the config is not used by these recipes: translators
have no latent and are not z -> image architectures.

Sample grids show, for a fixed set of training inputs, strips
(C, H, 3W) of input | translation | third panel (pix2pix: the target;
CycleGAN: the reconstruction), so a grid reads row by row.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ganforge.data.paired import random_crop_flip, split_pair
from ganforge.errors import GanforgeError
from ganforge.nets import check_kwargs
from ganforge.nets.patchgan import PatchDiscriminator
from ganforge.nets.translation import TRANSLATORS, build_translator
from ganforge.recipes.base import Recipe
from ganforge.recipes.gan import build_loss

PREVIEW_INPUTS = 256  # at most this many fixed inputs are kept for the sample grids
JITTER_FRACTION = 16  # augment: reflect-pad by size / 16 before the random crop (pix2pix: 256 -> 286 is ~1/18 a side)


class TranslationRecipe(Recipe):
    """Base of the image-to-image recipes; subclasses build their nets and define the two steps."""

    @dataclass
    class Options:
        generator: str = "unet"  # a registered translator: unet | resnet
        g: dict = field(default_factory=dict)  # translator options, e.g. {width: 32, upsample: resize}
        d: dict = field(default_factory=dict)  # PatchGAN options: width, n_layers, norm, spectral_norm
        loss: str = "nonsaturating"  # a registered GAN loss (losses.py)
        augment: bool = False  # random crop + horizontal flip, identical for A and B of a pair

    #: direction name -> the net that translates that way (written into model.json).
    directions: dict[str, str] = {}

    @classmethod
    def check_options(cls, opts) -> None:
        check_kwargs(TRANSLATORS.get(opts.generator), opts.g, "recipe.g")
        check_kwargs(PatchDiscriminator, opts.d, "recipe.d")
        build_loss(opts.loss, {})

    def __init__(self, cfg, shape, num_classes, device) -> None:
        if len(shape) != 3 or shape[0] % 2:
            raise GanforgeError(f"Recipe {cfg.recipe_name!r} translates images and needs paired data (A and B packed "
                                f"as channels), got samples of shape {tuple(shape)}; use data.source paired-folder, "
                                "unpaired-folders or a demo pair source (ganforge data list).")
        self.channels, self.size = shape[0] // 2, shape[1]
        super().__init__(cfg, shape, num_classes, device)
        self.loss = build_loss(self.opts.loss, {})
        self.preview_inputs: torch.Tensor | None = None

    # ------------------------------------------------------------------ nets

    def translator(self) -> nn.Module:
        return build_translator(self.opts.generator, self.channels, self.channels, self.size, dict(self.opts.g))

    def patch_discriminator(self, in_channels: int) -> nn.Module:
        return PatchDiscriminator(in_channels, **self.opts.d)

    def generator_spec(self) -> dict:
        """How to rebuild the translators without the data: read by ``ganforge.translate``."""
        return {"kind": "translator", "translator": self.opts.generator, "g": dict(self.opts.g),
                "channels": self.channels, "size": self.size, "directions": dict(self.directions)}

    # ------------------------------------------------------------ the batch

    def pair(self, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch x (B, 2C, H, W) -> (A, B), jittered identically when ``recipe.augment`` is on."""
        if self.opts.augment:
            real = random_crop_flip(real, max(1, self.size // JITTER_FRACTION))
        return split_pair(real)

    # ------------------------------------------------------------- previews

    def on_data(self, data) -> None:
        """Keep the first training pairs (model space, on the device) as the fixed preview inputs."""
        self.preview_inputs = data.to_model(data.x[:PREVIEW_INPUTS]).to(self.device)

    def generate(self, G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise GanforgeError("A translation model has no latent space to sample from; translate images with "
                            "`ganforge translate RUN IMAGES --out DIR` or model.translate(images).")

    def preview(self, G: nn.Module, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """len(z) strips (N, C, H, 3W) of input | G(input) | third panel for the fixed training inputs."""
        index = torch.arange(len(z), device=self.device) % len(self.preview_inputs)
        a, b = split_pair(self.preview_inputs[index])
        panels = self.preview_panels(G, a, b)
        return torch.cat(panels, dim=-1)

    @abstractmethod
    def preview_panels(self, G: nn.Module, a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
        """The panels of one preview strip, each (N, C, H, W), for inputs A and B (N, C, H, W)."""
