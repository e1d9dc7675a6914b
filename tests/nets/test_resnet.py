"""The SNGAN ResNet nets: shapes, construction rules, spectral norm."""

import pytest
import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.nets import ARCHS, options_of
from ganforge.nets.resnet import DBlock, ResNetDiscriminator, ResNetGenerator
from ganforge.training.checkpoint import load_weights


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [32, 64])
def test_shapes(size, channels):
    G = ResNetGenerator((channels, size, size), 16, width=8)
    D = ResNetDiscriminator((channels, size, size), width=8)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size) and x.abs().max() <= 1.0
    assert D(x).shape == (3,)


def test_registered_with_the_usual_constructor_convention():
    arch = ARCHS.get("resnet")
    assert arch.generator is ResNetGenerator and arch.discriminator is ResNetDiscriminator
    assert set(options_of(ResNetGenerator)) == {"width", "norm"}
    assert set(options_of(ResNetDiscriminator)) == {"width", "spectral_norm", "minibatch_std"}


def test_paper_sizes_for_cifar10():
    # SNGAN CIFAR-10 ResNet (Miyato et al. 2018, table 4): G ~4.3M, D ~1.0M parameters.
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(ResNetGenerator((3, 32, 32), 128)) == pytest.approx(4.28e6, rel=0.01)
    assert count(ResNetDiscriminator((3, 32, 32))) == pytest.approx(1.05e6, rel=0.01)


def test_d_has_no_batch_norm_and_sum_pooling():
    D = ResNetDiscriminator((3, 32, 32), width=8)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
    assert isinstance(D.blocks[0], DBlock) and D.blocks[0].first


def test_rejects_other_resolutions():
    with pytest.raises(GanforgeError, match="set data.resolution to 32 or 64"):
        ResNetGenerator((1, 28, 28), 16)
    with pytest.raises(GanforgeError, match="set data.resolution"):
        ResNetDiscriminator((2,))


def _top_singular_value(layer: nn.Module) -> float:
    w = layer.weight  # the spectral-normalised weight
    return torch.linalg.matrix_norm(w.detach().reshape(w.shape[0], -1), ord=2).item()


def test_spectral_norm_keeps_the_largest_singular_value_near_one():
    torch.manual_seed(0)
    D = ResNetDiscriminator((3, 32, 32), width=16).train()
    layers = [D.blocks[0].conv1, D.blocks[1].conv2, D.blocks[2].conv1, D.head]
    assert all(hasattr(layer, "parametrizations") for layer in layers)
    with torch.no_grad():
        for _ in range(10):  # each train-mode forward runs one power iteration
            D(torch.randn(4, 3, 32, 32))
    for layer in layers:
        assert _top_singular_value(layer) == pytest.approx(1.0, abs=0.05)
    plain = ResNetDiscriminator((3, 32, 32), width=16, spectral_norm=False)
    assert not hasattr(plain.blocks[0].conv1, "parametrizations")
    assert abs(_top_singular_value(plain.blocks[0].conv1) - 1.0) > 0.1  # xavier init alone is not normalised


def test_generator_norm_is_configurable():
    G = ResNetGenerator((3, 32, 32), 8, width=8, norm="none")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in G.modules())


def test_sngan_preset_trains_and_reloads(tmp_path):
    # The cifar10-sngan model end to end on 32x32 colour digits (cifar10 needs a user-given path).
    import ganforge
    from ganforge.presets import load_config
    from ganforge.training.trainer import Trainer

    cfg = load_config("cifar10-sngan", [
        "data.source=digits", "data.resolution=32", "data.channels=3", "data.limit=64", "model.z_dim=8",
        "model.g.width=4", "model.d.width=4", "train.batch_size=8", "train.steps=1", "train.n_critic=1",
        "train.grid_size=4", "train.progress=false", "train.device=cpu", "train.precision=fp32"], name="sngan")
    cfg.out_dir = str(tmp_path)
    run = Trainer(cfg).fit()
    model = ganforge.load(run)
    assert isinstance(model.generator, ResNetGenerator)
    samples = model.sample(2, seed=0)
    assert samples.shape == (2, 3, 32, 32) and torch.isfinite(samples).all()
    assert torch.equal(samples, model.sample(2, seed=0)) and not torch.equal(samples, model.sample(2, seed=1))
    # the checkpoint holds the preset's spectrally normalised ResNet D next to G
    weights = load_weights(model.source)
    assert any(k.startswith("D.") and "parametrizations" in k for k in weights)
    assert any(k.startswith("D.") for k in weights) and any(k.startswith("G.") for k in weights)
