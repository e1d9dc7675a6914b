"""Every registered metric, whatever its name: a well-formed spec, and it runs end to end through evaluate().

A metric added later (one file registering a MetricSpec) is picked up here
without editing this file.
"""

import math

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.metrics import METRICS
from ganforge.metrics.evaluate import evaluate
from ganforge.metrics.inputs import INPUTS, inputs_for
from ganforge.metrics.registry import IMAGES, PAIRS, POINTS, MetricSpec

NAMES = METRICS.names()


@pytest.mark.parametrize("name", NAMES)
def test_spec_is_well_formed(name):
    spec = METRICS.get(name)
    assert isinstance(spec, MetricSpec) and spec.name == name and callable(spec.compute)
    assert spec.outputs and all(way in ("lower", "higher", None) for way in spec.outputs.values())
    assert spec.applies_to and set(spec.applies_to) <= {IMAGES, POINTS, PAIRS}
    assert set(spec.default_for) <= set(spec.applies_to)
    for kind in spec.applies_to:  # some registered input provides everything it reads
        assert {n for cls in inputs_for(set(spec.needs), kind) for n in cls.provides} >= set(spec.needs)


def test_every_input_provides_something():
    assert INPUTS and all(cls.provides and cls.applies_to in (IMAGES, POINTS, PAIRS) for cls in INPUTS)


class _Samples:
    """A GeneratorModel-like stand-in: ``sample(n, seed, labels)`` returns real images (class-correct when
    labels are given), so every metric has sensible input."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None = None, num_classes: int = 0) -> None:
        self.x = x.float().div(127.5).sub(1.0) if x.dtype == torch.uint8 else x.float()
        self.y, self.num_classes, self.class_names = y, num_classes, None
        self.device = torch.device("cpu")

    def sample(self, n, seed=0, labels=None):
        if labels is None:
            return self.x[:n].clone()
        picks = [torch.nonzero(self.y == k).flatten() for k in range(self.num_classes)]
        return torch.stack([self.x[picks[k][i % len(picks[k])]] for i, k in enumerate(labels.tolist())])


class _Translator:
    """A translator stand-in (``translate(x, direction)``, both ways): returns its input, so every
    translation metric of an aligned, labelled pair source has something to score."""

    directions, device = ["AtoB", "BtoA"], torch.device("cpu")

    def translate(self, x, direction="AtoB"):
        return x.clone()


def _case(spec: MetricSpec, mnist_train, monkeypatch):
    """(model, data config) for a spec: image pairs, toy2d points, 3-channel digits, or (conditional) MNIST."""
    if PAIRS in spec.applies_to:
        return _Translator(), DataConfig(source="edges2fashion")
    if IMAGES not in spec.applies_to:
        from ganforge.data.toy2d import mode_centres

        centres, std = mode_centres("ring8")
        pts = centres[torch.arange(64) % 8] + std * torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
        return _Samples(pts), DataConfig(source="toy2d", variant="ring8")
    if "digits" in spec.needs:
        x = mnist_train.x[:192].reshape(64, 3, 28, 28)
        return _Samples(x), DataConfig(source="mnist", channels=3)
    if "inception" in spec.needs:  # a random Inception-v3 at 75 px stands in for the (absent) weights file
        from ganforge.metrics import inception

        def tiny(path=None, device="cpu"):
            torch.manual_seed(0)
            return inception.InceptionExtractor(inception.FIDInceptionV3(input_size=75).eval(), "0" * 64, "random")

        monkeypatch.setattr(inception, "load_inception", tiny)
    keep = torch.randperm(len(mnist_train), generator=torch.Generator().manual_seed(0))[:300]  # every class
    return _Samples(mnist_train.x[keep], mnist_train.y[keep], num_classes=10), DataConfig(source="mnist")


@pytest.mark.parametrize("name", NAMES)
def test_metric_runs_end_to_end(name, mnist_train, monkeypatch, fresh_stats_cache):
    spec = METRICS.get(name)
    model, data_cfg = _case(spec, mnist_train, monkeypatch)
    result = evaluate(model, data_cfg, metrics=[name], n=12, n_real=12, options={"cas_epochs": 1})
    declared = list(spec.outputs)
    for key in result:  # every number is declared by the spec (a family "x/" covers "x/<anything>")
        assert key in declared or any(d.endswith("/") and key.startswith(d) for d in declared), key
    assert {k for k in declared if not k.endswith("/")} <= set(result)
    assert all(isinstance(v, float) and math.isfinite(v) for v in result.values())
    assert result.info["requested"] == [name] and result.info["n"] > 0
