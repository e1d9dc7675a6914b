"""Which recipes may be captured in a CUDA graph (``Recipe.graph_safe``, read by training/graphs.py).

A recipe is graph-safe only when its steps do no host work that changes from step
to step: the image pool (CycleGAN), crops drawn on the host (pix2pix), FastGAN's
quadrant and instance noise whose std follows the step all rule it out.
"""

import pytest

from ganforge.recipes import RECIPES
from ganforge.training.trainer import Trainer

from .test_every_recipe import tiny_config

NOT_SAFE = {"cyclegan", "pix2pix", "fastgan", "fastgan-cond"}


@pytest.mark.parametrize("recipe", RECIPES.names())
def test_every_recipe_declares_whether_it_is_graph_safe(recipe, tmp_path, tiny):
    safe = Trainer(tiny_config(recipe, tmp_path, tiny)).recipe.graph_safe
    assert isinstance(safe, bool)
    assert safe == (recipe not in NOT_SAFE)


def test_instance_noise_makes_a_gan_unsafe(tmp_path, tiny):
    cfg = tiny_config("gan", tmp_path, tiny)
    cfg.recipe["instance_noise"] = 0.1
    assert Trainer(cfg).recipe.graph_safe is False
