"""No label outside the labelled subset is used: the guarantee other SSL-GAN code lacked.

Three checks, for every registered method:
1. a label object that records every index read shows that the selection
   reads labels one by one along the seeded order and stops at the last
   chosen image; the read indices that were not chosen belong to classes
   already full when they were read; methods never touch the object;
2. shuffling the labels that were not read, and then poisoning half of them
   (-1, which would crash cross-entropy or the selection if read), changes
   nothing, bit for bit: same subset, same weights, same accuracy.
"""

import dataclasses

import pytest
import torch

from ganforge.classify import METHODS, run_method
from ganforge.classify.base import Method
from ganforge.data.base import Dataset

TINY_NET = {"hidden": [32, 16]}
TINY_CNN = {"arch": "cnn", "channels": [4, 8]}  # every check again with the conv classifier
FAST = {
    "baseline": {"steps": 4, "batch_size": 8},
    "ssl-gan": {"steps": 4, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16},
    "gan-augment": {"steps": 4, "batch_size": 8, "gan_steps": 2, "gan_batch": 8, "gan_width": 4, "z_dim": 4,
                    "generated_per_class": 4},
}
# Every method with its tiny options, plus ssl-gan with its pseudo-labels on (they label unlabelled images:
# the test shows they come from the net, not from a label the method was not given).
CASES = [(name, FAST[name]) for name in METHODS.names()] + [
    ("ssl-gan", {**FAST["ssl-gan"], "consistency_weight": 1.0, "confidence": 0.3, "unsup_augment": True}),
    # + distribution alignment (it reads the class shares of the given labels, and only those), rotation and cutout
    ("ssl-gan", {**FAST["ssl-gan"], "consistency_weight": 1.0, "confidence": 0.3, "unsup_augment": True,
                 "distribution_alignment": True, "rotate": 15.0, "scale": 0.1, "cutout": 0.5}),
    # + the conv generator (conv_generator.py) in place of the MLP one
    ("ssl-gan", {**FAST["ssl-gan"], "generator": "conv", "g_channels": 8, "consistency_weight": 1.0, "confidence": 0.3,
                 "distribution_alignment": True})]


class RecordingLabels:
    """Labels that remember every index read; only len() and [int] are allowed."""

    def __init__(self, y: torch.Tensor) -> None:
        self.y, self.read = y, []

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        if not isinstance(i, int):
            raise AssertionError(f"labels read in bulk ({type(i).__name__}); only single reads are expected")
        self.read.append(i)
        return self.y[i]


def _dataset(base: Dataset, y) -> Dataset:
    d = Dataset(x=base.x, y=None, class_names=base.class_names, source=base.source)
    d.y = y  # bypass the length check's tensor assumptions: any indexable works
    return d


def _run(train, test, method, options, tmp_path, tag, net=TINY_NET):
    return run_method(train, test, method, 8, seed=1, options=options, net=net, work_dir=tmp_path / tag)


def _weights(result):
    return {k: v.clone() for k, v in result.model.net.state_dict().items()}


@pytest.mark.parametrize("net", [TINY_NET, TINY_CNN], ids=["mlp", "cnn"])
@pytest.mark.parametrize("method,options", CASES)
def test_only_the_subset_labels_reach_training(tiny_data, tmp_path, method, options, net, monkeypatch):
    train, test = tiny_data
    seen = {}
    real_fit = METHODS.get(method).fit

    def spying_fit(self, *args, **kwargs):
        assert not kwargs and len(args) == 3  # (labelled_x, labelled_y, unlabelled_x): nothing else
        seen["labelled_y"], seen["unlabelled"] = args[1].clone(), args[2]
        return real_fit(self, *args)

    monkeypatch.setattr(METHODS.get(method), "fit", spying_fit)

    recorder = RecordingLabels(train.y)
    first = _run(_dataset(train, recorder), test, method, options, tmp_path, "real", net)
    chosen = set(first.labelled_index)
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(1)).tolist()

    # 1. reads = a prefix of the seeded order, ending at the last chosen image, each index once
    assert recorder.read == order[: len(recorder.read)]
    assert recorder.read[-1] in chosen and chosen <= set(recorder.read)
    assert first.labels_read == len(recorder.read) < len(train)
    counts = [0] * 4
    for i in recorder.read:  # every set-aside label belonged to a full class
        k = int(train.y[i])
        assert (i in chosen) == (counts[k] < 2)
        counts[k] += i in chosen
    assert torch.equal(seen["labelled_y"], train.y[first.labelled_index])
    assert isinstance(seen["unlabelled"], torch.Tensor) and seen["unlabelled"].dtype == torch.uint8

    # 2. labels never read: shuffled, then half of them poisoned; the result is identical
    unread = torch.tensor(sorted(set(range(len(train))) - set(recorder.read)))
    gen = torch.Generator().manual_seed(7)
    other_y = train.y.clone()
    other_y[unread] = train.y[unread][torch.randperm(len(unread), generator=gen)]
    other_y[unread[torch.randperm(len(unread), generator=gen)[: len(unread) // 2]]] = -1
    assert (other_y[unread] != train.y[unread]).float().mean() > 0.5
    other = _run(_dataset(train, RecordingLabels(other_y)), test, method, options, tmp_path, "other", net)
    assert other.labelled_index == first.labelled_index
    assert other.test_accuracy == first.test_accuracy
    w1, w2 = _weights(first), _weights(other)
    assert all(torch.equal(w1[k], w2[k]) for k in w1), "weights differ when unread labels change"


def test_methods_take_no_label_argument_for_unlabelled_images():
    import inspect

    for name in METHODS.names():
        params = list(inspect.signature(METHODS.get(name).fit).parameters)
        assert params == ["self", "labelled_x", "labelled_y", "unlabelled_x"], name
    assert dataclasses.is_dataclass(Method.Options)
