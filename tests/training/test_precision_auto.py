"""`precision: auto` (the image presets' setting) decided by the hardware probe, with the probe
patched so the test gives the same answer on every CPU.  The rest of the suite pins fp32
(tests/conftest.py), so no other test depends on which CPU runs it."""

import io

import pytest
import torch

from ganforge.training import device, precision
from ganforge.training.device import cpu_bf16 as real_probe  # before conftest's patch
from ganforge.training.device import resolve_precision
from ganforge.training.trainer import Trainer

CPU = torch.device("cpu")


@pytest.mark.parametrize("flags, fast", [
    ("fpu sse avx2 fma avx512f amx_bf16 amx_tile", True),  # Sapphire Rapids and later
    ("fpu sse avx2 avx512f avx512_bf16", True),  # Cooper Lake, Zen 4
    ("fpu sse avx2 fma avx512f avx512_vnni", False),  # Cascade Lake: AVX-512 without bf16
    ("fpu sse avx2 fma", False),
])
def test_probe_reads_the_cpu_flags(monkeypatch, flags, fast):
    monkeypatch.setattr(device, "open", lambda path: io.StringIO(f"processor : 0\nflags : {flags}\n"), raising=False)
    assert real_probe()[0] is fast


def test_probe_without_proc_cpuinfo_says_no(monkeypatch):
    def missing(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(device, "open", missing, raising=False)
    assert real_probe()[0] is False


@pytest.mark.parametrize("fast, expected", [(True, "bf16"), (False, "fp32")])
def test_auto_follows_the_probe_and_explicit_choices_do_not(monkeypatch, fast, expected):
    monkeypatch.setattr(device, "cpu_bf16", lambda: (fast, "patched"))
    assert resolve_precision(CPU, "auto") == expected
    assert resolve_precision(CPU, "fp32") == "fp32" and resolve_precision(CPU, "bf16") == "bf16"
    assert resolve_precision(torch.device("meta"), "auto") == "fp32"  # neither CPU nor CUDA


@pytest.mark.parametrize("flags, isa, fast, why", [
    ({"avx512f", "amx_bf16", "avx512_bf16"}, None, True, "bf16 units (amx_bf16, avx512_bf16)"),
    ({"avx512f", "amx_bf16", "avx512_bf16"}, "AVX512_CORE_AMX", True, "bf16 units"),  # a limit that allows them
    ({"avx512f", "amx_bf16", "avx512_bf16"}, "avx512_core", False, "ONEDNN_MAX_CPU_ISA=avx512_core"),
    ({"avx512f", "amx_bf16"}, "AVX2", False, "keeps oneDNN off"),
    ({"avx512f", "avx512_vnni"}, None, False, "no bf16 units"),  # Cascade Lake
    ({"avx512f", "avx512_vnni"}, "AVX512_CORE_AMX", False, "no bf16 units"),  # a limit cannot add units
])
def test_the_bf16_rule_needs_the_units_and_onednn_allowed_to_use_them(flags, isa, fast, why):
    assert device.fast_bf16(flags, isa)[0] is fast
    assert why in device.fast_bf16(flags, isa)[1]


@pytest.mark.parametrize("name", ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"])
def test_auto_is_fp32_on_a_bf16_cpu_whose_onednn_isa_is_limited(monkeypatch, tiny_image_config, tmp_path, name):
    # What `ONEDNN_MAX_CPU_ISA=AVX512_CORE` does to an AMX Xeon: it runs like a CPU without bf16 units.
    monkeypatch.setattr(device, "cpu_bf16", real_probe)
    monkeypatch.setattr(device, "cpu_flags", lambda: {"avx512f", "amx_bf16", "avx512_bf16"})
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    assert device.auto_rule(CPU) == ("bf16", "the CPU has bf16 units (amx_bf16, avx512_bf16)")
    monkeypatch.setenv(name, "AVX512_CORE")
    calls = _probe_says(monkeypatch, {"fp32": 0.02, "bf16": 0.01})
    trainer = Trainer(tiny_image_config(steps=1, extra=["train.precision=auto"]), run_dir=tmp_path / "r")
    assert trainer.precision == "fp32" and calls == []  # the rule decides: no probe
    assert trainer.precision_reason == "auto: ONEDNN_MAX_CPU_ISA=AVX512_CORE keeps oneDNN off the CPU's bf16 units"
    trainer.run.close()


def _probe_says(monkeypatch, seconds: dict):
    """Patch the measured step times: the probe's choice is then the same on every machine."""
    calls = []

    def fake_time_steps(recipe, dev, p, real, labels):
        calls.append(p)
        return seconds[p]

    monkeypatch.setattr(precision, "time_steps", fake_time_steps)
    return calls


@pytest.mark.parametrize("fast, timings, expected", [
    (True, {"fp32": 0.02, "bf16": 0.01}, "bf16"),  # bf16 units and bf16 measured faster
    (True, {"fp32": 0.01, "bf16": 0.02}, "fp32"),  # bf16 units, but bf16 measured slower (small GPU batches)
    (False, {"fp32": 0.02, "bf16": 0.01}, "fp32"),  # no bf16 units: no probe, fp32
])
def test_the_trainer_resolves_auto_by_rule_and_probe_and_trains_with_it(monkeypatch, tiny_image_config, tmp_path,
                                                                         fast, timings, expected):
    monkeypatch.setattr(device, "cpu_bf16", lambda: (fast, "patched"))
    monkeypatch.setattr(precision, "cache_path", lambda: tmp_path / "precision.json")  # this test's own cache
    calls = _probe_says(monkeypatch, timings)
    trainer = Trainer(tiny_image_config(steps=1, extra=["train.precision=auto"]), run_dir=tmp_path / "r")
    assert trainer.precision == expected
    assert calls == (["fp32", "bf16"] if fast else [])
    assert ("measured" in trainer.precision_reason) is fast
    trainer.fit()
    # The choice is cached per device and model: the next run does not probe again and says why.
    calls.clear()
    again = Trainer(tiny_image_config(steps=1, extra=["train.precision=auto"]), run_dir=tmp_path / "r2")
    assert again.precision == expected and calls == []
    assert ("cached" in again.precision_reason) is fast


def test_the_probe_leaves_no_trace(monkeypatch, tiny_image_config, tmp_path):
    # A run with `auto` trains exactly like one started with the precision it chose (RNG, BN stats, grads restored).
    from ganforge.training.plots import read_metrics

    monkeypatch.setattr(device, "cpu_bf16", lambda: (True, "patched"))  # the real probe runs (either choice is fine)
    monkeypatch.setattr(precision, "cache_path", lambda: tmp_path / "precision.json")
    auto = Trainer(tiny_image_config(steps=3, extra=["train.precision=auto"]), run_dir=tmp_path / "auto")
    chosen = auto.precision
    auto.fit()
    fixed = Trainer(tiny_image_config(steps=3, extra=[f"train.precision={chosen}"]), run_dir=tmp_path / "fixed").fit()
    losses = lambda run: [(r["d/loss"], r["g/loss"]) for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r]  # noqa: E731
    assert len(losses(tmp_path / "auto")) == 3 and losses(tmp_path / "auto") == losses(fixed)
