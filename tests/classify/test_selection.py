"""The labelled subset: balanced per class, fixed by the seed, clear errors for impossible sizes."""

import pytest
import torch

from ganforge.classify.data import Augment, check_label_count, make_split, select_labelled
from ganforge.errors import GanforgeError


def test_balanced_and_deterministic(tiny_data):
    train, _ = tiny_data
    index, y, read = select_labelled(train.y, 4, 20, seed=3)
    assert len(index) == 20 and len(set(index.tolist())) == 20
    assert torch.equal(y, train.y[index])
    assert torch.bincount(y, minlength=4).tolist() == [5, 5, 5, 5]
    assert 20 <= read < len(train)
    again = select_labelled(train.y, 4, 20, seed=3)
    assert torch.equal(again[0], index) and again[2] == read
    other = select_labelled(train.y, 4, 20, seed=4)[0]
    assert not torch.equal(other, index)


def test_split_gives_unlabelled_images_only(tiny_data):
    train, _ = tiny_data
    split = make_split(train, 8, seed=0)
    assert split.labelled_x.shape == (8, 1, 28, 28) and split.labelled_x.dtype == torch.uint8
    assert torch.equal(split.labelled_x, train.x[split.labelled_index])
    assert split.unlabelled_x.shape == train.x.shape  # every training image, without labels


@pytest.mark.parametrize("labels, message", [(10, "multiple of the number of classes"), (0, "multiple"),
                                             (164, "more than the 160"), (-4, "multiple")])
def test_bad_label_counts(labels, message):
    with pytest.raises(GanforgeError, match=message):
        check_label_count(labels, 4, 160)


def test_class_too_small():
    y = torch.tensor([0] * 10 + [1] * 2)
    with pytest.raises(GanforgeError, match="fewer than 3"):
        select_labelled(y, 2, 6, seed=0)


def test_augment_shifts_and_flips():
    x = torch.full((3, 1, 8, 8), -1.0)
    x[:, :, 3, 4] = 1.0  # one bright pixel
    assert torch.equal(Augment(0, False)(x), x)
    out = Augment(2, False)(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and (out == 1.0).sum() == 3 and (out == -1.0).sum() == 3 * 63  # moved, not lost
    flipped = Augment(0, True)(x, torch.Generator().manual_seed(1))
    rows = flipped[:, 0, 3]
    assert all(r[4] == 1.0 or r[3] == 1.0 for r in rows)
    assert Augment.for_source("mnist").flip is False and Augment.for_source("fashion-mnist").flip is True
