"""`precision: auto` (the image presets' setting) decided by the hardware probe, with the probe
patched so the test gives the same answer on every CPU.  The rest of the suite pins fp32
(tests/conftest.py), so no other test depends on which CPU runs it."""

import io

import pytest
import torch

from ganforge.training import device
from ganforge.training.device import cpu_has_fast_bf16 as real_probe  # before conftest's patch
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
    assert real_probe() is fast


def test_probe_without_proc_cpuinfo_says_no(monkeypatch):
    def missing(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(device, "open", missing, raising=False)
    assert real_probe() is False


@pytest.mark.parametrize("fast, expected", [(True, "bf16"), (False, "fp32")])
def test_auto_follows_the_probe_and_explicit_choices_do_not(monkeypatch, fast, expected):
    monkeypatch.setattr(device, "cpu_has_fast_bf16", lambda: fast)
    assert resolve_precision(CPU, "auto") == expected
    assert resolve_precision(CPU, "fp32") == "fp32" and resolve_precision(CPU, "bf16") == "bf16"
    assert resolve_precision(torch.device("meta"), "auto") == "fp32"  # neither CPU nor CUDA


@pytest.mark.parametrize("fast, expected", [(True, "bf16"), (False, "fp32")])
def test_the_trainer_resolves_auto_and_trains_with_it(monkeypatch, tiny_image_config, tmp_path, fast, expected):
    monkeypatch.setattr(device, "cpu_has_fast_bf16", lambda: fast)
    trainer = Trainer(tiny_image_config(steps=1, extra=["train.precision=auto"]), run_dir=tmp_path / "r")
    assert trainer.precision == expected
    trainer.fit()
