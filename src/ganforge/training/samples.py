"""Sample grids (images) and scatter plots (points) from the fixed latents, written during training."""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge.art.grid import make_grid, save_image
from ganforge.data import to_uint8_images
from ganforge.data.base import class_cycle
from ganforge.model import seeded_latents
from ganforge.training.plots import plot_points

POINTS_IN_SCATTER = 2000  # toy2d samples drawn for each scatter "grid"
CHUNK = 256  # latents per forward pass when rendering


def fixed_latents(seed: int, n: int, z_dim: int) -> torch.Tensor:
    """Latents (n, z_dim) that depend only on the seed (CPU generator: same on every device)."""
    return seeded_latents(seed, n, z_dim)[0]


@torch.no_grad()
def render(recipe, G: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None, device: torch.device) -> torch.Tensor:
    """The recipe's preview of latents z (N, z_dim) with G in eval mode -> float CPU (N, *shape)."""
    was_training = G.training
    G.eval()
    label_chunks = labels.split(CHUNK) if labels is not None else [None] * len(z.split(CHUNK))
    try:
        return torch.cat([recipe.preview(G, zc.to(device), yc if yc is None else yc.to(device)).float().cpu()
                          for zc, yc in zip(z.split(CHUNK), label_chunks)])
    finally:
        G.train(was_training)


def grid_tensor(samples: torch.Tensor, per_row: int | None) -> torch.Tensor:
    """Images (N, C, H, W) in [-1, 1] -> one uint8 RGB grid (H', W', 3), e.g. for TensorBoard."""
    import numpy as np

    grid = make_grid(to_uint8_images(samples), nrow=per_row)
    return torch.from_numpy(np.asarray(grid.convert("RGB")).copy())


def write_samples(samples: torch.Tensor, out: Path, meta: dict, real_points: torch.Tensor | None,
                  per_row: int | None) -> Path:
    """Images -> an upscaled PNG grid with provenance; points -> a scatter over ``real_points``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if samples.dim() == 4:
        grid = make_grid(to_uint8_images(samples), nrow=per_row)
        scale = max(1, 256 // grid.width + 1) if grid.width < 256 else 1
        save_image(grid, out, meta, scale=scale)
    else:
        plot_points(samples, real_points, out, title=f"{meta.get('run', '')} step {meta.get('step', '')}")
    return out


class RecipeSampler(torch.nn.Module):
    """z (B, z_dim) -> samples through the recipe, cycling classes for conditional models (for evaluation)."""

    def __init__(self, recipe, generator: torch.nn.Module, num_classes: int) -> None:
        super().__init__()
        self.recipe, self.generator, self.num_classes = recipe, generator, num_classes

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        labels = class_cycle(len(z), self.num_classes, z.device) if self.num_classes else None
        return self.recipe.generate(self.generator, z, labels)
