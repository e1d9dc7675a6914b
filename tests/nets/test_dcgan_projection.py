"""DCGAN's first G layer run as a matmul (``LatentProjection``): the same maths, parameters and
checkpoint keys as the transposed convolution it replaces (issue 14, CPU speed)."""

import pytest
import torch
import torch.nn as nn

from ganforge.nets.dcgan import DCGANGenerator, LatentProjection


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
def test_the_projection_equals_the_transposed_conv_forward_and_backward(bias, memory_format):
    torch.manual_seed(0)
    conv = nn.ConvTranspose2d(16, 32, 4, 1, 0, bias=bias)
    proj = LatentProjection(16, 32, 4, 1, 0, bias=bias)
    proj.load_state_dict(conv.state_dict())
    conv, proj = conv.to(memory_format=memory_format), proj.to(memory_format=memory_format)
    z = torch.randn(5, 16, 1, 1, requires_grad=True)
    grad = torch.randn(5, 32, 4, 4)
    expected = conv(z)
    expected.backward(grad)
    expected_grads = [z.grad.clone()] + [p.grad.clone() for p in conv.parameters()]
    z.grad = None
    got = proj(z)
    got.backward(grad)
    torch.testing.assert_close(got, expected)
    for g, e in zip([z.grad] + [p.grad for p in proj.parameters()], expected_grads):
        torch.testing.assert_close(g, e)


def test_other_input_sizes_fall_back_to_the_convolution():
    proj = LatentProjection(4, 8, 3, 1, 0)
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(proj(x), nn.functional.conv_transpose2d(x, proj.weight, proj.bias))


def test_a_generator_saved_with_the_transposed_conv_loads_and_gives_the_same_images():
    torch.manual_seed(1)
    G = DCGANGenerator((3, 32, 32), 8, width=8).eval()
    old = DCGANGenerator((3, 32, 32), 8, width=8).eval()
    old.net[0] = nn.ConvTranspose2d(8, old.net[0].out_channels, 4, 1, 0, bias=False)  # the layer before this change
    old.load_state_dict(G.state_dict())  # same keys and shapes both ways
    z = torch.randn(4, 8)
    torch.testing.assert_close(G(z), old(z))
