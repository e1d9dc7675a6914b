"""Sampling, grids, truncation, interpolation, animations and provenance."""

from ganforge.art.animate import save_animation, save_gif, save_mp4
from ganforge.art.grid import make_grid, save_image
from ganforge.art.latent import interpolate, latent_grid, lerp, slerp, truncate
from ganforge.art.provenance import read_provenance, regenerate_from_png, save_latent_grid, save_samples

__all__ = ["interpolate", "latent_grid", "lerp", "make_grid", "read_provenance", "regenerate_from_png",
           "save_animation", "save_gif", "save_image", "save_latent_grid", "save_mp4", "save_samples", "slerp",
           "truncate"]
