"""`ganforge train` flags and optimiser settings through the real CLI entry point:
adamw / sgd, cosine / constant schedules, --overwrite, --data-dir and --device."""

import gzip
import json
import math
import struct

import numpy as np
import pytest
import torch
import yaml

from ganforge.cli import main
from ganforge.training.checkpoint import load_state

COMMON = ["data.limit=64", "train.batch_size=16", "train.log_every=1", "train.progress=false", "train.precision=fp32",
          "train.sample_every=100", "train.checkpoint_every=100"]
POINTS = COMMON + ["model.g.hidden=[8]", "model.d.hidden=[8]"]
IMAGES = COMMON + ["model.z_dim=8", "model.g.width=8", "model.d.width=8", "train.grid_size=4"]


def _sets(values):
    return [arg for v in values for arg in ("--set", v)]


def _train(tmp_path, *extra, name="r", preset="toy2d-gan", base=POINTS, settings=(), steps=4):
    argv = ["train", "--preset", preset, "--name", name, "--out-dir", str(tmp_path), "--device", "cpu",
            *_sets([*base, f"train.steps={steps}", *settings]), *extra]
    return main(argv)


def _rows(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]


def test_sgd_with_cosine_and_adamw_with_constant_are_what_trains(tmp_path):
    assert _train(tmp_path, settings=["optim_g.name=sgd", "optim_g.momentum=0.9", "optim_g.schedule=cosine",
                                      "optim_g.lr=0.01", "optim_d.name=adamw", "optim_d.weight_decay=0.1",
                                      "optim_d.schedule=constant", "optim_d.lr=0.001"]) == 0
    run = tmp_path / "r"
    state = load_state(run / "checkpoints" / "step_000004")
    g, d = state["optim_g"], state["optim_d"]
    assert g["param_groups"][0]["momentum"] == 0.9 and "momentum_buffer" in g["state"][0]  # SGD with momentum
    assert d["param_groups"][0]["decoupled_weight_decay"] is True  # AdamW, not Adam with L2
    assert d["param_groups"][0]["weight_decay"] == 0.1 and "exp_avg" in d["state"][0]
    rows = _rows(run)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    # step k uses progress (k - 1) / steps: cosine from the base rate towards 0; constant stays
    assert [r["lr_g"] for r in rows] == pytest.approx([0.01 * 0.5 * (1 + math.cos(math.pi * k / 4)) for k in range(4)])
    assert [r["lr_d"] for r in rows] == [0.001] * 4


def test_an_existing_run_is_refused_without_overwrite_and_replaced_with_it(tmp_path, capsys):
    assert _train(tmp_path, steps=2) == 0
    run = tmp_path / "r"
    (run / "marker.txt").write_text("from the old run")
    assert _train(tmp_path, steps=3) == 2
    assert "--overwrite" in capsys.readouterr().err and (run / "marker.txt").is_file()  # untouched
    assert _train(tmp_path, "--overwrite", steps=3) == 0
    assert not (run / "marker.txt").exists()
    assert [r["step"] for r in _rows(run)] == [1, 2, 3]  # a fresh log, not the old one continued
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["steps"] == 3


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def test_data_dir_trains_on_the_files_given(tmp_path, capsys, monkeypatch):
    from ganforge.data import registry

    monkeypatch.setattr(registry, "_SHOWN", set())  # the subset notice would show again if the subset were used
    folder = tmp_path / "idx"
    folder.mkdir()
    images = np.zeros((48, 28, 28), dtype=np.uint8)
    images[:, 10:18, 10:18] = 255  # every "digit" is the same white square
    _write_idx(folder / "train-images-idx3-ubyte.gz", images)
    _write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(48) % 10)
    assert _train(tmp_path, "--data-dir", str(folder), preset="mnist-dcgan", base=IMAGES, steps=1) == 0
    saved = yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())
    assert saved["data"]["data_dir"] == str(folder)
    assert "5,000-digit subset" not in capsys.readouterr().err  # not the built-in fallback
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _train(tmp_path, "--data-dir", str(empty), preset="mnist-dcgan", base=IMAGES, name="e", steps=1) == 2
    assert f"not found in {empty}" in capsys.readouterr().err


def test_device_flag_is_used_and_checked(tmp_path, capsys, monkeypatch):
    assert _train(tmp_path, steps=1) == 0
    assert yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())["train"]["device"] == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same answer on a GPU machine
    assert main(["train", "--preset", "toy2d-gan", "--name", "c", "--out-dir", str(tmp_path), "--device", "cuda",
                 *_sets([*POINTS, "train.steps=1"])]) == 2
    assert "CUDA is not available here" in capsys.readouterr().err
    assert main(["train", "--preset", "toy2d-gan", "--name", "c", "--out-dir", str(tmp_path), "--device", "tpu9",
                 *_sets([*POINTS, "train.steps=1"])]) == 2
    assert "Unknown device 'tpu9'" in capsys.readouterr().err
