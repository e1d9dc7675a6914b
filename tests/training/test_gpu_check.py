"""benchmarks/gpu_check.sh keeps working without a GPU: its --cpu mode runs every piece for 2 steps."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.sh"


@pytest.mark.slow
def test_gpu_check_runs_every_piece_on_cpu(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "GPU_CHECK_LOG": str(tmp_path / "log")}
    result = subprocess.run(["bash", str(SCRIPT), "--cpu"], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for section in ("## 1. profile", "## 2. throughput", "## 4. end to end", "## summary"):
        assert section in out, section
    rows = [line for line in out.splitlines() if line.startswith("| dcgan-64-rgb |")]
    variants = {row.split("|")[2].strip() for row in rows}
    assert {"eager", "data-on-device", "graphs", "graphs+data", "graphs+data+channels_last"} <= variants
    assert "CUDA graphs off: graph capture needs CUDA and this run is on cpu" in out  # the no-op says why
    assert "| ganforge | fp32 plain |" in out and "| ganforge | fast |" in out
    assert "| pytorch/examples dcgan |" in out  # measured, or the reason it was not run
