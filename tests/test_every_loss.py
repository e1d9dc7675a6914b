"""Every registered GAN loss, whatever its name: scalar finite losses with gradients, and each side's loss
falls when its player gets better (D: real logits up, fake down; G: fake logits up)."""

import pytest
import torch

from ganforge.losses import LOSSES


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_is_a_differentiable_scalar(name):
    loss = LOSSES.get(name)()  # every option has a default
    real = torch.randn(16, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    fake = torch.randn(16, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    d, g = loss.d_loss(real, fake), loss.g_loss(fake)
    assert d.shape == () and g.shape == () and torch.isfinite(d) and torch.isfinite(g)
    d.backward()
    assert torch.isfinite(real.grad).all() and real.grad.abs().sum() > 0 and fake.grad.abs().sum() > 0


@pytest.mark.parametrize("name", LOSSES.names())
def test_each_player_improves_by_moving_the_logits_its_way(name):
    loss = LOSSES.get(name)()
    real, fake = torch.zeros(8), torch.zeros(8)
    better_d = loss.d_loss(real + 0.5, fake - 0.5)  # D tells them apart a little better
    assert better_d < loss.d_loss(real, fake)
    assert loss.g_loss(fake + 0.5) < loss.g_loss(fake)  # G's fakes look a little more real to D


@pytest.mark.parametrize("name", LOSSES.names())
def test_saturating_is_declared_exactly_when_g_loses_its_gradient_as_d_wins(name):
    # The health checks read `saturating` (the non-saturating remedy, the flat-G-loss detector): it must say
    # whether G's gradient vanishes when D confidently calls the fakes fake (logit -10).
    loss = LOSSES.get(name)()
    fake = torch.full((8,), -10.0, requires_grad=True)
    loss.g_loss(fake).backward()
    assert isinstance(loss.saturating, bool)
    assert loss.saturating == bool(fake.grad.abs().max() < 1e-3), f"{name}: |dG/dlogit| = {fake.grad.abs().max():.3g}"


@pytest.mark.parametrize("name", LOSSES.names())
def test_wasserstein_is_declared_exactly_when_the_critic_score_is_unbounded(name):
    # `wasserstein`: D's loss keeps falling as the score gap grows (a critic, no real/fake threshold).
    loss = LOSSES.get(name)()
    gap = lambda s: loss.d_loss(torch.full((8,), s), torch.full((8,), -s))  # noqa: E731
    assert isinstance(loss.wasserstein, bool)
    assert loss.wasserstein == bool(gap(1000.0) < gap(100.0) - 100), name
