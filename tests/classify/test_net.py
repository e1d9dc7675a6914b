"""The classifier network's regularisers: Gaussian noise only while training, weight norm init."""

import pytest
import torch

from ganforge.classify.net import Classifier, ClassifierNet, GaussianNoise, NetSpec


def _net(**spec) -> ClassifierNet:
    torch.manual_seed(0)
    net = ClassifierNet(NetSpec(hidden=[32, 16], num_classes=4, **spec))
    net.init_from(torch.rand(64, 1, 28, 28) * 2 - 1)
    return net


def test_noise_layers_act_in_train_mode_only():
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    net = _net()
    net.train()
    assert not torch.equal(net(x), net(x))  # fresh noise on every call
    net.eval()
    assert torch.equal(net(x), net(x))  # deterministic prediction
    quiet = _net(input_noise=0.0, hidden_noise=0.0)
    quiet.train()
    train_out = quiet(x)
    quiet.eval()
    assert torch.allclose(train_out, quiet(x))  # with no noise, train mode is the same function


def test_gaussian_noise_has_the_given_std():
    layer = GaussianNoise(0.5).train()
    torch.manual_seed(0)
    noise = layer(torch.zeros(200_000))
    assert abs(noise.std().item() - 0.5) < 0.01 and abs(noise.mean().item()) < 0.01
    assert torch.equal(layer.eval()(torch.ones(3)), torch.ones(3))


def test_weight_norm_init_standardises_the_first_layer():
    x = torch.rand(256, 1, 28, 28) * 2 - 1
    net = _net(input_noise=0.0, hidden_noise=0.0)
    net.init_from(x)
    pre = net.layers[0](net._input(x))  # (256, 32) pre-activations of the first hidden layer
    assert torch.allclose(pre.mean(0), torch.zeros(32), atol=1e-4)
    assert torch.allclose(pre.std(0), torch.ones(32), atol=1e-3)


def test_a_sample_s_output_does_not_depend_on_its_batch():
    """ssl-gan sends labelled, unlabelled and generated images through D as one batch; that is
    only the same maths as three passes while D has no batch statistics."""
    a, b = torch.rand(3, 1, 28, 28) * 2 - 1, torch.rand(5, 1, 28, 28) * 2 - 1
    net = _net().eval()
    together = net(torch.cat([a, b]))
    assert torch.allclose(together[:3], net(a), atol=1e-5) and torch.allclose(together[3:], net(b), atol=1e-5)


def test_weight_norm_layer_is_g_times_v_over_its_norm_in_value_and_gradient():
    """WNLinear scales the outputs (cheaper) instead of the weights; both are y = x (g v / ||v||)^T + b."""
    import torch.nn.functional as F

    from ganforge.classify.net import WNLinear

    torch.manual_seed(0)
    layer = WNLinear(7, 5, train_scale=True)
    with torch.no_grad():
        layer.g.uniform_(0.5, 2.0)
        layer.b.normal_()
    x = torch.randn(4, 7, requires_grad=True)
    params = [x, layer.v, layer.g, layer.b]
    got = layer(x)
    got_grads = torch.autograd.grad(got.pow(2).sum(), params)
    w = layer.v * (layer.g / layer.v.norm(dim=1)).unsqueeze(1)
    expected = F.linear(x, w, layer.b)
    expected_grads = torch.autograd.grad(expected.pow(2).sum(), params)
    assert torch.allclose(got, expected, atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got_grads, expected_grads))


def test_a_classifier_kind_must_define_features_and_init_from():
    class Partial(Classifier):  # a kind that forgot init_from
        def features(self, x):
            return x.flatten(1)

    with pytest.raises(TypeError, match="init_from"):
        Partial(NetSpec())
