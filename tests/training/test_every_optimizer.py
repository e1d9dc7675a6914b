"""Every registered optimiser and learning-rate schedule, whatever its name: an optimiser built from its
config lowers a simple loss and honours lr; a schedule starts at 1 and stays within [0, 1]."""

import pytest
import torch

from ganforge.config import OptimConfig
from ganforge.training.optim import OPTIMIZERS, SCHEDULES, build_optimizer, set_lr


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_optimizer_lowers_a_quadratic(name):
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4))
    opt = build_optimizer([w], OptimConfig(name=name, lr=0.05, momentum=0.5 if name in ("sgd", "rmsprop") else 0.0))
    assert all(group["lr"] == pytest.approx(0.05) for group in opt.param_groups)
    start = float((w ** 2).sum().detach())
    for _ in range(20):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    assert float((w ** 2).sum().detach()) < 0.9 * start


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_schedule_starts_at_one_and_stays_in_range(name):
    fn = SCHEDULES.get(name)
    assert fn(0.0) == pytest.approx(1.0)
    values = [fn(i / 20) for i in range(21)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(b <= a + 1e-12 for a, b in zip(values, values[1:]))  # never rises: lr only decays


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_set_lr_applies_the_schedule(name):
    w = torch.nn.Parameter(torch.zeros(1))
    cfg = OptimConfig(lr=0.1, schedule=name)
    opt = build_optimizer([w], cfg)
    lr = set_lr(opt, cfg, step=5, total_steps=10)
    assert lr == pytest.approx(0.1 * SCHEDULES.get(name)(0.5)) and opt.param_groups[0]["lr"] == lr
