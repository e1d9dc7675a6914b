"""Tiny translation runs for the studio's Translate tab (trained once per session, a few seconds on CPU)."""

import numpy as np
import pytest
from PIL import Image

from ganforge.presets import load_config

# The same tiny shapes as tests/translate: 32 px, width-4 nets, 2 steps, fp32 on every CPU.
TINY_TRANSLATOR = ["recipe.g.width=4", "recipe.d.width=4", "recipe.d.n_layers=1", "train.batch_size=4",
                   "train.steps=2", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
                   "train.progress=false", "train.device=cpu", "train.precision=fp32", "train.ema_decay=0",
                   "train.grid_size=4", "data.resolution=32", "data.cache=false", "train.health=off"]


def _write_pairs(folder, n=6, size=40):
    rng = np.random.default_rng(0)
    for side in "AB":
        (folder / side).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / side / f"{i}.png")
    return folder


def _train(root, pairs, recipe: str, source: str, extra=()):
    from ganforge.training.trainer import Trainer

    cfg = load_config(None, [f"recipe.name={recipe}", f"data.source={source}", f"data.path={pairs}",
                             f"out_dir={root / 'runs'}", *TINY_TRANSLATOR, *extra], name=recipe)
    return Trainer(cfg).fit()


@pytest.fixture(scope="session")
def tiny_translation_runs(tmp_path_factory):
    """{"pix2pix": run dir (grey 32x32, AtoB), "cyclegan": run dir (RGB 32x32, AtoB and BtoA)}."""
    root = tmp_path_factory.mktemp("studio-translate")
    pairs = _write_pairs(root / "pairs")
    return {"pix2pix": _train(root, pairs, "pix2pix", "paired-folder", ["data.channels=1"]),
            "cyclegan": _train(root, pairs, "cyclegan", "unpaired-folders", ["recipe.g.blocks=1"])}
