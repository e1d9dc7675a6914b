"""One test over the whole recipe registry: every recipe trains 2 steps and its G reloads.

A new recipe file is covered with no new test code: it trains on the small
preset mapped to it below, or on the toy2d points preset by default.
"""

import pytest
import torch
import yaml

import ganforge
from ganforge.config import load_config, preset_dict
from ganforge.recipes import RECIPES
from ganforge.training.trainer import Trainer

DEFAULT_PRESET = "toy2d-gan"
#: recipe -> a small preset that uses it with its paper settings (else DEFAULT_PRESET with recipe.name set).
PRESET_FOR = {"wgan": "toy2d-ring8-wgan", "wgan-gp": "toy2d-ring8-wgan-gp", "gan": "toy2d-grid25-gan"}
#: recipe -> extra overrides its nets need on the default preset.
OVERRIDES_FOR = {"projection": ["model.g.norm=batch"]}  # conditional batch norm replaces G's batch norms

TINY_POINTS = [
    "data.limit=256", "model.g.hidden=[16, 16]", "model.d.hidden=[16, 16]", "train.batch_size=32",
    "train.steps=2", "train.n_critic=2", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
    "train.progress=false", "train.device=cpu",
]


def tiny_config(recipe: str, tmp_path):
    preset = PRESET_FOR.get(recipe, DEFAULT_PRESET)
    values = preset_dict(preset)
    if values.get("recipe", {}).get("name") != recipe:
        values["recipe"] = {"name": recipe}  # the recipe's own defaults
    path = tmp_path / f"{recipe}.yaml"
    path.write_text(yaml.safe_dump(values))
    cfg = load_config(str(path), TINY_POINTS + OVERRIDES_FOR.get(recipe, []), name=f"tiny-{recipe}")
    cfg.out_dir = str(tmp_path / "runs")
    return cfg


@pytest.mark.parametrize("recipe", RECIPES.names())
def test_every_recipe_trains_and_its_generator_reloads(recipe, tmp_path):
    run = Trainer(tiny_config(recipe, tmp_path)).fit()
    first, second = ganforge.load(run).sample(4, seed=0), ganforge.load(run).sample(4, seed=0)
    assert first.shape[0] == 4
    assert torch.isfinite(first).all()
    assert torch.equal(first, second)
