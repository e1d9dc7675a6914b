"""The shared training pieces: the learning-rate schedule and the weight average used for evaluation."""

import pytest
import torch

from ganforge.classify import options_for, run_method
from ganforge.classify.base import METHODS, Context, WeightAverage
from ganforge.classify.data import Augment
from ganforge.classify.net import NetSpec
from ganforge.errors import GanforgeError

TINY_NET = {"hidden": [32, 16]}
FAST = {
    "baseline": {"steps": 12, "batch_size": 8},
    "ssl-gan": {"steps": 12, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16},
}


def _method(name: str, **options):
    ctx = Context(spec=NetSpec(hidden=[8]), augment=Augment(), class_names=["a", "b"])
    return METHODS.get(name)(options_for(name, options), ctx)


def test_lr_is_constant_then_falls_linearly_to_zero():
    m = _method("baseline", steps=10, lr=1.0, decay_from=0.5)
    assert [m.lr_at(s) for s in range(10)] == pytest.approx([1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2])
    paper = _method("baseline", steps=300, lr=0.003)  # default: the last third, as the paper's 300 epochs
    assert paper.lr_at(200) == pytest.approx(0.003) and paper.lr_at(250) == pytest.approx(0.0015)
    assert paper.lr_at(299) == pytest.approx(0.003 / 100)


def test_decay_from_is_checked():
    with pytest.raises(GanforgeError, match="decay_from"):
        options_for("baseline", {"decay_from": 1.0})


def test_weight_average_by_hand():
    """decay_t = min(decay, (1 + t) / (10 + t)): 2/11, 3/12, 4/13 for the first three updates."""
    net = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(0.0)
        avg = WeightAverage(net, decay=0.5)
        for v in (1.0, 3.0, 5.0):
            net.weight.fill_(v)
            avg.update(net)
    expected = ((0 * 2 / 11 + 1 * 9 / 11) * 3 / 12 + 3 * 9 / 12) * 4 / 13 + 5 * 9 / 13  # = 4.2168
    assert avg.copy_to(torch.nn.Linear(1, 1, bias=False)).weight.item() == pytest.approx(expected)
    assert WeightAverage(net, decay=0.0).copy_to(net) is net and net.weight.item() == 5.0  # 0 = last weights


@pytest.mark.parametrize("method", sorted(FAST))
def test_the_returned_classifier_is_the_weight_average(tiny_data, method, monkeypatch):
    """With ema > 0 the evaluated net holds the average of the trained weights, not the last ones."""
    snapshots = []  # the weights at the start, then after every step
    real_init, real_update = WeightAverage.__init__, WeightAverage.update

    def spying_init(self, net, decay):
        snapshots.append(net.state_dict()["head.v"].detach().clone())
        real_init(self, net, decay)

    def spying_update(self, net):
        snapshots.append(net.state_dict()["head.v"].detach().clone())
        real_update(self, net)

    monkeypatch.setattr(WeightAverage, "__init__", spying_init)
    monkeypatch.setattr(WeightAverage, "update", spying_update)
    train, test = tiny_data
    r = run_method(train, test, method, 8, 0, {**FAST[method], "ema": 0.9}, net=TINY_NET)
    got = r.model.net.state_dict()["head.v"]
    expected = snapshots[0]
    for t, snap in enumerate(snapshots[1:], start=1):
        d = min(0.9, (1 + t) / (10 + t))
        expected = d * expected + (1 - d) * snap
    assert len(snapshots) == 1 + FAST[method]["steps"]
    assert not torch.allclose(got, snapshots[-1], atol=1e-4)
    assert torch.allclose(got, expected, atol=1e-5)
