"""ssl-gan's generator kinds (``GENERATORS``): the default MLP G and the ``conv`` G of conv_generator.py."""

import pytest
import torch

from ganforge.classify import NetSpec, build_classifier, options_for, run_method
from ganforge.classify.base import Context
from ganforge.classify.conv_generator import ConvGenerator
from ganforge.classify.data import Augment
from ganforge.classify.net import GENERATORS, SSLGenerator
from ganforge.classify.ssl_gan import SemiSupervisedGAN
from ganforge.errors import GanforgeError

FAST = {"steps": 4, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16, "g_channels": 8}
TINY_CNN = {"arch": "cnn", "channels": [4, 8]}


def test_the_registry_holds_both_kinds_and_the_mlp_is_the_default():
    assert GENERATORS.names() == ["conv", "mlp"]
    assert GENERATORS.get("mlp") is SSLGenerator and GENERATORS.get("conv") is ConvGenerator
    assert SemiSupervisedGAN.Options().generator == "mlp"


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_conv_generator_shapes_and_range(shape):
    torch.manual_seed(0)
    G = ConvGenerator.from_options(shape, options_for("ssl-gan", {"z_dim": 10, "g_channels": 8}))
    x = G(torch.rand(5, 10))
    assert x.shape == (5, *shape)
    assert x.abs().max() < 1  # tanh: inside [-1, 1], the classifier's input range
    assert x.std() > 0.05  # not collapsed or saturated at the start (the output scale starts at 1)


def test_feature_matching_reaches_the_conv_generator_s_first_layer_and_leaves_d_alone():
    torch.manual_seed(0)
    spec = NetSpec.with_defaults({**TINY_CNN, "num_classes": 4})
    opts = options_for("ssl-gan", {**FAST, "generator": "conv"})
    method = SemiSupervisedGAN(opts, Context(spec=spec, augment=Augment(), class_names=list("abcd")))
    D = build_classifier(spec)
    x_real = torch.rand(16, 1, 28, 28) * 2 - 1
    D.init_from(x_real)
    G = GENERATORS.get("conv").from_options((1, 28, 28), opts)
    d_before = {k: v.clone() for k, v in D.state_dict().items()}
    first = G.project[0].weight
    before = first.detach().clone()
    opt = method.optimizer(G.parameters())
    loss = method.g_step(D.train(), G.train(), opt, x_real)
    assert loss > 0 and first.grad is not None and first.grad.abs().sum() > 0
    assert not torch.equal(first.detach(), before)  # the G step moved G's first layer
    assert all(torch.equal(v, d_before[k]) for k, v in D.state_dict().items())  # and not D
    assert all(p.requires_grad for p in D.parameters())  # D learns again in its own step


def _run(tiny_data, net, **options):
    train, test = tiny_data
    return run_method(train, test, "ssl-gan", 8, 0, {**FAST, **options}, net=net)


def test_the_default_generator_is_the_mlp_and_conv_changes_training(tiny_data):
    default, mlp = _run(tiny_data, TINY_CNN), _run(tiny_data, TINY_CNN, generator="mlp")
    conv = _run(tiny_data, TINY_CNN, generator="conv")
    w0, w1, w2 = (r.model.net.state_dict() for r in (default, mlp, conv))
    assert all(torch.equal(w0[k], w1[k]) for k in w0)  # the default run is the mlp G's run, bit for bit
    assert not all(torch.equal(w0[k], w2[k]) for k in w0)
    assert default.model.meta["options"]["generator"] == "mlp" and conv.model.meta["options"]["generator"] == "conv"


@pytest.mark.parametrize("values, message", [
    ({"generator": "dcgan"}, "Unknown ssl-gan generator 'dcgan'. .*Choose one of: conv, mlp."),
    ({"g_channels": 1}, "g_channels must be >= 2"),
])
def test_bad_generator_options_are_refused_with_one_line(values, message):
    with pytest.raises(GanforgeError, match=message) as info:
        options_for("ssl-gan", values)
    assert "\n" not in str(info.value)


def test_the_conv_generator_refuses_a_side_that_is_not_a_multiple_of_4():
    with pytest.raises(GanforgeError, match="multiple of 4.*generator=mlp") as info:
        ConvGenerator((1, 30, 30))
    assert "\n" not in str(info.value)
