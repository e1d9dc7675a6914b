"""Every registered way of feeding labels to G and D, whatever its name, on images and on points."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets import ARCHS
from ganforge.nets.conditional import D_CONDITIONING, G_CONDITIONING, ConditionalDiscriminator, ConditionalGenerator

CASES = {"images": ("dcgan", (1, 16, 16), {"width": 8}), "points": ("mlp", (2,), {"hidden": [16]})}


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize("how", G_CONDITIONING.names())
def test_generator_conditioning_makes_the_shape_and_depends_on_the_label(how, kind):
    arch, shape, kwargs = CASES[kind]
    if how == "cbn" and kind == "points":
        kwargs = {**kwargs, "norm": "batch"}  # conditional batch norm needs batch norms to replace
    torch.manual_seed(0)
    g = ConditionalGenerator(ARCHS.get(arch).generator, shape, 8, num_classes=3, conditioning=how, **kwargs).eval()
    with torch.no_grad():  # label-dependent parameters start neutral (CBN: scale 1, shift 0); make them differ
        for p in g.parameters():
            p.add_(0.3 * torch.randn_like(p))
    z = torch.randn(4, 8)
    a, b = g(z, torch.zeros(4, dtype=torch.long)), g(z, torch.full((4,), 2))
    assert a.shape == (4, *shape) and not torch.allclose(a, b)


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize("how", D_CONDITIONING.names())
def test_discriminator_conditioning_gives_one_logit_per_sample(how, kind):
    arch, shape, kwargs = CASES[kind]
    torch.manual_seed(0)
    d = ConditionalDiscriminator(ARCHS.get(arch).discriminator, shape, num_classes=3, mode=how, **kwargs).eval()
    x = torch.randn(4, *shape)
    logits = d(x, torch.tensor([0, 1, 2, 0]))
    assert logits.shape == (4,) and torch.isfinite(logits).all()


def test_unknown_conditioning_suggests_a_name():
    with pytest.raises(GanforgeError, match="Did you mean 'projection'"):
        ConditionalDiscriminator(ARCHS.get("mlp").discriminator, (2,), 3, mode="projektion")
    with pytest.raises(GanforgeError, match="Unknown generator conditioning"):
        ConditionalGenerator(ARCHS.get("mlp").generator, (2,), 8, 3, conditioning="film")
