"""Cutout (every method's ``cutout`` option): a background square at a random place of each augmented image."""

import pytest
import torch

from ganforge.classify import options_for, run_method
from ganforge.classify.data import Augment
from ganforge.errors import GanforgeError

TINY_NET = {"hidden": [32, 16]}
FAST = {"ssl-gan": {"steps": 6, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16},
        "baseline": {"steps": 6, "batch_size": 8}}


def test_cutout_sets_one_background_square_per_image():
    x = torch.ones(64, 1, 28, 28)  # all ink: every cut pixel shows
    torch.manual_seed(0)
    out = Augment(0, False, cutout=0.5)(x)
    cut = out == -1.0
    assert torch.all((out == 1.0) | cut)  # only the background value is written, nothing in between
    per_image = cut.flatten(1).sum(1)
    assert per_image.max() == 14 * 14 and per_image.min() > 0  # a 14 x 14 square, clipped at the border
    rows, cols = cut[:, 0].any(2), cut[:, 0].any(1)  # (B, H), (B, W): the square's rows and columns
    assert torch.equal(per_image, rows.sum(1) * cols.sum(1))  # a rectangle, not scattered pixels
    assert len({tuple(r.nonzero().flatten().tolist()) for r in rows}) > 10  # at varied places


def test_zero_cutout_draws_nothing_and_changes_nothing():
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    torch.manual_seed(5)
    state = torch.get_rng_state()
    assert torch.equal(Augment(0, False, cutout=0.0)(x), x)
    assert torch.equal(torch.get_rng_state(), state)  # runs without cutout repeat exactly


def _head(tiny_data, method, **options) -> torch.Tensor:
    train, test = tiny_data
    return run_method(train, test, method, 8, 0, {**FAST[method], **options}, net=TINY_NET).model.net.head.v.detach()


@pytest.mark.parametrize("method", ["baseline", "ssl-gan"])
def test_cutout_option_changes_training_and_zero_is_off(tiny_data, method):
    plain = _head(tiny_data, method)
    assert torch.equal(plain, _head(tiny_data, method, cutout=0.0))
    assert not torch.allclose(plain, _head(tiny_data, method, cutout=0.5))


def test_cutout_is_recorded_with_the_model(tiny_data):
    train, test = tiny_data
    result = run_method(train, test, "baseline", 8, 0, {"steps": 2, "batch_size": 8, "cutout": 0.5}, net=TINY_NET)
    assert result.model.meta["augment"]["cutout"] == 0.5
    assert result.model.meta["options"]["cutout"] == 0.5


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_bad_cutout_is_refused(bad):
    with pytest.raises(GanforgeError, match="cutout"):
        options_for("ssl-gan", {"cutout": bad})
