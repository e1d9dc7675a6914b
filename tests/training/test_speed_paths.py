"""The speed paths: on-device data (train.data_on_device), CUDA-graph updates (train.cuda_graphs),
learning rates as device tensors, and the one line that says which paths a run took."""

from types import SimpleNamespace

import pytest
import torch

from ganforge.data.base import Dataset, IndexSampler, InMemoryBatches
from ganforge.data.device_data import DeviceBatches, wanted
from ganforge.errors import GanforgeError
from ganforge.presets import load_config
from ganforge.training import checkpoint as ckpt
from ganforge.training import graphs
from ganforge.config import OptimConfig
from ganforge.training.optim import LearningRates, plain_state_dict, set_lr, use_tensor_lr
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer

CPU = torch.device("cpu")


def _losses(run) -> list[tuple]:
    return [(r["step"], r["d/loss"], r["g/loss"]) for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r]


# ------------------------------------------------------------------ on-device data

def test_device_batches_are_the_host_batches_across_epochs():
    gen = torch.Generator().manual_seed(0)
    data = Dataset(torch.randint(0, 256, (50, 1, 4, 4), dtype=torch.uint8, generator=gen), torch.arange(50) % 7)
    host = InMemoryBatches(data, IndexSampler(50, seed=3), 16)
    device = DeviceBatches(data, IndexSampler(50, seed=3), 16, CPU)
    for _ in range(10):  # 160 samples: three epoch boundaries, two of them inside a batch
        (hx, hy), (dx, dy) = host.next(CPU), device.next(CPU)
        assert torch.equal(hx, dx) and torch.equal(hy, dy)
    assert device.sampler.position == host.sampler.position == 160


def test_device_batches_take_this_ranks_slice_and_forget_the_order_on_reset():
    data = Dataset(torch.randint(0, 256, (40, 1, 2, 2), dtype=torch.uint8))
    whole = DeviceBatches(data, IndexSampler(40, seed=1), 8, CPU)
    ranks = [DeviceBatches(data, IndexSampler(40, seed=1), 8, CPU, rank=r, world=2) for r in (0, 1)]
    x, _ = whole.next()
    assert torch.equal(torch.cat([r.next()[0] for r in ranks]), x)
    whole.sampler.load_state_dict({"seed": 9, "position": 0, "n": 40})
    whole.reset()  # what a resume does: the cached epoch order belonged to the old seed
    assert torch.equal(whole.next()[0], InMemoryBatches(data, IndexSampler(40, seed=9), 8).next(CPU)[0])


def test_auto_keeps_the_host_path_on_cpu_and_true_needs_an_in_memory_set():
    data = Dataset(torch.zeros(4, 2))
    assert wanted("auto", data, CPU) == (False, "auto: on cpu the host path already reads from the same memory")
    assert wanted(True, data, CPU)[0] is True and wanted(False, data, CPU)[0] is False
    streamed = SimpleNamespace()  # e.g. StreamingFolder: not a Dataset in memory
    assert wanted("auto", streamed, CPU) == (False, "auto: the data set is streamed from disk")
    with pytest.raises(GanforgeError, match="data_on_device=true needs the data set in memory"):
        wanted(True, streamed, CPU)



def test_a_data_set_that_draws_its_own_batches_keeps_them():
    """unpaired-folders re-pairs A and B every epoch in its own batches(): a plain gather by index would lose that."""
    from ganforge.data.paired import UnpairedDataset

    data = UnpairedDataset(torch.zeros(4, 2, 4, 4, dtype=torch.uint8))
    assert wanted("auto", data, CPU) == (False, "auto: the data set draws its own batches")
    assert wanted(False, data, CPU)[0] is False
    with pytest.raises(GanforgeError, match="draws its own batches"):
        wanted(True, data, CPU)

