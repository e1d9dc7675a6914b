"""Packing (PacGAN): pack layout, shapes, the divisibility rule, and that losses and penalties still work."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.losses import LOSSES
from ganforge.nets import ARCHS
from ganforge.nets.mlp import MLPDiscriminator
from ganforge.nn.packing import PackedDiscriminator, pack_discriminator, pack_samples, packed_discriminator
from ganforge.regularizers import gradient_penalty, r1_penalty

MLP_D = {"hidden": [16, 16], "dropout": 0.0}


def test_consecutive_points_are_concatenated():
    x = torch.arange(12.0).view(6, 2)  # 6 points (0,1), (2,3), ...
    packed = pack_samples(x, 3)
    assert packed.shape == (2, 6)
    assert torch.equal(packed[0], torch.arange(6.0)) and torch.equal(packed[1], torch.arange(6.0, 12.0))


def test_images_are_concatenated_along_channels():
    x = torch.randn(4, 3, 8, 8)
    packed = pack_samples(x, 2)
    assert packed.shape == (2, 6, 8, 8)
    assert torch.equal(packed[1, :3], x[2]) and torch.equal(packed[1, 3:], x[3])


@pytest.mark.parametrize("pack", [2, 3])
def test_mlp_is_built_for_the_packed_input(pack):
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, pack)
    assert isinstance(D, PackedDiscriminator)
    assert D.inner.body[1].in_features == 2 * pack
    assert D(torch.randn(6 * pack, 2)).shape == (6,)
    assert D.features(torch.randn(6 * pack, 2)).shape == (6, D.feature_dim)


def test_dcgan_is_built_for_pack_times_the_channels():
    D = packed_discriminator(ARCHS.get("dcgan").discriminator, (3, 16, 16), {"width": 8}, 2)
    assert D.inner.body[0].in_channels == 6
    assert D(torch.randn(8, 3, 16, 16)).shape == (4,)


def test_pack_one_is_the_plain_discriminator():
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 1)
    assert type(D) is MLPDiscriminator and D(torch.randn(5, 2)).shape == (5,)
    plain = MLPDiscriminator((2,), **MLP_D)
    assert pack_discriminator(plain, 1) is plain


def test_batch_not_divisible_by_pack_is_refused():
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 4)
    with pytest.raises(GanforgeError, match="multiple of 4"):
        D(torch.randn(10, 2))


@pytest.mark.parametrize("pack", [0, -1, 1.5, True, "2"])
def test_bad_pack_values_are_refused(pack):
    with pytest.raises(GanforgeError, match="model.pack"):
        packed_discriminator(MLPDiscriminator, (2,), MLP_D, pack)


def test_labels_are_refused():
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 2)
    with pytest.raises(GanforgeError, match="unconditional"):
        D(torch.randn(4, 2), torch.zeros(4, dtype=torch.long))


@pytest.mark.parametrize("loss", LOSSES.names())
def test_every_loss_trains_on_packed_logits(loss):
    torch.manual_seed(0)
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 2)
    real, fake = torch.randn(8, 2), torch.randn(8, 2, requires_grad=True)
    objective = LOSSES.get(loss)()
    objective.d_loss(D(real), D(fake.detach())).backward()
    assert all(torch.isfinite(p.grad).all() for p in D.parameters())
    assert D.inner.body[1].weight.grad.abs().sum() > 0  # (the head's bias cancels out in the linear losses)
    objective.g_loss(D(fake)).backward()
    assert fake.grad.shape == (8, 2) and fake.grad.abs().sum(dim=1).gt(0).all()  # every sample gets a gradient


def test_r1_is_the_packed_r1_over_pack():
    torch.manual_seed(0)
    pack = 2
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, pack)
    real = torch.randn(8, 2, requires_grad=True)
    r1 = r1_penalty(D(real), real)
    packed = pack_samples(real.detach(), pack).requires_grad_(True)  # (4, 4): R1 of the packed D on its own input
    packed_r1 = r1_penalty(D.inner(packed), packed)
    assert r1.item() == pytest.approx(packed_r1.item() / pack, rel=1e-5)
    r1.backward()  # differentiable w.r.t. D's weights (the head's bias has no say in an input gradient)
    grad = D.inner.body[1].weight.grad
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_gradient_penalty_runs_through_a_packed_critic():
    torch.manual_seed(0)
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 4)
    gp = gradient_penalty(D, torch.randn(8, 2), torch.randn(8, 2))
    assert gp.ndim == 0 and torch.isfinite(gp)
    gp.backward()
    grad = D.inner.body[1].weight.grad
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_state_dict_round_trip():
    D = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 2)
    again = packed_discriminator(MLPDiscriminator, (2,), MLP_D, 2)
    again.load_state_dict(D.state_dict())
    x = torch.randn(6, 2)
    assert torch.equal(D(x), again(x))
