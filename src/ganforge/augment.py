"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for small-data GAN training.

D sees augmented reals *and* augmented fakes, in both the D and the G step,
so D cannot memorise a few hundred images while G still gets gradients
through the (differentiable) augmentation.  A policy is a comma-separated
list of groups, applied in order::

    color        brightness (+U[-0.5, 0.5]), saturation (x U[0, 2] around the
                 per-pixel channel mean), contrast (x U[0.5, 1.5] around the
                 per-image mean)
    translation  shift by up to 1/8 of the image size in x and y, zero fill
    cutout       zero a random square of half the image size

The paper's recommended policy is ``"color,translation,cutout"``.

Every op draws one random transform *per sample* (batched tensors, no Python
loop over images), runs on the images' device and is differentiable w.r.t.
the images.  Random numbers come from torch's global RNG on that device,
which the trainer saves in checkpoints, so a resumed run augments exactly as
an uninterrupted one.  Images are (B, C, H, W) with any C; on 1-channel
images saturation is the identity (the channel mean is the pixel itself) and
brightness / contrast work as usual.
"""

from __future__ import annotations

from typing import Callable

import torch

from ganforge.errors import GanforgeError
from ganforge.registry import Registry

#: op name -> fn(x (B, C, H, W)) -> x' (B, C, H, W)
AUGMENTS: Registry[Callable[[torch.Tensor], torch.Tensor]] = Registry("augmentation")


def _uniform(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """One U[low, high) number per sample, shaped (B, 1, 1, 1) to broadcast over an image."""
    return torch.rand(len(x), 1, 1, 1, device=x.device, dtype=x.dtype) * (high - low) + low


@AUGMENTS.register("brightness")
def brightness(x: torch.Tensor) -> torch.Tensor:
    """Add U[-0.5, 0.5] to every pixel of a sample (images in [-1, 1])."""
    return x + _uniform(x, -0.5, 0.5)


@AUGMENTS.register("saturation")
def saturation(x: torch.Tensor) -> torch.Tensor:
    """Scale each pixel's deviation from its channel mean by U[0, 2] (identity for 1 channel)."""
    mean = x.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    return (x - mean) * _uniform(x, 0.0, 2.0) + mean


@AUGMENTS.register("contrast")
def contrast(x: torch.Tensor) -> torch.Tensor:
    """Scale each sample's deviation from its mean over (C, H, W) by U[0.5, 1.5]."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return (x - mean) * _uniform(x, 0.5, 1.5) + mean


@AUGMENTS.register("translation")
def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each sample by a random whole number of pixels in [-ratio*size, ratio*size], filling with 0.

    Output pixel (i, j) reads input pixel (i + dy, j + dx), or 0 where that is
    outside the image: one ``gather`` over the flattened pixels, so the
    gradient flows to every pixel that stays in view.
    """
    B, C, H, W = x.shape
    max_dy, max_dx = int(H * ratio + 0.5), int(W * ratio + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (B, 1, 1), device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (B, 1, 1), device=x.device)
    rows = torch.arange(H, device=x.device).view(1, H, 1) + dy  # (B, H, 1) source row of each output row
    cols = torch.arange(W, device=x.device).view(1, 1, W) + dx  # (B, 1, W)
    inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)  # (B, H, W)
    source = rows.clamp(0, H - 1) * W + cols.clamp(0, W - 1)  # (B, H, W) flat index into H*W
    moved = x.flatten(2).gather(2, source.view(B, 1, H * W).expand(B, C, H * W)).view(B, C, H, W)
    return moved * inside.unsqueeze(1).to(x.dtype)


@AUGMENTS.register("cutout")
def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero a (ratio*H, ratio*W) square per sample, centred anywhere in the image (clipped at the border)."""
    B, _, H, W = x.shape
    size_h, size_w = int(H * ratio + 0.5), int(W * ratio + 0.5)
    # Centres uniform over the image (one extra position for even sizes, as in the paper's code).
    cy = torch.randint(0, H + (1 - size_h % 2), (B, 1, 1), device=x.device)
    cx = torch.randint(0, W + (1 - size_w % 2), (B, 1, 1), device=x.device)
    top, left = cy - size_h // 2, cx - size_w // 2  # (B, 1, 1)
    rows = torch.arange(H, device=x.device).view(1, H, 1)
    cols = torch.arange(W, device=x.device).view(1, 1, W)
    hole = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)  # (B, H, W)
    return x * (~hole).unsqueeze(1).to(x.dtype)


#: policy group -> ops, in order.
POLICY_GROUPS: dict[str, tuple[str, ...]] = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
}


def parse_policy(policy: str) -> list[str]:
    """``"color,translation"`` -> the op names to apply, in order; "" -> [].

    Group names (color, translation, cutout) and single op names
    (brightness, saturation, contrast) are both accepted; "colour" is "color".
    """
    ops: list[str] = []
    for part in (p.strip().lower() for p in str(policy).split(",")):
        if not part:
            continue
        part = "color" if part == "colour" else part
        if part in POLICY_GROUPS:
            ops.extend(POLICY_GROUPS[part])
        elif part in AUGMENTS:
            ops.append(part)
        else:
            valid = sorted(set(POLICY_GROUPS) | set(AUGMENTS.names()))
            raise GanforgeError(f"Unknown DiffAugment op {part!r} in policy {policy!r}; use a comma-separated list of: "
                                f"{', '.join(valid)} (e.g. recipe.diffaugment=color,translation,cutout).")
    return ops


def diff_augment(x: torch.Tensor, policy: str | list[str]) -> torch.Tensor:
    """Apply a DiffAugment policy to images (B, C, H, W); differentiable, a fresh transform per sample."""
    ops = parse_policy(policy) if isinstance(policy, str) else list(policy)
    if ops and x.dim() != 4:
        raise GanforgeError(f"DiffAugment works on images (B, C, H, W), got shape {tuple(x.shape)}; "
                            "remove recipe.diffaugment for point data.")
    for name in ops:
        x = AUGMENTS.get(name)(x)
    return x
