"""Image-to-image networks (pix2pix, CycleGAN): a registry of their generators.

They do not fit :data:`ganforge.nets.ARCHS`: an ARCHS generator is built as
``G(shape, z_dim)`` and maps latents z (B, z_dim) to samples, while a
translator maps an image (B, C_in, H, W) to an image (B, C_out, H, W) and has
no latent at all.  So translators get their own registry, built as
``TRANSLATORS.get(name)(in_channels, out_channels, size, **options)``; the
PatchGAN discriminator (``nets/patchgan.py``) is shared by every translator.

Modules: ``nets/unet.py`` ("unet") and ``nets/resnet_translator.py`` ("resnet").
"""

from __future__ import annotations

import torch.nn as nn

from ganforge.nets import check_kwargs
from ganforge.registry import Registry

TRANSLATORS: Registry[type[nn.Module]] = Registry("translator network")

#: how a decoder doubles resolution, (in, out) -> layer (B, in, H, W) -> (B, out, 2H, 2W): nearest upsample +
#: 3x3 conv (Odena et al. 2016; avoids the checkerboard artifacts of CycleGAN issues #190, #64), or ConvTranspose2d.
UPSAMPLES = {
    "resize": lambda c_in, c_out: nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                                nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="reflect")),
    "transpose": lambda c_in, c_out: nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1),
}


def upsample_conv(in_channels: int, out_channels: int, mode: str) -> nn.Module:
    """A x2 upsampling layer (B, in, H, W) -> (B, out, 2H, 2W) by ``mode`` (a key of UPSAMPLES)."""
    return UPSAMPLES[mode](in_channels, out_channels)


def build_translator(name: str, in_channels: int, out_channels: int, size: int, options: dict) -> nn.Module:
    """A registered translator with its options checked (unknown keys list the valid ones)."""
    cls = TRANSLATORS.get(name)
    check_kwargs(cls, options, "recipe.g")
    return cls(in_channels, out_channels, size, **options)