def test_on_device_data_trains_like_the_host_path_for_20_steps(tiny_image_config, tmp_path):
    host = Trainer(tiny_image_config(steps=20, extra=["train.data_on_device=false"]), run_dir=tmp_path / "host")
    assert not isinstance(host.batches, DeviceBatches)
    a = _losses(host.fit())  # built and run one after the other: the seed is set when a trainer is built
    device = Trainer(tiny_image_config(steps=20, extra=["train.data_on_device=true"]), run_dir=tmp_path / "dev")
    assert isinstance(device.batches, DeviceBatches)
    b = _losses(device.fit())
    assert len(a) == 20
    for x, y in zip(a, b):
        assert x[0] == y[0] and x[1:] == pytest.approx(y[1:], rel=1e-6, abs=1e-7)


def test_resume_with_the_speed_options_is_bit_identical(tiny_image_config, tmp_path):
    extra = ["train.data_on_device=true", "train.cuda_graphs=true"]  # graphs: a no-op on CPU, said once
    straight = Trainer(tiny_image_config(steps=6, extra=extra), run_dir=tmp_path / "straight").fit()
    Trainer(tiny_image_config(steps=3, extra=extra), run_dir=tmp_path / "split").fit()
    resumed = Trainer(tiny_image_config(steps=6, extra=extra), run_dir=tmp_path / "split", resume=True).fit()
    assert _losses(straight) == _losses(resumed)
    a, b = ckpt.load_weights(ckpt.find_checkpoint(straight)), ckpt.load_weights(ckpt.find_checkpoint(resumed))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("key", ["data_on_device", "cuda_graphs"])
def test_the_settings_take_auto_true_or_false_only(key):
    for value in ("auto", "true", "false"):
        load_config("toy2d-gan", [f"train.{key}={value}"])
    with pytest.raises(GanforgeError, match=f"train.{key} must be auto, true or false, got 'sometimes'"):
        load_config("toy2d-gan", [f"train.{key}=sometimes"])


# ------------------------------------------------------------------ CUDA graphs

def test_graphs_are_a_clean_no_op_on_cpu_with_one_line(tiny_points_config, tmp_path, capsys):
    trainer = Trainer(tiny_points_config(steps=2, extra=["train.cuda_graphs=true", "train.progress=true"]),
                      run_dir=tmp_path / "r")
    assert trainer.graphs is None
    trainer.fit()
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "CUDA graphs" in line]
    assert lines == ["speed: data gathered on the host (auto: on cpu the host path already reads from the same memory); "
                     "CUDA graphs off: graph capture needs CUDA and this run is on cpu"]
    off = Trainer(tiny_points_config(steps=1, extra=["train.cuda_graphs=false"]), run_dir=tmp_path / "off")
    assert off.speed_line.endswith("CUDA graphs off (as configured)")


def _fake_trainer():
    """The attributes graphs.unmet_precondition reads, every precondition met."""
    fused = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], fused=True)
    t = SimpleNamespace(grad_accum=1, compile=False, cuda_graphs="auto")
    return SimpleNamespace(device=torch.device("cuda"), cfg=SimpleNamespace(train=t, recipe_name="gan"),
                           dist=SimpleNamespace(enabled=False), precision="bf16", optimizers={"d": fused, "g": fused},
                           recipe=SimpleNamespace(graph_safe=True))


@pytest.mark.parametrize("change, why", [
    (lambda tr: setattr(tr, "device", CPU), "graph capture needs CUDA and this run is on cpu"),
    (lambda tr: setattr(tr.cfg.train, "grad_accum", 2), "train.grad_accum=2 splits the update into micro-batches"),
    (lambda tr: setattr(tr.dist, "enabled", True), "a multi-process run averages gradients"),
    (lambda tr: setattr(tr, "precision", "fp16"), "fp16's GradScaler reads its scale on the host"),
    (lambda tr: setattr(tr.cfg.train, "compile", True), "train.compile=true compiles the nets instead"),
    (lambda tr: tr.optimizers.update(d=torch.optim.RMSprop([torch.nn.Parameter(torch.zeros(1))])),
     "an optimiser is not fused"),
    (lambda tr: setattr(tr, "recipe", SimpleNamespace()), "recipe 'gan' is not declared graph-safe"),
    (lambda tr: setattr(tr.recipe, "graph_safe", False), "recipe 'gan' is not declared graph-safe"),
])
def test_each_precondition_turns_graphs_off_and_says_why(change, why):
    assert graphs.unmet_precondition(_fake_trainer()) is None
    assert graphs.resolve(_fake_trainer())[0] is True
    trainer = _fake_trainer()
    change(trainer)
    assert why in graphs.unmet_precondition(trainer)
    assert graphs.resolve(trainer) == (False, f"CUDA graphs off: {graphs.unmet_precondition(trainer)}")


