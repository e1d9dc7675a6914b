"""Recognisable samples: confident fraction and the classes it spreads over, against hand-worked examples."""

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import METRICS, confident_classes, confident_fraction
from ganforge.metrics.registry import IMAGES, MetricContext

SHARP = [0.95, 0.05, 0.0]  # recognisable as class 0
FLAT = [0.5, 0.3, 0.2]  # a blend: not recognisable
EDGE = [0.9, 0.1, 0.0]  # exactly at the threshold: counts


def test_fraction_counts_rows_at_or_above_the_threshold():
    assert confident_fraction([SHARP, FLAT, EDGE, FLAT]) == pytest.approx(0.5)
    assert confident_fraction([SHARP, FLAT, EDGE, FLAT], threshold=0.95) == pytest.approx(0.25)
    assert confident_fraction(torch.tensor([FLAT, FLAT])) == 0.0


def test_classes_counts_where_the_confident_samples_go():
    # 10 classes; 100 confident samples: 60 of class 0, 39 of class 1, 1 of class 2 (1 % = the
    # 10 %-of-uniform bar, so it counts); 50 blends of class 3 and 4 that are not confident.
    eye = np.eye(10)
    blend = np.zeros(10)
    blend[[3, 4]] = 0.5
    probs = np.vstack([np.repeat(eye[[0]], 60, 0), np.repeat(eye[[1]], 39, 0), eye[[2]], np.repeat(blend[None], 50, 0)])
    assert confident_classes(probs) == 3
    assert confident_classes(probs, min_fraction=0.5) == 2  # class 2's 1 % is under 5 %
    assert confident_classes(np.repeat(blend[None], 5, 0)) == 0  # nothing confident


@pytest.mark.parametrize("probs, threshold, message", [
    ([[0.7, 0.7]], 0.9, "softmax"),
    ([[-0.1, 1.1]], 0.9, "softmax"),
    ([[1.0]], 0.9, "K >= 2"),
    ([[0.5, 0.5]], 0.4, "threshold must be above 1/K"),
    ([[0.5, 0.5]], 1.5, "threshold must be above 1/K"),
])
def test_bad_input_is_one_clear_error(probs, threshold, message):
    for metric in (confident_fraction, confident_classes):
        with pytest.raises(GanforgeError, match=message):
            metric(probs, threshold)


def test_the_registered_metric_scores_fake_and_real():
    spec = METRICS.get("confident")
    assert spec.applies_to == (IMAGES,) and spec.needs == ("probs",)
    f64 = dict(dtype=torch.float64)  # 0.9 in float32 is 0.89999998, under the threshold
    real, fake = torch.tensor([SHARP, EDGE], **f64), torch.tensor([SHARP, FLAT], **f64)
    ctx = MetricContext(real={"probs": real}, fake={"probs": fake}, num_classes=3)
    assert spec.compute(ctx) == {"confident": 0.5, "confident_classes": 1.0, "confident_real": 1.0}
