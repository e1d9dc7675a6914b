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


def _bn_net() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def test_recalibrate_gives_the_shadows_own_statistics():
    torch.manual_seed(0)
    net = _bn_net()
    ema = EMA(net, decay=0.9)
    with torch.no_grad():
        ema.shadow[0].weight.mul_(3.0)  # averaged weights unlike the live net's
    net(torch.randn(16, 3))  # live statistics, then copied in by update
    ema.update(net, step=1000)
    params = [p.clone() for p in ema.shadow.parameters()]
    batches = [torch.randn(8, 3) for _ in range(5)]
    feed = iter(batches)
    ema.recalibrate(lambda shadow: shadow(next(feed)), batches=5)

    with torch.no_grad():
        pre = [ema.shadow[0](x) for x in batches]  # the BN input of each batch
    mean = torch.stack([h.mean(0) for h in pre]).mean(0)
    var = torch.stack([h.var(0, unbiased=True) for h in pre]).mean(0)
    norm = ema.shadow[1]
    assert torch.allclose(norm.running_mean, mean, atol=1e-6) and torch.allclose(norm.running_var, var, atol=1e-6)
    assert not torch.allclose(norm.running_mean, net[1].running_mean)
    assert norm.momentum == net[1].momentum and int(norm.num_batches_tracked) == 5
    assert all(torch.equal(a, b) for a, b in zip(params, ema.shadow.parameters()))
    assert not ema.shadow.training


def test_recalibrate_without_batch_norm_runs_nothing():
    ema = EMA(torch.nn.Linear(2, 1), decay=0.9)
    calls = []
    ema.recalibrate(lambda shadow: calls.append(1))
    assert calls == []