def test_graphs_false_is_off_without_checking_anything():
    trainer = _fake_trainer()
    trainer.cfg.train.cuda_graphs = False
    assert graphs.resolve(trainer) == (False, "CUDA graphs off (as configured)")


# ------------------------------------------------------------------ learning rates as tensors

def _adam(lr_tensor: bool):
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
    if lr_tensor:
        use_tensor_lr(opt, CPU)
    return net, opt


def test_a_tensor_lr_follows_the_schedule_like_set_lr_and_trains_identically():
    cfg = OptimConfig(lr=1e-2, schedule="cosine")
    (net_a, opt_a), (net_b, opt_b) = _adam(False), _adam(True)
    lrs = LearningRates({"g": opt_b}, {"g": cfg})
    assert isinstance(opt_b.param_groups[0]["lr"], torch.Tensor)
    for step in range(10):
        expected = set_lr(opt_a, cfg, step, total_steps=10, scale=0.5)
        lrs.apply(step, 10, scale=0.5)
        assert float(opt_b.param_groups[0]["lr"]) == pytest.approx(expected, rel=1e-6)
        for net, opt in ((net_a, opt_a), (net_b, opt_b)):
            opt.zero_grad()
            net(torch.ones(4, 3)).square().sum().backward()
            opt.step()
    assert all(torch.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(net_a.parameters(), net_b.parameters()))


def test_learning_rates_are_written_only_when_they_change():
    _, opt = _adam(False)
    lrs = LearningRates({"g": opt}, {"g": OptimConfig(lr=1e-3, schedule="constant")})
    lrs.apply(0, 10)
    opt.param_groups[0]["lr"] = "untouched"  # a constant schedule: nothing to write at later steps
    lrs.apply(5, 10)
    assert opt.param_groups[0]["lr"] == "untouched"
    lrs.forget()  # after a checkpoint load
    lrs.apply(5, 10)
    assert opt.param_groups[0]["lr"] == 1e-3


def test_checkpointed_optimiser_state_has_plain_learning_rates():
    _, opt = _adam(True)
    opt.param_groups[0]["capturable"] = True
    state = plain_state_dict(opt)
    assert state["param_groups"][0]["lr"] == pytest.approx(2e-4) and isinstance(state["param_groups"][0]["lr"], float)
    assert state["param_groups"][0]["capturable"] is False
    assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)  # the live optimiser keeps its tensor


# ------------------------------------------------------------------ on a GPU only

@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA-graph capture needs a CUDA device")
@pytest.mark.parametrize("data_on_device", ["true", "false"])
def test_graphed_updates_match_eager_updates_for_20_steps_on_cuda(tiny_image_config, tmp_path, monkeypatch, data_on_device):
    from ganforge.recipes.gan import GAN

    monkeypatch.setattr(GAN, "graph_safe", True, raising=False)  # the plain GAN step: no host sync, no step use
    extra = ["train.device=cuda", "train.deterministic=true", f"train.data_on_device={data_on_device}",
             "optim_g.schedule=linear"]  # a changing lr: the graph must read the tensor, not a baked value
    eager = Trainer(tiny_image_config(steps=20, extra=extra + ["train.cuda_graphs=false"]), run_dir=tmp_path / "e")
    assert eager.graphs is None
    a = _losses(eager.fit())  # built and run one after the other: the seed is set when a trainer is built
    graphed = Trainer(tiny_image_config(steps=20, extra=extra + ["train.cuda_graphs=true"]), run_dir=tmp_path / "g")
    assert graphed.graphs is not None
    b = _losses(graphed.fit())
    assert set(graphed.graphs.captured) == {"d", "g"}
    for x, y in zip(a, b):
        assert x[0] == y[0] and x[1:] == pytest.approx(y[1:], rel=1e-3, abs=1e-4)
