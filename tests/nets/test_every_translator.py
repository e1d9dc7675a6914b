"""Every registered translator network, whatever its name: images (B, C_in, S, S) -> (B, C_out, S, S) in [-1, 1],
its options checked by name, and a translator registered tomorrow is covered with no new test code."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets import options_of
from ganforge.nets.translation import TRANSLATORS, build_translator

SIZE = 32  # the smallest size every translator accepts (U-Net: a power of two from 32)


def _tiny(name: str) -> dict:
    """The narrowest options the translator has (width 4, one residual block)."""
    options = options_of(TRANSLATORS.get(name))
    return {k: v for k, v in {"width": 4, "blocks": 1}.items() if k in options}


@pytest.mark.parametrize("name", TRANSLATORS.names())
def test_translator_maps_images_to_images_in_model_range(name):
    torch.manual_seed(0)
    net = build_translator(name, 1, 3, SIZE, _tiny(name))
    x = torch.rand(2, 1, SIZE, SIZE) * 2 - 1
    y = net(x)
    assert y.shape == (2, 3, SIZE, SIZE) and torch.isfinite(y).all() and y.abs().max() <= 1
    y.mean().backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", TRANSLATORS.names())
def test_translator_refuses_an_unknown_option_and_lists_the_valid_ones(name):
    with pytest.raises(GanforgeError, match="width"):
        build_translator(name, 3, 3, SIZE, {"widht": 4})
