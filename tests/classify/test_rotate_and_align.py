"""Rotation / zoom augmentation (every method) and ssl-gan's distribution alignment of pseudo-labels."""

import pytest
import torch

from ganforge.classify import options_for, run_method
from ganforge.classify.data import Augment
from ganforge.classify.ssl_gan import ClassShares
from ganforge.errors import GanforgeError

TINY_NET = {"hidden": [32, 16]}
FAST = {"steps": 6, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16}


def _bar() -> torch.Tensor:
    x = torch.full((2, 1, 28, 28), -1.0)
    x[:, :, 6:22, 13:15] = 1.0  # a vertical bar through the centre
    return x


def test_rotation_turns_the_image_and_keeps_the_background_black():
    x = _bar()
    out = Augment(0, False, rotate=90.0)(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= -1.0 - 1e-6 and out.max() <= 1.0 + 1e-6
    assert torch.all(out[:, :, :3, :] == -1.0) and torch.all(out[:, :, :, :3] == -1.0)  # padding is background
    assert not torch.allclose(out, x)
    # the same generator state gives the same turn (the runs repeat)
    assert torch.equal(out, Augment(0, False, rotate=90.0)(x, torch.Generator().manual_seed(0)))


def test_zero_rotation_and_zoom_draw_nothing_and_change_nothing():
    x = _bar()
    gen = torch.Generator().manual_seed(3)
    state = gen.get_state()
    assert torch.equal(Augment(0, False, rotate=0.0, scale=0.0)(x, gen), x)
    assert torch.equal(gen.get_state(), state)  # no random numbers drawn: runs without it repeat exactly


def test_zoom_alone_resizes_about_the_centre():
    x = _bar()
    out = Augment(0, False, scale=0.5)(x, torch.Generator().manual_seed(1))
    assert not torch.allclose(out, x)
    ink_rows = (out[0, 0] > 0).any(1).nonzero().flatten()
    assert abs((ink_rows.min() + ink_rows.max()).item() / 2 - 13.5) <= 1.0  # still centred


def _head(tiny_data, method="ssl-gan", **options) -> torch.Tensor:
    train, test = tiny_data
    fast = FAST if method == "ssl-gan" else {"steps": 6, "batch_size": 8}
    return run_method(train, test, method, 8, 0, {**fast, **options}, net=TINY_NET).model.net.head.v.detach()


@pytest.mark.parametrize("method", ["baseline", "ssl-gan"])
def test_rotate_option_changes_training_and_zero_is_off(tiny_data, method):
    plain = _head(tiny_data, method)
    assert torch.equal(plain, _head(tiny_data, method, rotate=0.0, scale=0.0))
    assert not torch.allclose(plain, _head(tiny_data, method, rotate=15.0, scale=0.1))


def test_rotation_is_recorded_with_the_model(tiny_data):
    train, test = tiny_data
    result = run_method(train, test, "baseline", 8, 0, {"steps": 2, "batch_size": 8, "rotate": 10.0}, net=TINY_NET)
    assert result.model.meta["augment"]["rotate"] == 10.0


def test_bad_rotate_and_scale_are_refused():
    with pytest.raises(GanforgeError, match="rotate"):
        options_for("baseline", {"rotate": -1.0})
    with pytest.raises(GanforgeError, match="scale"):
        options_for("ssl-gan", {"scale": 1.0})


def test_alignment_holds_an_over_predicted_class_to_its_share():
    shares = ClassShares(torch.tensor([0, 1, 2, 3] * 5), 4)  # balanced labels: target 1/4 each
    skewed = torch.tensor([[0.7, 0.1, 0.1, 0.1]]).repeat(8, 1)  # the teacher favours class 0 everywhere
    for _ in range(1000):
        aligned = shares.align(skewed)
    assert torch.allclose(shares.mean, skewed[0], atol=1e-3)  # the running mean learnt the teacher's bias
    assert torch.allclose(aligned.sum(1), torch.ones(8))
    assert torch.allclose(aligned[0], torch.full((4,), 0.25), atol=1e-3)  # the bias is divided out


def test_alignment_target_is_the_given_labels_class_shares():
    shares = ClassShares(torch.tensor([0, 0, 0, 1]), 3)
    assert torch.allclose(shares.target, torch.tensor([0.75, 0.25, 0.0]))
    uniform = torch.full((2, 3), 1 / 3)
    assert torch.allclose(shares.align(uniform)[:, 2], torch.zeros(2))  # a class no label shows gets nothing


def test_distribution_alignment_changes_training_and_off_is_the_default(tiny_data):
    on = {"consistency_weight": 1.0, "confidence": 0.3}
    plain = _head(tiny_data, **on)
    assert torch.equal(plain, _head(tiny_data, **on, distribution_alignment=False))
    assert not torch.allclose(plain, _head(tiny_data, **on, distribution_alignment=True))
