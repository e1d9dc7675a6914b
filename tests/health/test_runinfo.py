"""The health checks know a run's recipe, loss and data source only through what each registered one declares.

A throwaway loss or recipe registered under a new name gets the same remedies as the built-in one
it resembles, which a check written against names ("minimax", "wgan") would not give it.
"""

from dataclasses import dataclass

import pytest

from ganforge.health.remedies import remedies_for
from ganforge.health.runinfo import RunInfo
from ganforge.losses import LOSSES, MinimaxLoss
from ganforge.recipes import RECIPES
from ganforge.recipes.wgan import WGAN


@pytest.fixture
def clean_registries(monkeypatch):
    monkeypatch.setattr(LOSSES, "_items", dict(LOSSES._items))
    monkeypatch.setattr(RECIPES, "_items", dict(RECIPES._items))


def _has(texts, words):
    return any(words in t for t in texts)


def test_a_new_saturating_loss_gets_the_non_saturating_remedy(clean_registries):
    @LOSSES.register("flat-g")
    @dataclass
    class FlatG(MinimaxLoss):
        """A throwaway loss that declares itself saturating."""

    run = RunInfo.from_config({"recipe": {"name": "gan", "loss": "flat-g"}})
    assert run.saturating and run.smoothable and not run.wasserstein
    assert _has(remedies_for("g_not_learning", run), "non-saturating G loss")
    assert not _has(remedies_for("g_not_learning", RunInfo.from_config({"recipe": {"loss": "hinge"}})),
                    "non-saturating G loss")


def test_a_new_weight_clipping_critic_is_told_to_use_a_gradient_penalty(clean_registries):
    RECIPES.register("clipped-critic")(type("ClippedCritic", (WGAN,), {"__doc__": "A throwaway WGAN."}))
    run = RunInfo.from_config({"recipe": {"name": "clipped-critic"}})
    assert run.loss == "wasserstein" and run.wasserstein and run.clips_weights and not run.has_gradient_penalty
    assert _has(remedies_for("mode_collapse", run), "gradient penalty")


def test_recipe_defaults_and_declarations_decide_the_remedies():
    stable = {"r1_gamma": 10}, {"ema_decay": 0.999}  # so that spectral norm is among the first remedies
    gp = RunInfo.from_config({"recipe": {"name": "wgan-gp", **stable[0]}, "train": stable[1]})
    assert gp.wasserstein and gp.has_gradient_penalty and not gp.clips_weights
    assert not _has(remedies_for("oscillation", gp), "spectral norm")  # the critic has a gradient penalty already
    plain = RunInfo.from_config({"recipe": {"name": "gan", **stable[0]}, "train": stable[1]})
    assert _has(remedies_for("oscillation", plain), "spectral norm")
    fastgan = RunInfo.from_config({"recipe": {"name": "fastgan"}})
    assert fastgan.loss == "hinge" and not fastgan.smoothable  # the recipe's own default loss, not "nonsaturating"
    assert not _has(remedies_for("d_overpowering", fastgan), "label smoothing")


def test_points_sources_get_instance_noise_and_unknown_names_keep_the_defaults():
    points = RunInfo.from_config({"data": {"source": "toy2d"}})
    assert not points.is_image and _has(remedies_for("mode_collapse", points), "instance noise")
    old = RunInfo.from_config({"recipe": {"name": "removed-recipe", "loss": "removed-loss"},
                               "data": {"source": "removed-source"}})
    assert old.is_image and not (old.wasserstein or old.saturating or old.smoothable or old.clips_weights)
    assert RunInfo.from_config({"recipe": {"name": ["not", "a", "name"]}}).loss == "nonsaturating"
