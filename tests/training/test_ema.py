import torch

from ganforge.training.ema import EMA


def test_ema_update_matches_formula():
    net = torch.nn.Linear(2, 1)
    ema = EMA(net, decay=0.9)
    before = ema.shadow.weight.clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net, step=1000)  # past the warm-up: d = min(0.9, 1001 / 1010) = 0.9
    assert torch.allclose(ema.shadow.weight, 0.9 * before + 0.1 * net.weight)


def test_ema_warm_up_follows_the_weights_early():
    net = torch.nn.Linear(2, 1)
    ema = EMA(net, decay=0.999)
    before = ema.shadow.weight.clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net, step=0)  # d = min(0.999, 1 / 10) = 0.1
    assert torch.allclose(ema.shadow.weight, 0.1 * before + 0.9 * net.weight)


def test_ema_tracks_weights_before_start_and_copies_buffers():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    ema = EMA(net, decay=0.99, start=100)
    with torch.no_grad():
        net[0].weight.add_(1.0)
    net(torch.randn(8, 2))  # moves the running stats
    ema.update(net, step=5)
    assert torch.equal(ema.shadow[0].weight, net[0].weight)
    assert torch.equal(ema.shadow[1].running_mean, net[1].running_mean)
    assert not ema.shadow[0].weight.requires_grad
