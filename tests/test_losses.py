"""Each loss against values worked out by hand on tiny tensors."""

import math

import pytest
import torch

from ganforge.losses import LOSSES

real = torch.tensor([0.0, 2.0])
fake = torch.tensor([-1.0, 1.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_minimax_d_loss_is_bce_real_one_fake_zero():
    # BCE(l, 1) = softplus(-l); BCE(l, 0) = softplus(l)
    expected = (softplus(-0.0) + softplus(-2.0)) / 2 + (softplus(-1.0) + softplus(1.0)) / 2
    assert LOSSES.get("minimax")().d_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_minimax_g_loss_is_log_one_minus_d():
    # log(1 - sigmoid(l)) = -softplus(l)
    expected = -(softplus(-1.0) + softplus(1.0)) / 2
    assert LOSSES.get("minimax")().g_loss(fake).item() == pytest.approx(expected, rel=1e-6)


def test_nonsaturating_g_loss_is_minus_log_d():
    expected = (softplus(1.0) + softplus(-1.0)) / 2  # -log sigmoid(l) = softplus(-l)
    assert LOSSES.get("nonsaturating")().g_loss(fake).item() == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing_changes_only_the_real_term():
    smooth = LOSSES.get("nonsaturating")(real_label=0.9)
    # BCE(l, t) = t * softplus(-l) + (1 - t) * softplus(l)
    real_term = sum(0.9 * softplus(-r) + 0.1 * softplus(r) for r in (0.0, 2.0)) / 2
    fake_term = (softplus(-1.0) + softplus(1.0)) / 2
    assert smooth.d_loss(real, fake).item() == pytest.approx(real_term + fake_term, rel=1e-6)


def test_saturating_gradient_vanishes_where_nonsaturating_does_not():
    # When D confidently rejects fakes (logit -8) the minimax G gradient ~ sigmoid(-8) ~ 3e-4.
    logits = torch.tensor([-8.0], requires_grad=True)
    LOSSES.get("minimax")().g_loss(logits).backward()
    g_sat = logits.grad.abs().item()
    logits.grad = None
    LOSSES.get("nonsaturating")().g_loss(logits).backward()
    assert g_sat < 1e-3 < logits.grad.abs().item()


def test_wasserstein():
    loss = LOSSES.get("wasserstein")()
    assert loss.d_loss(real, fake).item() == pytest.approx(0.0 - 1.0)  # mean(fake) - mean(real) = 0 - 1
    assert loss.g_loss(fake).item() == pytest.approx(0.0)


def test_lsgan_with_default_and_custom_codes():
    default = LOSSES.get("lsgan")()
    # 0.5*mean((r-1)^2) + 0.5*mean(f^2) = 0.5*(1+1)/2 + 0.5*(1+1)/2 = 1.0
    assert default.d_loss(real, fake).item() == pytest.approx(1.0)
    # 0.5*mean((f-1)^2) = 0.5*(4+0)/2 = 1.0
    assert default.g_loss(fake).item() == pytest.approx(1.0)
    custom = LOSSES.get("lsgan")(a=-1.0, b=1.0, c=0.0)
    # 0.5*(1+1)/2 + 0.5*((0)^2+(2)^2)/2 = 0.5 + 1.0
    assert custom.d_loss(real, fake).item() == pytest.approx(1.5)
    assert custom.g_loss(fake).item() == pytest.approx(0.5)  # 0.5*(1+1)/2


def test_hinge():
    loss = LOSSES.get("hinge")()
    # relu(1-r): [1, 0] -> 0.5 ; relu(1+f): [0, 2] -> 1.0
    assert loss.d_loss(real, fake).item() == pytest.approx(1.5)
    assert loss.g_loss(fake).item() == pytest.approx(0.0)


def test_unknown_loss_suggests_a_name():
    from ganforge.errors import GanforgeError

    with pytest.raises(GanforgeError, match="Did you mean 'hinge'"):
        LOSSES.get("hing")
