"""The semi-supervised GAN's loss pieces against values computed by hand."""

import math

import pytest
import torch

from ganforge.classify.ssl_gan import feature_matching_loss, real_probability, supervised_loss, unsupervised_loss


def test_real_probability_is_z_over_z_plus_one():
    logits = torch.tensor([[0.0, 0.0, 0.0], [math.log(2.0), math.log(3.0), -1e9], [-1e9, -1e9, -1e9]])
    # Z = 3 -> 3/4; Z = 2 + 3 = 5 -> 5/6; Z = 0 -> 0 (the implicit fake logit 0 wins)
    assert real_probability(logits).tolist() == pytest.approx([0.75, 5 / 6, 0.0], abs=1e-6)


def test_real_probability_is_stable_for_large_logits():
    p = real_probability(torch.tensor([[1000.0, 999.0], [-1000.0, -1000.0]]))
    assert torch.isfinite(p).all() and p.tolist() == pytest.approx([1.0, 0.0], abs=1e-6)


def test_unsupervised_loss_by_hand():
    real = torch.tensor([[0.0, 0.0], [math.log(3.0), -1e9]])  # Z = 2, Z = 3 -> D = 2/3, 3/4
    fake = torch.tensor([[math.log(0.5), math.log(0.5)]])  # Z = 1 -> D = 1/2
    expected = -0.5 * (math.log(2 / 3) + math.log(3 / 4)) / 2 - 0.5 * math.log(1 - 1 / 2)
    assert unsupervised_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_unsupervised_loss_matches_bce_on_logsumexp():
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(5, 4, generator=gen) * 3, torch.randn(6, 4, generator=gen) * 3
    d_real, d_fake = real_probability(real).double(), real_probability(fake).double()
    expected = -0.5 * d_real.log().mean() - 0.5 * (1 - d_fake).log().mean()
    assert unsupervised_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-5)


def test_supervised_loss_ignores_the_fake_class():
    logits = torch.tensor([[math.log(1.0), math.log(3.0)]])
    assert supervised_loss(logits, torch.tensor([1])).item() == pytest.approx(-math.log(3 / 4), rel=1e-6)


def test_feature_matching_by_hand():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # means (2, 3)
    fake = torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0]])  # means (1, 1)
    assert feature_matching_loss(real, fake).item() == pytest.approx((1.0 + 4.0) / 2)


def test_conditional_entropy_by_hand():
    from ganforge.classify.ssl_gan import conditional_entropy

    uniform = torch.zeros(2, 4)  # p = 1/4 each: entropy log 4
    sure = torch.tensor([[100.0, 0.0, 0.0, 0.0]])  # p ~ one-hot: entropy ~ 0
    half = torch.tensor([[0.0, 0.0, -1e9, -1e9]])  # two classes at 1/2: log 2
    assert conditional_entropy(uniform).item() == pytest.approx(math.log(4), rel=1e-6)
    assert conditional_entropy(sure).item() == pytest.approx(0.0, abs=1e-6)
    assert conditional_entropy(half).item() == pytest.approx(math.log(2), rel=1e-6)
    assert conditional_entropy(torch.cat([uniform, sure])).item() == pytest.approx(2 * math.log(4) / 3, rel=1e-5)


def test_pseudo_label_loss_by_hand():
    from ganforge.classify.ssl_gan import pseudo_label_loss

    logits = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0], [0.0, math.log(4.0)]])  # p(target) = 3/4, 1/2, 4/5
    targets = torch.tensor([0, 1, 1])
    confident = torch.tensor([True, False, True])
    expected = (-math.log(3 / 4) - math.log(4 / 5)) / 3  # the unconfident row counts in B, not in the sum
    assert pseudo_label_loss(logits, targets, confident).item() == pytest.approx(expected, rel=1e-6)
    assert pseudo_label_loss(logits, targets, torch.zeros(3, dtype=torch.bool)).item() == 0.0
