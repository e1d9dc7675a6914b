"""Translator nets (U-Net, ResNet) and the PatchGAN: shapes, receptive field, options."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets.patchgan import PatchDiscriminator, receptive_field
from ganforge.nets.translation import TRANSLATORS, build_translator


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("upsample", ["resize", "transpose"])
def test_unet_maps_images_to_images_of_the_same_size(size, upsample):
    net = build_translator("unet", 1, 3, size, {"width": 4, "upsample": upsample})
    y = net(torch.randn(2, 1, size, size))
    assert y.shape == (2, 3, size, size)
    assert y.abs().max() <= 1


@pytest.mark.parametrize("size", [16, 48, 100])
def test_unet_rejects_sizes_that_are_not_powers_of_two_from_32(size):
    with pytest.raises(GanforgeError, match="power-of-two"):
        build_translator("unet", 3, 3, size, {"width": 4})


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("upsample", ["resize", "transpose"])
def test_resnet_translator_shapes(size, upsample):
    net = build_translator("resnet", 3, 1, size, {"width": 4, "blocks": 2, "upsample": upsample})
    assert net(torch.randn(2, 3, size, size)).shape == (2, 1, size, size)


@pytest.mark.parametrize("down_layers,bottleneck", [(0, 32), (1, 16), (2, 8)])
def test_resnet_translator_down_layers_set_the_resolution_of_its_blocks(down_layers, bottleneck):
    net = build_translator("resnet", 1, 1, 32, {"width": 4, "blocks": 1, "down_layers": down_layers})
    seen = []
    block = next(m for m in net.modules() if type(m).__name__ == "ResidualBlock")
    block.register_forward_hook(lambda m, args, out: seen.append(tuple(out.shape)))
    assert net(torch.randn(2, 1, 32, 32)).shape == (2, 1, 32, 32)
    assert seen == [(2, 4 * 2**down_layers, bottleneck, bottleneck)]  # channels double per downsampling
    with pytest.raises(GanforgeError, match="down_layers"):
        build_translator("resnet", 1, 1, 32, {"down_layers": 3})


def test_resnet_translator_uses_reflect_padding_and_instance_norm():
    net = build_translator("resnet", 3, 3, 32, {"width": 4, "blocks": 1})
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.padding_mode == "reflect" for c in convs)
    assert any(isinstance(m, torch.nn.InstanceNorm2d) for m in net.modules())


def test_unknown_translator_option_lists_valid_ones():
    with pytest.raises(GanforgeError, match="valid options: .*width"):
        build_translator("unet", 3, 3, 32, {"widht": 4})
    assert set(TRANSLATORS.names()) >= {"unet", "resnet"}


def test_translators_are_deterministic_in_eval_mode():
    net = build_translator("unet", 3, 3, 32, {"width": 4}).eval()
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(net(x), net(x))


@pytest.mark.parametrize("n_layers,field", [(1, 16), (2, 34), (3, 70), (4, 142)])
def test_patchgan_receptive_field_is_the_analytic_value(n_layers, field):
    assert receptive_field(PatchDiscriminator(3, width=4, n_layers=n_layers)) == field


def test_patchgan_output_depends_on_exactly_its_receptive_field():
    """The gradient of one central logit is non-zero on a field x field window and zero outside."""
    torch.manual_seed(0)
    net = PatchDiscriminator(1, width=4, n_layers=2, norm="none")
    x = torch.randn(1, 1, 96, 96, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    support = x.grad[0, 0].abs() > 0
    rows, cols = support.any(1).nonzero(), support.any(0).nonzero()
    assert int(rows.max() - rows.min() + 1) == receptive_field(net) == 34
    assert int(cols.max() - cols.min() + 1) == 34


@pytest.mark.parametrize("size,n_layers,out", [(32, 3, 2), (64, 3, 6), (64, 2, 14), (256, 3, 30)])
def test_patchgan_map_shape(size, n_layers, out):
    d = PatchDiscriminator(6, width=4, n_layers=n_layers, spectral_norm=True)
    assert d(torch.randn(2, 6, size, size)).shape == (2, 1, out, out)


def test_patchgan_rejects_zero_layers():
    with pytest.raises(GanforgeError, match="n_layers"):
        PatchDiscriminator(3, n_layers=0)
