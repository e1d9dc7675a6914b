"""GAN variants, one file each, registered by name.

A recipe builds G and D and owns the maths of one discriminator step and one
generator step; the generic loop in ``training/trainer.py`` only calls
``d_step`` / ``g_step`` and does backward, accumulation, clipping and the
optimiser step.  Its options are the fields of its ``Options`` dataclass,
set in a config's ``recipe:`` section.
"""

from __future__ import annotations

from ganforge.recipes.base import RECIPES, Recipe, build_recipe, recipe_options

# Importing the modules registers the recipes.
from ganforge.recipes import gan, wgan, wgan_gp  # noqa: E402,F401
from ganforge.recipes import acgan, conditional  # noqa: E402,F401
from ganforge.recipes import cyclegan, pix2pix  # noqa: E402,F401
from ganforge.recipes import fastgan  # noqa: E402,F401

__all__ = ["RECIPES", "Recipe", "build_recipe", "recipe_options"]
