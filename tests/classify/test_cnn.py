"""The ``cnn`` classifier kind (``--net arch=cnn``) and the classifier-kind registry ``NETS``."""

import json

import pytest
import torch
import torch.nn.functional as F

from ganforge.classify import NETS, ClassifierModel, NetSpec, build_classifier
from ganforge.classify.cnn import ConvClassifierNet, WNConv2d
from ganforge.classify.commands import parse_net
from ganforge.classify.experiment import run_method
from ganforge.classify.net import ClassifierNet
from ganforge.errors import GanforgeError

SMALL = {"mlp": {"hidden": [32, 16]}, "cnn": {"channels": [8, 16]}}


def _net(arch: str = "cnn", in_channels: int = 1, size: int = 28, **spec) -> torch.nn.Module:
    torch.manual_seed(0)
    values = {**SMALL[arch], **spec, "arch": arch, "in_channels": in_channels, "resolution": size, "num_classes": 4}
    net = build_classifier(NetSpec.with_defaults(values))
    net.init_from(torch.rand(64, in_channels, size, size) * 2 - 1)
    return net


def test_the_registry_holds_both_kinds_and_builds_them_by_name():
    assert NETS.names() == ["cnn", "mlp"]
    assert type(_net("mlp")) is ClassifierNet and type(_net("cnn")) is ConvClassifierNet
    with pytest.raises(GanforgeError, match="Unknown classifier net 'rnn'. Did you mean 'cnn'"):
        build_classifier(NetSpec(arch="rnn"))


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_every_kind_has_the_classifier_interface(arch):
    """features (N, F) -> logits_from_features -> forward; noise in training only; settings are NetSpec fields."""
    assert set(NETS.get(arch).SETTINGS) <= set(NetSpec.__dataclass_fields__)
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    net = _net(arch).eval()
    h = net.features(x)
    assert h.ndim == 2 and len(h) == 5
    assert torch.equal(net.logits_from_features(h), net(x)) and net(x).shape == (5, 4)
    assert torch.equal(net(x), net(x))  # deterministic prediction
    net.train()
    assert not torch.equal(net(x), net(x))  # the noise regulariser acts while training


@pytest.mark.parametrize("channels, size", [(1, 28), (3, 32)])
def test_cnn_shapes(channels, size):
    net = _net("cnn", channels, size, channels=[8, 16, 24]).eval()
    x = torch.rand(3, channels, size, size) * 2 - 1
    assert net.features(x).shape == (3, 24) and net(x).shape == (3, 4)
    with pytest.raises(GanforgeError, match="Classifier expects images of shape"):
        net(torch.rand(3, channels, size + 1, size + 1))


def test_gradients_reach_the_first_conv_and_the_input():
    net = _net("cnn").train()
    x = (torch.rand(6, 1, 28, 28) * 2 - 1).requires_grad_(True)  # the feature-matching G step needs d features / d x
    net(x).logsumexp(1).sum().backward()
    assert net.convs[0].v.grad is not None and net.convs[0].v.grad.abs().sum() > 0
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert isinstance(net.convs[0].g, torch.Tensor) and not isinstance(net.convs[0].g, torch.nn.Parameter)  # fixed hidden scale


def test_weight_norm_init_standardises_each_conv_channel():
    x = torch.rand(128, 1, 28, 28) * 2 - 1
    net = _net("cnn", input_noise=0.0, hidden_noise=0.0)
    net.init_from(x)
    pre = net.convs[0](net.pixels(x))  # (128, 8, 28, 28)
    assert torch.allclose(pre.mean((0, 2, 3)), torch.zeros(8), atol=1e-4)
    assert torch.allclose(pre.std((0, 2, 3)), torch.ones(8), atol=1e-3)


def test_wn_conv_is_conv_with_g_times_v_over_its_norm_in_value_and_gradient():
    torch.manual_seed(0)
    layer = WNConv2d(3, 5, 3, stride=2, train_scale=True)
    with torch.no_grad():
        layer.g.uniform_(0.5, 2.0)
        layer.b.normal_()
    x = torch.randn(2, 3, 9, 9, requires_grad=True)
    params = [x, layer.v, layer.g, layer.b]
    got = layer(x)
    got_grads = torch.autograd.grad(got.pow(2).sum(), params)
    w = layer.v * (layer.g / layer.v.flatten(1).norm(dim=1)).view(-1, 1, 1, 1)
    expected = F.conv2d(x, w, layer.b, stride=2, padding=1)
    expected_grads = torch.autograd.grad(expected.pow(2).sum(), params)
    assert got.shape == (2, 5, 5, 5) and torch.allclose(got, expected, atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(got_grads, expected_grads))


