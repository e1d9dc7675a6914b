"""Minibatch standard deviation (ProGAN): the layer's statistic by hand, its gradients, and the D option."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets.dcgan import DCGANDiscriminator
from ganforge.nets.mlp import MLPDiscriminator
from ganforge.nets.resnet import ResNetDiscriminator
from ganforge.nn import MinibatchStd, make_minibatch_std


def test_vector_statistic_by_hand():
    # Groups of 2 over B = 4: sample i is in group i mod 2, so {0, 2} and {1, 3}.
    x = torch.tensor([[0.0, 0.0], [0.0, 0.0], [2.0, 2.0], [6.0, 6.0]])  # group {0,2}: std 1; {1,3}: std 3
    out = MinibatchStd(group_size=2)(x)
    assert out.shape == (4, 3)
    assert torch.equal(out[:, :2], x)  # the input passes through unchanged
    assert out[:, 2] == pytest.approx(torch.tensor([1.0, 3.0, 1.0, 3.0]), abs=1e-4)


def test_feature_map_statistic_is_a_constant_channel():
    x = torch.randn(8, 4, 5, 5)
    out = MinibatchStd(group_size=4)(x)
    assert out.shape == (8, 5, 5, 5)
    groups = x.view(4, 2, 4, 5, 5)  # (G, M, C, H, W)
    expected = groups.var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # (M,)
    assert torch.allclose(out[:, 4], expected.repeat(4).view(8, 1, 1).expand(8, 5, 5), atol=1e-6)


def test_two_features_split_the_channels():
    x = torch.zeros(2, 4)
    x[1, :2] = 2.0  # channels 0-1 differ by 2 between the two samples (std 1); channels 2-3 agree (std 0)
    out = MinibatchStd(group_size=2, num_features=2)(x)
    assert out.shape == (2, 6)
    assert out[0, 4:] == pytest.approx(torch.tensor([1.0, 0.0]), abs=1e-4)


def test_batch_not_a_multiple_of_the_group_uses_a_smaller_divisor():
    x = torch.randn(6, 3)
    out = MinibatchStd(group_size=4)(x)  # 6 is not a multiple of 4: groups of 3
    assert out.shape == (6, 4)
    expected = x.view(3, 2, 3).var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=1)
    assert out[:, 3] == pytest.approx(expected.repeat(3), abs=1e-6)


def test_gradient_flows_within_a_group_only():
    x = torch.randn(4, 3, requires_grad=True)
    MinibatchStd(group_size=2)(x)[0, 3].backward()  # sample 0's statistic: its group is {0, 2}
    norms = x.grad.norm(dim=1)
    assert norms[0] > 0 and norms[2] > 0
    assert norms[1] == 0 and norms[3] == 0


def test_off_is_identity_and_bad_settings_are_refused():
    assert isinstance(make_minibatch_std(0), torch.nn.Identity)
    with pytest.raises(GanforgeError, match="group size >= 2"):
        MinibatchStd(group_size=1)
    with pytest.raises(GanforgeError, match="channels divisible"):
        MinibatchStd(group_size=2, num_features=2)(torch.randn(2, 3))


DISCRIMINATORS = [
    (lambda **kw: MLPDiscriminator((2,), hidden=[16, 16], dropout=0.0, **kw), (2,)),
    (lambda **kw: DCGANDiscriminator((1, 16, 16), width=8, norm="layer", **kw), (1, 16, 16)),
    (lambda **kw: ResNetDiscriminator((3, 32, 32), width=8, **kw), (3, 32, 32)),
]


@pytest.mark.parametrize("build, shape", DISCRIMINATORS)
def test_discriminator_option_adds_one_feature_and_couples_the_batch(build, shape):
    torch.manual_seed(0)
    plain, with_std = build().eval(), build(minibatch_std=4).eval()
    assert with_std.feature_dim > plain.feature_dim
    x = torch.randn(8, *shape, requires_grad=True)
    assert with_std.features(x).shape == (8, with_std.feature_dim)
    logits = with_std(x)
    assert logits.shape == (8,)
    # Sample 0's logit depends on the other members of its group (4 of them: 0, 2, 4, 6) only with the option on.
    (grad,) = torch.autograd.grad(logits[0], x, retain_graph=True)
    assert grad[4].abs().sum() > 0 and grad[1].abs().sum() == 0
    (grad_plain,) = torch.autograd.grad(plain(x)[0], x)
    assert grad_plain[4].abs().sum() == 0
    logits.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in with_std.parameters() if p.requires_grad)
