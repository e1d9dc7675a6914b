"""Inception score from class probabilities."""

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import inception_score


def test_confident_uniform_predictions_give_k():
    k, n = 10, 1000
    # Sample i is class i % 10; each split of 100 holds every class 10 times, so
    # p(y) is uniform, every KL(p(y|x) || p(y)) = log 10, IS = 10 in every split.
    probs = np.eye(k)[np.arange(n) % k]
    out = inception_score(torch.from_numpy(probs).float(), splits=10)
    assert out["is_mean"] == pytest.approx(10.0, rel=1e-12)
    assert out["is_std"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("row", [[0, 0, 1, 0], [0.1, 0.2, 0.3, 0.4]])
def test_constant_predictions_give_one(row):
    probs = np.tile(np.asarray(row, dtype=np.float64), (100, 1))  # p(y|x) = p(y) for every x
    assert inception_score(probs, splits=5) == pytest.approx({"is_mean": 1.0, "is_std": 0.0}, abs=1e-12)


def test_matches_entropy_form():
    # IS = exp(H(p(y)) - E_x H(p(y|x))) for a single split.
    logits = np.random.default_rng(0).normal(size=(500, 7)) * 2
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    entropy = lambda q: -(q * np.log(q)).sum(-1)  # noqa: E731
    expected = np.exp(entropy(p.mean(0)) - entropy(p).mean())
    assert inception_score(p, splits=1)["is_mean"] == pytest.approx(expected, rel=1e-10)
    out = inception_score(p)  # 10 splits of 50: between 1 and K
    assert 1.0 <= out["is_mean"] <= 7.0 and out["is_std"] > 0


def test_logits_are_rejected():
    with pytest.raises(GanforgeError, match="softmax"):
        inception_score(np.random.default_rng(0).normal(size=(20, 3)), splits=2)
    with pytest.raises(GanforgeError, match="splits"):
        inception_score(np.eye(3), splits=4)