def test_a_sample_s_output_does_not_depend_on_its_batch():
    """ssl-gan sends labelled, unlabelled and generated images through D as one batch (no batch norm)."""
    a, b = torch.rand(3, 1, 28, 28) * 2 - 1, torch.rand(5, 1, 28, 28) * 2 - 1
    net = _net("cnn").eval()
    together = net(torch.cat([a, b]))
    assert torch.allclose(together[:3], net(a), atol=1e-5) and torch.allclose(together[3:], net(b), atol=1e-5)


def test_cnn_defaults_fill_only_what_is_not_given():
    spec = NetSpec.with_defaults({"arch": "cnn"})
    assert (spec.input_noise, spec.hidden_noise) == (ConvClassifierNet.DEFAULTS["input_noise"],
                                                     ConvClassifierNet.DEFAULTS["hidden_noise"])
    assert NetSpec.with_defaults({"arch": "cnn", "input_noise": 0.2}).input_noise == 0.2
    assert NetSpec.with_defaults({}) == NetSpec()  # the MLP keeps the paper's 0.3 / 0.5


def test_save_load_round_trip_of_a_cnn(tmp_path):
    net = _net("cnn", 3, 32).eval()
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    ClassifierModel(net, {"class_names": list("abcd")}).save(tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "classifier.json").read_text())["net"]
    assert saved["arch"] == "cnn" and saved["channels"] == [8, 16] and "hidden" not in saved
    loaded = ClassifierModel.load(tmp_path / "m")
    assert type(loaded.net) is ConvClassifierNet and loaded.class_names == list("abcd")
    assert torch.equal(loaded.net(x), net(x))


def test_a_spec_saved_before_arch_existed_loads_as_the_mlp(tmp_path):
    net = _net("mlp").eval()
    ClassifierModel(net, {}).save(tmp_path / "m")
    meta_path = tmp_path / "m" / "classifier.json"
    meta = json.loads(meta_path.read_text())
    assert "channels" not in meta["net"]  # an MLP's JSON holds only what the MLP reads
    del meta["net"]["arch"]  # the format before this option
    meta_path.write_text(json.dumps(meta))
    loaded = ClassifierModel.load(tmp_path / "m")
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert type(loaded.net) is ClassifierNet and torch.equal(loaded.net(x), net(x))


def test_parse_net_accepts_the_kind_s_own_settings():
    assert parse_net(["arch=cnn", "channels=[16,32]", "input_noise=0.1"]) == {
        "arch": "cnn", "channels": [16, 32], "input_noise": 0.1}
    assert parse_net(["hidden=[8]"]) == {"hidden": [8]}
    assert parse_net(["arch=mlp", "hidden_noise=0.2"]) == {"arch": "mlp", "hidden_noise": 0.2}


@pytest.mark.parametrize("items, message", [
    (["arch=cnn", "hidden=[8]"], "Unknown --net setting\\(s\\) hidden for arch=cnn; valid: channels, hidden_noise"),
    (["channels=[8]"], "Unknown --net setting\\(s\\) channels for arch=mlp"),
    (["arch=rnn"], "Unknown classifier net 'rnn'. Did you mean 'cnn'"),
    (["arch=3"], "--net arch must be a classifier kind name"),
    (["arch=cnn", "channels=[]"], "--net channels must be a list of layer sizes"),
    (["arch=cnn", "channels=8"], "--net channels must be a list of layer sizes"),
    (["arch=cnn", "channels=[8,0]"], "Classifier channels must be a non-empty list of positive sizes"),
    (["arch=cnn", "input_noise=-1"], "noise levels must be >= 0"),
])
def test_parse_net_rejects_with_one_line(items, message):
    with pytest.raises(GanforgeError, match=message) as info:
        parse_net(items)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("method", ["baseline", "ssl-gan"])
def test_methods_train_the_cnn_end_to_end(tiny_data, method):
    train, test = tiny_data
    options = {"steps": 3, "batch_size": 8} | ({"unlabelled_batch": 8, "z_dim": 4, "g_hidden": 8} if method == "ssl-gan" else {})
    result = run_method(train, test, method, 8, 0, options, net={"arch": "cnn", "channels": [4, 8]})
    assert type(result.model.net) is ConvClassifierNet and result.model.spec.channels == [4, 8]
    assert 0.0 <= result.test_accuracy <= 1.0 and result.steps == 3
