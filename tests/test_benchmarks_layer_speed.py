"""benchmarks/layer_speed.py keeps working: a tiny DCGAN's layers, each variant, one row per layer."""

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_layer_speed_times_every_conv_and_linear_layer_of_both_nets(tmp_path):
    tiny = ["model.z_dim=8", "model.g.width=4", "model.d.width=4", "data.limit=64", "train.precision=fp32"]
    args = [sys.executable, "layer_speed.py", "--case", "mnist-dcgan", "--batch", "4", "--repeats", "1", "--threads", "1",
            "--variant", "default", "--variant", "cl", "--variant", "native"]
    for override in tiny:
        args += ["--set", override]
    env = {**os.environ, "GANFORGE_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(args, cwd=BENCHMARKS, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| G.") or line.startswith("| D.")]
    # 28x28 DCGAN: G = projection + 2 transposed convs, D = 2 convs + the linear head; each in 3 variants.
    assert len(rows) == 3 * 6
    assert {row[1].strip() for row in rows} >= {"G.net.0", "D.head"}
    assert {row[3].strip() for row in rows} == {"default", "cl", "native"}
    assert result.stdout.count("% overall") == 3
