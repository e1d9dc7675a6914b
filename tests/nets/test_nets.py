"""Shapes and construction rules of every architecture."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets import ARCHS
from ganforge.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganforge.nets.mlp import MLPDiscriminator, MLPGenerator


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [16, 28, 32, 64, 128])
def test_dcgan_shapes_for_every_resolution(size, channels):
    G = DCGANGenerator((channels, size, size), 16, width=8)
    D = DCGANDiscriminator((channels, size, size), width=8)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1.0  # tanh output
    assert D(x).shape == (3,)


def test_dcgan_init_is_normal_0_002():
    G = DCGANGenerator((1, 64, 64), 100, width=64)
    w = G.net[0].weight
    assert abs(w.mean().item()) < 2e-3 and w.std().item() == pytest.approx(0.02, rel=0.05)


def test_dcgan_depth_and_width_are_configurable():
    small = DCGANGenerator((3, 32, 32), 16, width=8)
    deep = DCGANGenerator((3, 32, 32), 16, width=8, extra_layers=2)
    wide = DCGANGenerator((3, 32, 32), 16, width=16)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(small) < count(deep) and count(small) < count(wide)


def test_dcgan_critic_without_batch_norm():
    D = DCGANDiscriminator((1, 28, 28), width=8, norm="layer")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())


def test_dcgan_rejects_unsupported_resolution():
    with pytest.raises(GanforgeError, match="set data.resolution"):
        DCGANGenerator((3, 48, 48), 16)


def test_mlp_goodfellow_sizes_and_outputs():
    G = MLPGenerator((1, 28, 28), 100, hidden=[256, 512, 1024])
    D = MLPDiscriminator((1, 28, 28), hidden=[1024, 512, 256], dropout=0.3)
    x = G(torch.randn(4, 100))
    assert x.shape == (4, 1, 28, 28) and D(x).shape == (4,)
    linears = [m.out_features for m in G.modules() if isinstance(m, torch.nn.Linear)]
    assert linears == [256, 512, 1024, 784]
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.3 for m in D.modules())


def test_mlp_sigmoid_output_is_rescaled_to_data_range():
    G = MLPGenerator((1, 4, 4), 8, hidden=[16], output="sigmoid")
    x = G(torch.randn(64, 8) * 10)
    assert x.min() >= -1 and x.max() <= 1 and x.min() < 0  # would be >= 0 without the rescale


def test_mlp_points_default_to_linear_output():
    G = MLPGenerator((2,), 2, hidden=[16])
    assert G(torch.randn(5, 2)).shape == (5, 2)
    assert isinstance(G.net[-1], torch.nn.Identity)


def test_bad_activation_is_a_clear_error():
    with pytest.raises(GanforgeError, match="Unknown activation 'gelu'"):
        MLPGenerator((2,), 2, activation="gelu")


@pytest.mark.parametrize("arch", ARCHS.names())
def test_every_arch_builds_generator_and_discriminator(arch):
    pair = ARCHS.get(arch)
    shape = (1, 32, 32)  # a resolution every image architecture supports
    G, D = pair.generator(shape, 8), pair.discriminator(shape)
    assert D(G(torch.randn(2, 8))).shape == (2,)


@pytest.mark.parametrize("arch", ARCHS.names())
def test_every_discriminator_exposes_features_and_head(arch):
    D = ARCHS.get(arch).discriminator((3, 32, 32)).eval()
    x = torch.randn(2, 3, 32, 32)
    h = D.features(x)
    assert h.shape == (2, D.feature_dim)
    assert torch.allclose(D.head(h).view(2), D(x), atol=1e-6)
