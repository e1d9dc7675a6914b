"""``train.precision=auto``: pick bf16 only where it is measured to be faster for this model.

The rule alone is not enough: bf16 autocast is 2x slower than fp32 on CPUs
without bf16 units (so the rule says fp32 there, no probe needed), but on a
GPU it was *slower* for a 64x64 DCGAN at batch 64 (casts and launch overhead
outweigh the faster matmuls) and faster at batch 1024.  So where the hardware
can do bf16 fast, ``auto`` times a few forward+backward passes of the
recipe's D and G steps in fp32 and in bf16 and takes the faster one.

The probe leaves no trace: it restores the RNG state and every buffer (batch
norm statistics) it touched and drops the gradients, so a run with ``auto``
trains exactly like one started with the chosen precision.  Results are
cached per device, torch version, recipe, model, batch and shape in
``$GANFORGE_CACHE/precision.json`` so later runs skip the probe.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from pathlib import Path

import torch

from ganforge.data.registry import cache_root
from ganforge.files import write_text_atomic
from ganforge.training.device import auto_rule, autocast, onednn_max_isa

WARMUP, TIMED = 2, 4  # passes per precision: the first passes pay one-off costs (kernel selection, caches)


def cache_path() -> Path:
    return cache_root() / "precision.json"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{device.type}:{platform.processor() or platform.machine()}:{torch.get_num_threads()}threads"


def probe_key(device: torch.device, cfg, shape: tuple[int, ...]) -> str:
    """What the measured choice depends on: the hardware, torch, the model and the batch."""
    what = {"device": device_name(device), "torch": torch.__version__, "recipe": cfg.recipe, "model": cfg.to_dict()["model"],
            "batch": cfg.train.batch_size, "shape": list(shape), "channels_last": cfg.train.channels_last,
            "onednn_max_isa": onednn_max_isa() if device.type == "cpu" else None}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _read_cache() -> dict:
    try:
        data = json.loads(cache_path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(key: str, entry: dict) -> None:
    data = _read_cache()
    data[key] = entry
    try:
        cache_path().parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(cache_path(), json.dumps(data, indent=1))
    except Exception:  # noqa: BLE001 -- a read-only cache only costs probing again next time
        pass


def time_steps(recipe, device: torch.device, precision: str, real: torch.Tensor, labels) -> float:
    """Seconds per (D step + G step) forward+backward in ``precision``, no optimiser step."""
    def one() -> None:
        for step_fn in (recipe.d_step, recipe.g_step):
            with autocast(device, precision):
                loss = step_fn(real, labels, 0)["loss"]
            loss.backward()

    for _ in range(WARMUP):
        one()
    _sync(device)
    start = time.perf_counter()
    for _ in range(TIMED):
        one()
    _sync(device)
    return (time.perf_counter() - start) / TIMED


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(recipe, device: torch.device, shape: tuple[int, ...], batch: int, num_classes: int,
            memory_format=torch.contiguous_format) -> dict[str, float]:
    """{"fp32": s, "bf16": s} per step; every net's buffers, the RNG and the gradients are put back."""
    nets = list(recipe.nets.values())
    buffers = [[b.detach().clone() for b in net.buffers()] for net in nets]
    rng_cpu = torch.get_rng_state()
    rng_cuda = torch.cuda.get_rng_state_all() if device.type == "cuda" else None
    generator = torch.Generator().manual_seed(0)
    real = (torch.rand(batch, *shape, generator=generator) * 2 - 1).to(device)
    if real.dim() == 4:
        real = real.contiguous(memory_format=memory_format)
    labels = torch.randint(0, num_classes, (batch,), generator=generator).to(device) if num_classes else None
    try:
        return {p: time_steps(recipe, device, p, real, labels) for p in ("fp32", "bf16")}
    finally:
        for net, saved in zip(nets, buffers):
            for buffer, value in zip(net.buffers(), saved):
                buffer.copy_(value)
            net.zero_grad(set_to_none=True)
        torch.set_rng_state(rng_cpu)
        if rng_cuda is not None:
            torch.cuda.set_rng_state_all(rng_cuda)


def choose(cfg, recipe, device: torch.device, shape: tuple[int, ...], num_classes: int,
           memory_format=torch.contiguous_format) -> tuple[str, str]:
    """(precision, why) for ``cfg.train.precision``; only ``auto`` is decided here."""
    asked = cfg.train.precision
    if asked != "auto":
        return asked, "as configured"
    rule, why = auto_rule(device)
    if rule == "fp32":
        return "fp32", f"auto: {why}"
    key = probe_key(device, cfg, shape)
    cached = _read_cache().get(key)
    if isinstance(cached, dict) and cached.get("choice") in ("fp32", "bf16"):
        return cached["choice"], f"auto: {why}; {cached['choice']} was faster here before ({_describe(cached['seconds'])}, cached)"
    batch = max(1, cfg.train.batch_size // cfg.train.grad_accum)
    seconds = measure(recipe, device, shape, batch, num_classes, memory_format)
    choice = min(seconds, key=seconds.get)
    _write_cache(key, {"choice": choice, "seconds": seconds})
    return choice, f"auto: {why}; measured {_describe(seconds)} per step, {choice} is faster"


def _describe(seconds: dict) -> str:
    return ", ".join(f"{p} {1000 * s:.1f} ms" for p, s in seconds.items())
