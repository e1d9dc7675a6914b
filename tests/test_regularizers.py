"""Regularisers against hand-computed values on tiny tensors, for points and 1- / 3-channel images."""

import math

import pytest
import torch
import torch.nn as nn

from ganforge.regularizers import clip_weights_, gradient_penalty, r1_penalty

SHAPES = [(5,), (1, 4, 4), (3, 4, 4)]  # (B, D) points, 1- and 3-channel images


def linear_critic(shape, norm: float, seed: int = 0):
    """x -> w . x with ||w|| = norm: its input gradient is w everywhere."""
    w = torch.randn(math.prod(shape), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    w = w / w.norm() * norm
    return lambda x: x.flatten(1) @ w, w


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_penalty_is_zero_for_a_unit_gradient_critic(shape):
    critic, _ = linear_critic(shape, 1.0)
    real, fake = torch.randn(8, *shape, dtype=torch.float64), torch.randn(8, *shape, dtype=torch.float64)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm", [0.0, 0.5, 3.0])
def test_gradient_penalty_of_a_linear_critic_is_norm_minus_one_squared(shape, norm):
    critic, _ = linear_critic(shape, norm)
    real, fake = torch.randn(8, *shape, dtype=torch.float64), torch.randn(8, *shape, dtype=torch.float64)
    penalty = gradient_penalty(critic, real, fake)
    assert penalty.item() == pytest.approx((norm - 1.0) ** 2, abs=1e-5)
    assert torch.isfinite(penalty)  # a zero gradient (norm 0) must not give NaN


def test_gradient_penalty_hand_value_for_a_quadratic_critic():
    # D(x) = ||x||^2 / 2 has grad x; with real == fake every interpolate is that point.
    x = torch.tensor([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]])
    expected = ((5.0 - 1) ** 2 + (2.0 - 1) ** 2 + (1.0 - 1) ** 2) / 3
    assert gradient_penalty(lambda v: 0.5 * v.pow(2).sum(1), x, x).item() == pytest.approx(expected, rel=1e-6)


def test_gradient_penalty_interpolates_between_real_and_fake():
    # D(x) = ||x||^2 / 2 with real = +1, fake = -1 (one coordinate): xhat = 2 eps - 1, grad norm |xhat| <= 1.
    torch.manual_seed(0)
    real, fake = torch.ones(4096, 1), -torch.ones(4096, 1)
    penalty = gradient_penalty(lambda v: 0.5 * v.pow(2).sum(1), real, fake)
    # E[(|2e - 1| - 1)^2] for e ~ U[0, 1] = E[(u - 1)^2], u = |2e - 1| ~ U[0, 1] -> 1/3.
    assert penalty.item() == pytest.approx(1 / 3, abs=0.02)


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_penalty_trains_the_critic(shape):
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape), 8), nn.Tanh(), nn.Linear(8, 1))
    penalty = gradient_penalty(lambda x: critic(x).squeeze(1), torch.randn(4, *shape), torch.randn(4, *shape))
    penalty.backward()
    assert penalty.item() > 0
    # Every weight shapes the input gradient (the last bias does not, so it gets none).
    for p in (critic[1].weight, critic[1].bias, critic[3].weight):
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


def test_gradient_penalty_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(lambda x: x.sum(1), torch.zeros(2, 3), torch.zeros(3, 3))


@pytest.mark.parametrize("shape", SHAPES)
def test_r1_of_a_linear_discriminator_is_the_squared_weight_norm(shape):
    critic, w = linear_critic(shape, 1.0)
    w.mul_(3.0)  # ||w||^2 = 9 for every sample
    real = torch.randn(6, *shape, dtype=torch.float64).requires_grad_(True)
    assert r1_penalty(critic(real), real).item() == pytest.approx(9.0, rel=1e-9)


def test_r1_hand_value_for_a_quadratic_discriminator_and_it_trains_d():
    # D(x) = a * ||x||^2 / 2: grad = a x, R1 = a^2 mean ||x||^2 = 4 * (25 + 4) / 2 = 58 for a = 2.
    a = torch.tensor(2.0, requires_grad=True)
    real = torch.tensor([[3.0, 4.0], [0.0, 2.0]], requires_grad=True)
    penalty = r1_penalty(a * 0.5 * real.pow(2).sum(1), real)
    assert penalty.item() == pytest.approx(58.0)
    penalty.backward()  # d/da (a^2 * 14.5) = 2 a * 14.5 = 58
    assert a.grad.item() == pytest.approx(58.0)


def test_r1_needs_reals_that_require_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        x = torch.randn(2, 3)
        r1_penalty(x.sum(1), x)


def test_clip_weights_bounds_every_parameter():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(100)
    inside = net[0].weight.detach().clone().clamp_(-0.01, 0.01)
    assert clip_weights_(net, 0.01) is net
    assert all(p.abs().max() <= 0.01 for p in net.parameters())
    assert torch.equal(net[0].weight, inside)  # clamping, not rescaling
    with pytest.raises(ValueError):
        clip_weights_(net, 0.0)
