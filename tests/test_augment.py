"""DiffAugment: shapes, per-sample randomness, reproducibility, differentiability, 1 and 3 channels."""

import pytest
import torch

from ganforge.augment import AUGMENTS, POLICY_GROUPS, diff_augment, parse_policy
from ganforge.errors import GanforgeError

FULL = "color,translation,cutout"
OPS = sorted(AUGMENTS.names())


def images(channels: int, batch: int = 4, size: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, channels, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("policy", OPS + [FULL])
def test_shape_and_dtype_are_kept(policy, channels):
    x = images(channels)
    y = diff_augment(x, policy)
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("policy", OPS + [FULL])
def test_gradients_flow_to_the_images(policy, channels):
    x = images(channels).requires_grad_(True)
    weights = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    (diff_augment(x, policy) * weights).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("channels", [1, 3])
def test_gradcheck_with_a_fixed_transform(channels):
    # With the RNG re-seeded on each call the transform is fixed, so autograd must match finite differences.
    x = images(channels, batch=2, size=6).double().requires_grad_(True)

    def fixed(x):
        torch.manual_seed(3)
        return diff_augment(x, FULL)

    assert torch.autograd.gradcheck(fixed, (x,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("policy", OPS + [FULL])
def test_same_seed_same_output_other_seed_other_output(policy):
    x = images(3, batch=8)
    torch.manual_seed(0)
    a = diff_augment(x, policy)
    torch.manual_seed(0)
    b = diff_augment(x, policy)
    torch.manual_seed(1)
    c = diff_augment(x, policy)
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("policy", OPS)
def test_each_sample_gets_its_own_transform(policy):
    x = images(3, batch=1, size=16).expand(16, 3, 16, 16).contiguous()
    torch.manual_seed(0)
    y = diff_augment(x, policy)
    assert len({tuple(row.tolist()) for row in y.flatten(1)}) > 1


def test_saturation_is_identity_on_one_channel_and_brightness_contrast_are_not():
    x = images(1)
    assert torch.allclose(diff_augment(x, "saturation"), x)
    assert not torch.allclose(diff_augment(x, "brightness"), x)
    assert not torch.allclose(diff_augment(x, "contrast"), x)


def test_color_ops_hand_values():
    x = torch.tensor([[[[0.0, 1.0]], [[0.5, -0.5]]]])  # (1, 2, 1, 2)
    torch.manual_seed(0)
    u = torch.rand(1).item()
    torch.manual_seed(0)
    assert torch.allclose(AUGMENTS.get("brightness")(x), x + (u - 0.5))
    torch.manual_seed(0)
    mean = x.mean(1, keepdim=True)  # per-pixel channel mean
    assert torch.allclose(AUGMENTS.get("saturation")(x), (x - mean) * (2 * u) + mean)
    torch.manual_seed(0)
    assert torch.allclose(AUGMENTS.get("contrast")(x), (x - x.mean()) * (u + 0.5) + x.mean())


def test_translation_is_a_zero_filled_shift_within_an_eighth_of_the_size():
    x = images(2, batch=16, size=16) + 3.0  # no zeros in the input
    torch.manual_seed(0)
    y = diff_augment(x, "translation")
    shifts = set()
    for xi, yi in zip(x, y):
        found = []
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                expected = torch.zeros_like(xi)
                # output (i, j) = input (i + dy, j + dx)
                expected[:, max(0, -dy):16 - max(0, dy), max(0, -dx):16 - max(0, dx)] = \
                    xi[:, max(0, dy):16 - max(0, -dy), max(0, dx):16 - max(0, -dx)]
                if torch.equal(expected, yi):
                    found.append((dy, dx))
        assert len(found) == 1
        shifts.add(found[0])
    assert len(shifts) > 1


def test_cutout_zeroes_one_square_of_half_the_size():
    x = torch.ones(32, 3, 8, 8)
    torch.manual_seed(0)
    y = diff_augment(x, "cutout")
    for yi in y:
        hole = yi[0] == 0
        assert torch.equal(hole, (yi == 0).all(0))  # same hole in every channel
        rows, cols = hole.any(1).nonzero().flatten(), hole.any(0).nonzero().flatten()
        assert 1 <= len(rows) <= 4 and 1 <= len(cols) <= 4
        assert hole.sum() == len(rows) * len(cols)  # a (clipped) rectangle
        assert torch.equal(rows, torch.arange(rows[0], rows[-1] + 1))
    assert (y == 0).flatten(1).sum(1).max() == 3 * 16  # a full 4x4 square when it lies inside


def test_policy_parsing():
    assert parse_policy("") == []
    assert parse_policy("color, translation,cutout") == [*POLICY_GROUPS["color"], "translation", "cutout"]
    assert parse_policy("colour,brightness") == [*POLICY_GROUPS["color"], "brightness"]
    with pytest.raises(GanforgeError, match=r"Unknown DiffAugment op 'colr'.*color, contrast, cutout"):
        parse_policy("colr,cutout")


def test_points_are_refused():
    with pytest.raises(GanforgeError, match="works on images"):
        diff_augment(torch.zeros(4, 2), "translation")
    assert torch.equal(diff_augment(torch.ones(4, 2), ""), torch.ones(4, 2))
