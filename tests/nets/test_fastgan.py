"""FastGAN nets: shapes at every resolution, skip-layer excitation, the reconstruction head and its gradients."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets import ARCHS
from ganforge.nets.fastgan import (FastGANDiscriminator, FastGANGenerator, SkipExcitation, quadrant,
                                   reconstruction_targets)


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_at_every_resolution(size, channels):
    G = FastGANGenerator((channels, size, size), 16, width=4, max_channels=32)
    D = FastGANDiscriminator((channels, size, size), width=4, max_channels=32)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size) and x.abs().max() <= 1.0
    assert D(x).shape == (3,) and D.features(x).shape == (3, D.feature_dim)
    D.eval()  # frozen batch-norm statistics and spectral-norm vectors: two passes agree
    logits, whole, part = D.reconstruct(x, 2)
    assert torch.allclose(logits, D(x), atol=1e-6)
    half = (3, channels, size // 2, size // 2)
    assert whole.shape == part.shape == half
    assert tuple(t.shape for t in reconstruction_targets(x, 2)) == (half, half)


def test_registered_and_sle_wired_where_the_paper_puts_it():
    assert ARCHS.get("fastgan").generator is FastGANGenerator
    G = FastGANGenerator((3, 128, 128), 8, width=4, max_channels=32)
    assert sorted(map(int, G.sle)) == [32, 64, 128]  # fed from 4, 8, 16
    D = FastGANDiscriminator((3, 128, 128), width=4, max_channels=32)
    assert sorted(map(int, D.sle)) == [4, 8]  # fed from 32, 64


def test_two_conv_blocks_only_at_odd_powers_of_two():
    paper = FastGANGenerator((3, 64, 64), 8, width=4)
    light = FastGANGenerator((3, 64, 64), 8, width=4, two_conv_blocks=False)
    convs = lambda block: sum(isinstance(m, torch.nn.Conv2d) for m in block.modules())  # noqa: E731
    assert {s: convs(b) for s, b in paper.ups.items()} == {"8": 2, "16": 1, "32": 2, "64": 1}
    assert {convs(b) for b in light.ups.values()} == {1}


def test_skip_excitation_gates_each_channel_from_the_coarse_map():
    sle = SkipExcitation(6, 5)
    coarse, fine = torch.randn(2, 6, 4, 4, requires_grad=True), torch.randn(2, 5, 16, 16, requires_grad=True)
    out = sle(coarse, fine)
    ratio = out / fine
    # one gate in (0, 1) per sample and channel, the same at every pixel
    assert torch.allclose(ratio, ratio[..., :1, :1].expand_as(ratio), atol=1e-5)
    assert (ratio > 0).all() and (ratio < 1).all()
    out.square().sum().backward()
    assert coarse.grad.abs().sum() > 0 and fine.grad.abs().sum() > 0  # the skip path carries gradients
    other = sle(torch.randn(2, 6, 4, 4), fine)
    assert not torch.allclose(other, out)  # the gate depends on the coarse map


def test_generator_sle_gradient_reaches_the_4x4_map():
    G = FastGANGenerator((3, 32, 32), 8, width=4, max_channels=32)
    G(torch.randn(4, 8)).sum().backward()
    gate_conv = G.sle["32"].gate[1]
    assert gate_conv.weight.grad is not None and gate_conv.weight.grad.abs().sum() > 0


def test_reconstruction_head_gradients_reach_decoders_and_trunk_not_head():
    D = FastGANDiscriminator((3, 64, 64), width=4, max_channels=32)
    x = torch.rand(4, 3, 64, 64) * 2 - 1
    _, whole, part = D.reconstruct(x, 1)
    target_whole, target_part = reconstruction_targets(x, 1)
    ((whole - target_whole).abs().mean() + (part - target_part).abs().mean()).backward()
    grads = {name: p.grad for name, p in D.named_parameters()}
    decoders = [g for n, g in grads.items() if n.startswith(("decode_whole", "decode_part"))]
    assert decoders and all(g is not None and g.abs().sum() > 0 for g in decoders)
    assert grads["from_image.0.parametrizations.weight.original"].abs().sum() > 0  # the trunk learns from it
    assert all(g is None for n, g in grads.items() if n.startswith(("head", "out")))  # the logit path does not


def test_quadrants_tile_the_image():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    parts = [quadrant(x, i) for i in range(4)]
    top, bottom = torch.cat(parts[:2], dim=3), torch.cat(parts[2:], dim=3)
    assert torch.equal(torch.cat([top, bottom], dim=2), x)
    with pytest.raises(ValueError):
        quadrant(x, 4)


def _map_channels(G: FastGANGenerator) -> dict[int, int]:
    """{size: channels} of G's maps, read from each up-block's output (GLU halves the conv's channels)."""
    convs = {int(s): [m for m in b.modules() if isinstance(m, torch.nn.Conv2d)][-1] for s, b in G.ups.items()}
    return {s: c.out_channels // 2 for s, c in convs.items()}


def test_channel_overrides_narrow_only_the_named_maps():
    plain = FastGANGenerator((3, 64, 64), 8, width=4, max_channels=64, two_conv_blocks=False)
    thin = FastGANGenerator((3, 64, 64), 8, width=4, max_channels=64, two_conv_blocks=False,
                            channels={"32": 4, 64: 2})  # string keys: as a config read back from JSON
    assert _map_channels(plain) == {8: 32, 16: 16, 32: 8, 64: 4}
    assert _map_channels(thin) == {8: 32, 16: 16, 32: 4, 64: 2}
    assert thin.to_image[0].in_channels == 2 and thin.sle["64"].gate[1].out_channels == 2
    assert thin(torch.randn(2, 8)).shape == (2, 3, 64, 64)
    assert sum(p.numel() for p in thin.parameters()) < sum(p.numel() for p in plain.parameters())


def test_channel_overrides_survive_the_json_a_saved_run_keeps():
    """A run's meta is JSON (int keys come back as strings): the rebuilt G takes the saved weights as they are."""
    import json

    from ganforge.nets import build_generator

    spec = {"arch": "fastgan", "shape": [3, 64, 64], "z_dim": 8, "g": {"width": 4, "channels": {64: 2}}}
    saved, rebuilt = build_generator(spec), build_generator(json.loads(json.dumps(spec)))
    rebuilt.load_state_dict(saved.state_dict())  # strict: every shape matches
    assert _map_channels(rebuilt)[64] == 2


@pytest.mark.parametrize("channels", [{4: 8}, {128: 8}, {64: 0}])
def test_bad_channel_overrides_are_a_clear_error(channels):
    with pytest.raises(GanforgeError, match="g.channels must map"):
        FastGANGenerator((3, 64, 64), 8, width=4, channels=channels)


@pytest.mark.parametrize("shape", [(3, 48, 48), (3, 64, 32), (2,)])
def test_unsupported_shapes_are_a_clear_error(shape):
    with pytest.raises(GanforgeError, match="set data.resolution"):
        FastGANGenerator(shape, 8)
    with pytest.raises(GanforgeError, match="set data.resolution"):
        FastGANDiscriminator(shape)


def test_group_label_reaches_every_generator_block():
    """Conditional batch norm replaces every BN of the FastGAN G; each one alone changes the picture with the label."""
    from ganforge.nets.conditional import ConditionalGenerator
    from ganforge.nn.conditional_norm import ConditionalBatchNorm

    torch.manual_seed(0)
    plain = FastGANGenerator((3, 64, 64), 8, width=4, max_channels=32, two_conv_blocks=False)
    G = ConditionalGenerator(FastGANGenerator, (3, 64, 64), 8, 3, "cbn", width=4, max_channels=32,
                             two_conv_blocks=False).eval()
    cbns = [m for m in G.net.modules() if isinstance(m, ConditionalBatchNorm)]
    assert len(cbns) == sum(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules()) == 5  # init + 4 up-blocks
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m.affine for m in G.net.modules())  # only CBN inners
    z, labels = torch.randn(2, 8), torch.tensor([0, 1])
    with torch.no_grad():
        for cbn in cbns:  # a shift for group 1 in this block only: group 1's picture moves, group 0's does not
            before = G(z, labels)
            cbn.beta.weight[1] += 0.5
            after = G(z, labels)
            cbn.beta.weight[1] -= 0.5
            assert torch.allclose(before[0], after[0]) and not torch.allclose(before[1], after[1])


def test_projection_discriminator_logit_depends_on_the_label():
    from ganforge.nets.conditional import ConditionalDiscriminator

    torch.manual_seed(0)
    D = ConditionalDiscriminator(FastGANDiscriminator, (3, 64, 64), 3, "projection", width=4, max_channels=32)
    with torch.no_grad():
        D.net(torch.rand(8, 3, 64, 64) * 2 - 1)  # a train-mode pass: spectral norm's power iteration, BN statistics
    D.eval()
    x = torch.rand(1, 3, 64, 64).expand(3, -1, -1, -1) * 2 - 1  # one image asked as each of the 3 groups
    with torch.no_grad():
        logits, plain, h = D(x, torch.arange(3)), D.net(x), D.net.features(x)
    assert logits.shape == (3,) and not torch.allclose(logits[0], logits[1])
    assert torch.allclose(logits - plain, (D.embed.weight * h).sum(1), rtol=1e-4, atol=1e-5)
