"""docs/architecture.md's checklists are true: a throwaway metric, recipe and data source, added exactly as
the checklists say (here registered inside the test, and removed afterwards), work end to end."""

from dataclasses import dataclass

import pytest
import torch

import ganforge
from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.metrics import METRICS, registry
from ganforge.metrics.evaluate import evaluate
from ganforge.metrics.registry import IMAGES, POINTS, MetricContext, MetricSpec, register_metric
from ganforge.recipes import RECIPES
from ganforge.recipes.gan import GAN


@pytest.fixture
def clean_registries(monkeypatch):
    """Registries as they were before the test: the throwaway entries must not leak into other tests."""
    monkeypatch.setattr(METRICS, "_items", dict(METRICS._items))
    monkeypatch.setattr(registry, "_ORDER", list(registry._ORDER))
    monkeypatch.setattr(RECIPES, "_items", dict(RECIPES._items))


def _mean_gap(ctx: MetricContext) -> dict[str, float]:
    """|mean real feature - mean fake feature|, averaged over the D feature dimensions."""
    gap = (ctx.real["features"].double().mean(0) - ctx.fake["features"].double().mean(0)).abs().mean()
    return {"mean_gap": float(gap)}


def test_a_new_metric_is_one_spec(clean_registries, fake_points):
    # Checklist "Add a metric": maths + register_metric(MetricSpec(...)) with needs, outputs, applies_to.
    register_metric(MetricSpec("mean-gap", _mean_gap, {"mean_gap": "lower"}, needs=("features",),
                               applies_to=(IMAGES, POINTS)))
    model, cfg = fake_points
    result = evaluate(model, cfg, metrics=["fid", "mean-gap"], n=200)
    assert list(result) == ["fid", "mean_gap"] and 0 <= result["mean_gap"] < 0.5
    from ganforge.metrics.table import format_table

    assert "mean_gap" in format_table(result) and "(lower is better)" in format_table(result).splitlines()[-1]
    with pytest.raises(ganforge.GanforgeError, match="Did you mean 'mean-gap'"):
        evaluate(model, cfg, metrics=["mean-gaps"], n=10)


@pytest.fixture
def fake_points():
    from ganforge.data.toy2d import mode_centres

    centres, std = mode_centres("ring8")
    pts = centres[torch.arange(200) % 8] + std * torch.randn(200, 2, generator=torch.Generator().manual_seed(0))

    class Points:
        device = torch.device("cpu")

        def sample(self, n, seed=0):
            return pts[:n]

    return Points(), DataConfig(source="toy2d", variant="ring8")


class MeanMatch(GAN):
    """A throwaway recipe: least-squares on D's logits, one option, written as the checklist says."""

    @dataclass
    class Options(GAN.Options):
        margin: float = 1.0

    def d_step(self, real, labels, step):
        with torch.no_grad():
            fake = self.generate(self.G, self.sample_z(len(real)))
        loss = (self.D(real) - self.opts.margin).pow(2).mean() + self.D(fake).pow(2).mean()
        return {"loss": loss, "real_score": self.D(real).detach().mean()}

    def g_step(self, real, labels, step):
        return {"loss": (self.D(self.generate(self.G, self.sample_z(len(real)))) - self.opts.margin).pow(2).mean()}


def test_a_new_recipe_trains_checkpoints_and_samples(clean_registries, tiny_points_config):
    import json

    from ganforge.training.trainer import Trainer

    RECIPES.register("mean-match")(MeanMatch)  # checklist "Add a recipe": subclass, register, d_step/g_step
    cfg = tiny_points_config(steps=2, extra=["recipe.name=mean-match", "recipe.margin=0.5"])
    run = Trainer(cfg).fit()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"d/loss", "g/loss", "d/real_score"} <= set(rows[-1])  # other keys are logged as d/<key>
    assert (run / "checkpoints").is_dir()
    samples = ganforge.load(run).sample(5, seed=0)
    assert samples.shape == (5, 2) and torch.isfinite(samples).all()


def _load_spiral(cfg):
    """A throwaway spiral of 2-D points (the first docstring line is what `ganforge data list` prints)."""
    t = torch.linspace(0, 3, cfg.limit or 300)
    x = torch.stack([t * torch.cos(3 * t), t * torch.sin(3 * t)], 1)
    return Dataset(x=x, y=None, info={"split": cfg.split})


def test_a_new_data_source_is_one_decorated_loader(monkeypatch, tiny_points_config, capsys):
    # Checklist "Add a data source": load(cfg) -> Dataset, @SOURCES.register + @source_options, nothing else.
    from ganforge.cli import main
    from ganforge.data import SOURCES, load_dataset
    from ganforge.data.registry import source_options, source_trait
    from ganforge.training.trainer import Trainer

    monkeypatch.setattr(SOURCES, "_items", dict(SOURCES._items))
    SOURCES.register("spiral")(source_options(splits=("train",), cacheable=False, is_image=False)(_load_spiral))
    assert main(["data", "list"]) == 0 and "A throwaway spiral of 2-D points" in capsys.readouterr().out
    assert load_dataset(DataConfig(source="spiral", limit=64)).x.shape == (64, 2)
    assert source_trait("spiral", "is_image") is False and source_trait("spiral", "path_is_data") is False
    with pytest.raises(ganforge.GanforgeError, match="has no split 'test'"):
        load_dataset(DataConfig(source="spiral", split="test"))
    cfg = tiny_points_config(steps=2, extra=["data.source=spiral", "data.limit=256"])
    samples = ganforge.load(Trainer(cfg).fit()).sample(5, seed=0)
    assert samples.shape == (5, 2) and torch.isfinite(samples).all()
