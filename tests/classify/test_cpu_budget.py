"""cpu_budget_s: a run takes as many steps as fit in a CPU-second budget, reports them, and still decays its lr to 0."""

import time

import pytest

from ganforge.classify import options_for, run_method
from ganforge.classify.base import REPLAN_EVERY, Method
from ganforge.errors import GanforgeError

TINY_NET = {"hidden": [32, 16]}
FAST = {
    "baseline": {"batch_size": 8},
    "ssl-gan": {"batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16},
}
TICK = 0.125  # fake CPU seconds per step (a power of 2, so the budget arithmetic is exact)


@pytest.fixture
def step_clock(monkeypatch):
    """time.process_time advances TICK per training step (one set_lr call each); returns the lrs set."""
    now, lrs = [0.0], []
    real_set_lr = Method.set_lr

    def set_lr(self, optimizers, step):
        now[0] += TICK
        real_set_lr(self, optimizers, step)
        lrs.append(optimizers[0].param_groups[0]["lr"])

    monkeypatch.setattr(time, "process_time", lambda: now[0])
    monkeypatch.setattr(Method, "set_lr", set_lr)
    return lrs


@pytest.mark.parametrize("method", sorted(FAST))
def test_the_budget_decides_the_steps_and_the_lr_still_ends_near_zero(tiny_data, step_clock, method):
    train, test = tiny_data
    # 15 s at 0.125 s a step = 120 steps, estimated at step 50 and frozen once the decay starts (step 80)
    r = run_method(train, test, method, 8, 0, {**FAST[method], "steps": 10_000, "cpu_budget_s": 15.0}, net=TINY_NET)
    assert r.steps == len(step_clock) == 120 and r.model.meta["steps"] == 120
    lr = 3e-3
    assert step_clock[:80] == [lr] * 80  # constant for the first two thirds of the planned run
    assert step_clock[-1] == pytest.approx(lr * 3 / 120)  # then linearly down: 1/40 of lr on the last step
    assert REPLAN_EVERY == 50


def test_steps_stay_the_upper_bound_and_no_budget_runs_them_all(tiny_data, step_clock):
    train, test = tiny_data
    capped = run_method(train, test, "baseline", 8, 0, {"batch_size": 8, "steps": 90, "cpu_budget_s": 15.0}, net=TINY_NET)
    assert capped.steps == 90
    plain = run_method(train, test, "baseline", 8, 0, {"batch_size": 8, "steps": 70}, net=TINY_NET)
    assert plain.steps == 70


def test_a_budget_spent_before_the_first_estimate_stops_the_run_there(tiny_data, step_clock):
    train, test = tiny_data
    r = run_method(train, test, "baseline", 8, 0, {"batch_size": 8, "steps": 10_000, "cpu_budget_s": 1.0}, net=TINY_NET)
    assert r.steps == REPLAN_EVERY  # the first estimate (at step 50) finds the budget gone


def test_a_negative_budget_is_a_clear_error():
    with pytest.raises(GanforgeError, match="cpu_budget_s must be >= 0"):
        options_for("ssl-gan", {"cpu_budget_s": -1})


def test_a_budget_without_steps_lets_the_budget_decide():
    from ganforge.classify.base import BUDGET_STEP_CAP

    assert options_for("baseline", cpu_budget=900).steps == BUDGET_STEP_CAP
    assert options_for("baseline", cpu_budget=900, steps=5000).steps == 5000
    assert options_for("baseline").cpu_budget_s == 0 and options_for("baseline").steps == 3000
