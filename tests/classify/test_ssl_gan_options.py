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


def test_consistency_weight_changes_training_and_zero_is_off(tiny_data):
    plain = _head(tiny_data)
    assert torch.equal(plain, _head(tiny_data, consistency_weight=0.0))
    assert not torch.allclose(plain, _head(tiny_data, consistency_weight=1.0, confidence=0.3))


def test_a_confidence_nobody_reaches_gives_no_pseudo_labels(tiny_data):
    # confidence 1.0: a softmax over 4 classes in float32 stays below it here, so no image gets a
    # pseudo-label, the term is exactly 0 and training is that of consistency_weight=0
    assert torch.equal(_head(tiny_data), _head(tiny_data, consistency_weight=1.0, confidence=1.0))


def test_pseudo_labels_come_from_the_averaged_weights_with_noise_off():
    from ganforge.classify.base import Context, WeightAverage
    from ganforge.classify.net import ClassifierNet, NetSpec
    from ganforge.classify.ssl_gan import SemiSupervisedGAN

    spec = NetSpec(hidden=[32, 16], num_classes=4)
    opts = SemiSupervisedGAN.Options(consistency_weight=1.0, confidence=0.3)
    method = SemiSupervisedGAN(opts, Context(spec=spec, augment=Augment(), class_names=list("abcd")))
    torch.manual_seed(0)
    D, teacher = ClassifierNet(spec), ClassifierNet(spec)
    avg = WeightAverage(teacher, 0.5)  # the average holds the teacher's weights, not D's
    x = torch.rand(64, 1, 28, 28) * 2 - 1
    D.train()
    classes, confident = method.pseudo_labels(D, avg, x)
    expected = teacher.eval()(x).softmax(1)
    assert torch.equal(classes, expected.argmax(1))
    assert torch.equal(confident, expected.max(1).values >= 0.3)
    assert D.training  # D goes back to training mode (its noise on) for its own step
    assert torch.equal(method.pseudo_labels(D, avg, x)[0], classes)  # noise off: the same labels every call


def test_bad_consistency_options_are_refused():
    import pytest

    from ganforge.classify import options_for
    from ganforge.errors import GanforgeError

    with pytest.raises(GanforgeError, match="consistency_weight"):
        options_for("ssl-gan", {"consistency_weight": -1.0})
    with pytest.raises(GanforgeError, match="confidence"):
        options_for("ssl-gan", {"confidence": 0.0})
