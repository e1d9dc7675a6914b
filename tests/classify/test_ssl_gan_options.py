"""ssl-gan's options change what it trains on: unlabelled augmentation and the entropy term."""

import torch

from ganforge.classify import run_method
from ganforge.classify.data import Augment

TINY_NET = {"hidden": [32, 16]}
FAST = {"steps": 6, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16}
REAL_AUGMENT = Augment.__call__


def _augmented_batch_sizes(tiny_data, monkeypatch, **options) -> list[int]:
    sizes = []

    def counting_call(self, x, gen=None):
        sizes.append(len(x))
        return REAL_AUGMENT(self, x, gen)

    monkeypatch.setattr(Augment, "__call__", counting_call)
    train, test = tiny_data
    run_method(train, test, "ssl-gan", 8, 0, {**FAST, **options}, net=TINY_NET)
    return sizes


def test_unsup_augment_shifts_the_unlabelled_batches_too(tiny_data, monkeypatch):
    off = _augmented_batch_sizes(tiny_data, monkeypatch)
    on = _augmented_batch_sizes(tiny_data, monkeypatch, unsup_augment=True)
    assert off == [8] * 6  # labelled batches only
    assert sorted(on) == sorted([8] * 6 + [16] * 12)  # + the D step's and the G step's unlabelled batches


def _head(tiny_data, **options) -> torch.Tensor:
    train, test = tiny_data
    return run_method(train, test, "ssl-gan", 8, 0, {**FAST, **options}, net=TINY_NET).model.net.head.v.detach()


def test_entropy_weight_changes_training_and_zero_is_off(tiny_data):
    plain = _head(tiny_data)
    assert torch.equal(plain, _head(tiny_data, entropy_weight=0.0))
    assert not torch.allclose(plain, _head(tiny_data, entropy_weight=1.0))
