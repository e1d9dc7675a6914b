"""`ganforge eval` and `ganforge metrics ...` through the real command-line entry point."""

import json

import numpy as np
import pytest
from PIL import Image

from ganforge import cli


@pytest.fixture
def main():
    """The real ganforge.cli.main: `eval` and `metrics` must be wired into cli.py itself."""
    return cli.main


@pytest.fixture
def tiny_run(tiny_image_config):
    from ganforge.training.trainer import Trainer

    return Trainer(tiny_image_config(steps=2)).fit()


def test_eval_writes_eval_json_and_prints_a_table(main, tiny_run, capsys):
    assert main(["eval", str(tiny_run), "--metrics", "fid,kid,pr,dc,is,classes", "--n", "64"]) == 0
    out = capsys.readouterr().out
    assert "fid" in out and "class_coverage" in out and "eval.json" in out
    saved = json.loads((tiny_run / "eval.json").read_text())
    assert saved["n"] == 64 and saved["extractor"]["name"] == "mnist" and saved["split"] == "test"


def test_eval_user_errors_are_one_line(main, tiny_run, tmp_path, capsys):
    assert main(["eval", str(tiny_run), "--metrics", "fidd", "--n", "10"]) == 2
    assert "Unknown metric 'fidd'. Did you mean 'fid'?" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["eval", str(tiny_run), "--metrics", "inception-fid", "--n", "10",
                 "--inception-weights", str(tmp_path / "missing.pth")]) == 2
    assert "pt_inception-2015-12-05-6726825d.pth" in capsys.readouterr().err


def test_metrics_list(main, capsys):
    assert main(["metrics", "list"]) == 0
    out = capsys.readouterr().out
    assert "mnist" in out and "fashion-mnist" in out and "test accuracy" in out
    from ganforge.metrics.registry import ordered_specs

    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    for spec in ordered_specs():  # every registered metric, with its kinds of data
        assert spec.name in lines and all(kind in lines[spec.name] for kind in spec.applies_to)
    assert "fid*" not in lines["fid"] and "images*" in lines["fid"] and "images*" not in lines["cas"]


def test_metrics_floor_on_toy2d(main, tmp_path, capsys):
    out_json = tmp_path / "floor.json"
    assert main(["metrics", "floor", "--dataset", "toy2d", "--variant", "ring8", "--n", "500",
                 "--json", str(out_json)]) == 0
    assert "modes_hit" in capsys.readouterr().out
    saved = json.loads(out_json.read_text())
    assert saved["metrics"]["modes_hit"] == 8 and saved["split"] == "test"


def test_metrics_train_extractor_on_a_folder(main, tmp_path, capsys):
    rng = np.random.default_rng(0)
    for label in ("dark", "light"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(10):
            base = 40 if label == "dark" else 200
            Image.fromarray(rng.integers(base - 30, base + 30, (12, 12)).astype(np.uint8)).save(
                tmp_path / "imgs" / label / f"{i}.png")
    assert main(["metrics", "train-extractor", "--dataset", "folder", "--path", str(tmp_path / "imgs"),
                 "--resolution", "12", "--channels", "1", "--epochs", "1", "--out", str(tmp_path / "ext")]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "--extractor" in out
    assert "imgs" in json.loads((tmp_path / "ext" / "manifest.json").read_text())
    assert main(["metrics", "train-extractor", "--dataset", "folder", "--path", str(tmp_path / "imgs")]) == 2
    assert "--out DIR" in capsys.readouterr().err
