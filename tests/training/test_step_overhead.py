"""The per-update host work kept small (issue 14, tiny presets): the non-finite guard's deferred flags,
the one-launch finiteness check, requires_grad toggling over flat parameter lists, and the logs of one
micro-batch taken as they are."""

import pytest
import torch

from ganforge.training import update
from ganforge.training.divergence import NonFiniteGuard, is_finite

CPU = torch.device("cpu")
INF, NAN = float("inf"), float("nan")


def _ok(value: bool) -> torch.Tensor:
    return torch.tensor(value)


@pytest.mark.parametrize("compact_every", [1024, 3, 1])
def test_the_guard_counts_bad_updates_and_keeps_the_first_bad_step_across_compactions(monkeypatch, compact_every):
    monkeypatch.setattr(NonFiniteGuard, "COMPACT_EVERY", compact_every)
    guard = NonFiniteGuard(CPU)
    for step, ok in [(0, True), (0, True), (1, True), (2, False), (2, True), (3, False), (4, True)]:
        guard.record(_ok(ok), step)
    assert guard.read() == (2, 2)
    assert guard.read() == (0, None)  # read resets
    guard.record(_ok(True), 7)
    guard.record(_ok(False), 8)
    assert guard.read() == (1, 8)


def test_the_guard_snapshots_each_flag_so_a_reused_output_buffer_cannot_rewrite_it():
    # Under CUDA graphs every replay returns the same static `ok` tensor, overwritten by the next replay.
    guard, static_ok = NonFiniteGuard(CPU), _ok(False)
    guard.record(static_ok, 5)
    static_ok.fill_(True)
    guard.record(static_ok, 6)
    assert guard.read() == (1, 5)


def test_the_guard_never_reads_the_device_while_recording(monkeypatch):
    guard = NonFiniteGuard(CPU)
    monkeypatch.setattr(NonFiniteGuard, "COMPACT_EVERY", 2)

    def no_sync(self):
        raise AssertionError("host read while recording")

    monkeypatch.setattr(torch.Tensor, "__bool__", no_sync)
    monkeypatch.setattr(torch.Tensor, "__int__", no_sync)
    monkeypatch.setattr(torch.Tensor, "item", no_sync)
    for step in range(5):
        guard.record(_ok(step != 3), step)
    monkeypatch.undo()
    assert guard.read() == (1, 3)


@pytest.mark.parametrize("values, finite", [
    ((1.0,), True), ((NAN,), False),
    ((1.0, 2.0), True), ((NAN, 2.0), False), ((1.0, INF), False), ((1.0, -INF), False),
    ((1.0, 2.0, 3.0), True), ((1.0, 2.0, NAN), False),
])
def test_is_finite_is_true_only_when_every_value_is(values, finite):
    tensors = [torch.tensor(v) for v in values]
    assert bool(is_finite(*tensors)) is finite
    # Values of other shapes and dtypes take the general path with the same answer.
    mixed = [tensors[0].reshape(1).double(), *tensors[1:]]
    assert bool(is_finite(*mixed)) is finite


def test_train_only_freezes_every_other_group_and_touches_only_flags_that_change():
    d, g = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    params = {"d": list(d.parameters()), "g": list(g.parameters())}
    update._train_only(params, "d")
    assert all(p.requires_grad for p in d.parameters()) and not any(p.requires_grad for p in g.parameters())
    update._train_only(params, "g")
    assert all(p.requires_grad for p in g.parameters()) and not any(p.requires_grad for p in d.parameters())


def test_logs_of_one_micro_batch_are_the_outputs_and_of_several_their_mean():
    loss = torch.tensor(2.0, requires_grad=True) * 1.0
    logs: dict = {}
    update._accumulate(logs, {"loss": loss, "score": torch.tensor(4.0)}, 1)
    assert not logs["loss"].requires_grad and logs["loss"].item() == 2.0 and logs["score"].item() == 4.0
    logs = {}
    update._accumulate(logs, {"loss": torch.tensor(2.0)}, 2)
    update._accumulate(logs, {"loss": torch.tensor(6.0)}, 2)
    assert logs["loss"].item() == 4.0


def test_a_skipped_update_logs_a_zero_gradient_norm_and_a_good_one_the_norm(tiny_points_config):
    from ganforge.training.trainer import Trainer

    trainer = Trainer(tiny_points_config(steps=1, extra=["train.max_bad_steps=100"]))
    x = torch.randn(32, 2)
    bad = trainer._update("d", lambda x, y, step: {"loss": trainer.D(x).mean() * NAN}, x, None)
    good = trainer._update("d", lambda x, y, step: {"loss": trainer.D(x).mean()}, x, None)
    assert bad["grad_norm"].item() == 0.0 and good["grad_norm"].item() > 0
    assert trainer.guard.read() == (1, 0)
    trainer.run.close()
