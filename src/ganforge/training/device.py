"""Device and precision selection."""

from __future__ import annotations

import contextlib
import os

import torch

from ganforge.errors import GanforgeError


def resolve_device(name: str) -> torch.device:
    """"auto" picks cuda, then mps, then cpu; an unavailable explicit choice is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise GanforgeError(f"Unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise GanforgeError(f"Device {name!r} was asked for but CUDA is not available here; use --device cpu or auto.")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise GanforgeError("Device 'mps' was asked for but is not available here; use --device cpu or auto.")
    return device


_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


#: bf16 matrix units in /proc/cpuinfo's flags: AMX (Sapphire Rapids and later), AVX512-BF16 (Cooper Lake, Zen 4).
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
#: oneDNN ISA limits (``ONEDNN_MAX_CPU_ISA``, older name ``DNNL_MAX_CPU_ISA``) below AVX512_CORE_BF16: under
#: them oneDNN runs bf16 convolutions and matmuls by converting to fp32 (~2x slower than fp32), whatever the CPU has.
ISAS_WITHOUT_BF16 = frozenset({"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"})


def fast_bf16(flags: set[str], max_isa: str | None) -> tuple[bool, str]:
    """(bf16 runs fast, why) from the CPU's flags and oneDNN's ISA limit (None: no limit).

    The units alone are not enough: oneDNN (which runs torch's CPU convolutions
    and bf16 matmuls) uses them only if its ISA limit allows, so an env-limited
    ISA must give fp32 like a CPU without the units.
    """
    units = [flag for flag in BF16_FLAGS if flag in flags]
    if not units:
        return False, "the CPU has no bf16 units (no amx_bf16 / avx512_bf16 flag)"
    if max_isa and max_isa.strip().upper() in ISAS_WITHOUT_BF16:
        return False, f"ONEDNN_MAX_CPU_ISA={max_isa.strip()} keeps oneDNN off the CPU's bf16 units"
    return True, f"the CPU has bf16 units ({', '.join(units)})"


def cpu_flags() -> set[str]:
    """The CPU feature flags of /proc/cpuinfo (empty where there is none, e.g. macOS)."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


def onednn_max_isa() -> str | None:
    """oneDNN's ISA limit from the environment (what it reads when it first runs), or None."""
    return os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or None


def cpu_bf16() -> tuple[bool, str]:
    """(bf16 runs fast on this CPU, why): ``fast_bf16`` of this machine's flags and oneDNN limit."""
    return fast_bf16(cpu_flags(), onednn_max_isa())


def auto_rule(device: torch.device) -> tuple[str, str]:
    """(precision, why) of the hardware rule for "auto": bf16 where it can run fast, else fp32 (no probe)."""
    if device.type == "cuda":
        fast = torch.cuda.is_bf16_supported()
        return ("bf16", "the GPU supports bf16") if fast else ("fp32", "the GPU has no bf16 support")
    if device.type == "cpu":
        fast, why = cpu_bf16()
        return ("bf16" if fast else "fp32"), why
    return "fp32", f"bf16 autocast is not used on {device.type}"


def resolve_precision(device: torch.device, precision: str) -> str:
    """"auto" -> bf16 where the hardware runs it fast (CUDA with bf16, CPUs with AMX / AVX512-BF16), else fp32."""
    return auto_rule(device)[0] if precision == "auto" else precision


def autocast(device: torch.device, precision: str, cache: bool = True):
    """Mixed-precision context for the forward passes; fp32 is a no-op.

    ``cache=False`` turns off autocast's cache of cast weights, which CUDA-graph capture requires.
    """
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "fp16" and device.type == "cpu":
        raise GanforgeError("train.precision=fp16 is for GPUs; on CPU use bf16 or fp32.")
    return torch.autocast(device_type=device.type, dtype=_DTYPES[precision], cache_enabled=cache)
