"""Class histogram, coverage and KL through predicted labels."""

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import class_coverage, class_histogram, class_kl, class_metrics


def test_histogram_from_ids_and_scores():
    ids = np.array([0, 0, 1, 3])
    np.testing.assert_array_equal(class_histogram(ids, 4), [0.5, 0.25, 0.0, 0.25])
    scores = torch.nn.functional.one_hot(torch.from_numpy(ids), 4).float() * 5
    np.testing.assert_array_equal(class_histogram(scores, 4), [0.5, 0.25, 0.0, 0.25])


def test_coverage_threshold():
    # 10 classes, uniform share 1/10; min_fraction 0.1 -> a class needs >= 1 % of samples.
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)  # 90 %, 9 %, 1 %, rest 0
    assert class_coverage(labels, 10) == pytest.approx(0.3)  # classes 0, 1, 2
    assert class_coverage(labels, 10, min_fraction=0.5) == pytest.approx(0.2)  # needs 5 %: 0, 1
    assert class_coverage(labels, 10, min_fraction=0.0) == pytest.approx(0.3)  # any sample
    assert class_coverage(np.arange(1000) % 10, 10, min_fraction=1.0) == 1.0


def test_kl_zero_for_equal_histograms_and_positive_otherwise():
    h = np.array([3.0, 1.0, 0.0, 6.0])
    assert class_kl(h, h) == 0.0
    assert class_kl(h, h / 10) == 0.0  # counts and fractions alike
    # KL(q || p) with q = [0.5, 0.5], p = [0.25, 0.75]: 0.5 ln 2 + 0.5 ln(2/3) = 0.5 ln(4/3)
    assert class_kl([0.25, 0.75], [0.5, 0.5]) == pytest.approx(0.5 * np.log(4 / 3), rel=1e-5)


def test_kl_is_finite_when_real_bin_is_empty():
    # Generated mass on a class absent from real data: q log(q / eps') instead of inf.
    value = class_kl([1.0, 0.0], [0.5, 0.5])
    assert np.isfinite(value)
    assert value == pytest.approx(0.5 * np.log(0.5 / 1e-6) + 0.5 * np.log(0.5), rel=1e-3)


def test_class_metrics():
    fake = np.zeros(100, dtype=int)  # total collapse onto class 0
    out = class_metrics(fake, 10)
    assert out["class_coverage"] == pytest.approx(0.1)
    assert out["class_kl"] == pytest.approx(np.log(10), rel=1e-4)  # KL(one-hot || uniform)
    balanced = np.arange(100) % 10
    assert class_metrics(balanced, 10, real_labels=balanced) == {"class_coverage": 1.0, "class_kl": 0.0}


def test_bad_labels():
    with pytest.raises(GanforgeError, match="outside"):
        class_histogram([0, 10], 10)
    with pytest.raises(GanforgeError, match="same num_classes"):
        class_kl([1, 1], [1, 1, 1])
