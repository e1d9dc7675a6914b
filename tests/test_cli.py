"""The ganforge command end to end on tiny data."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main

TINY = ["--set", "data.limit=128", "--set", "model.z_dim=8", "--set", "model.g.width=8", "--set", "model.d.width=8",
        "--set", "train.batch_size=16", "--set", "train.steps=3", "--set", "train.progress=false",
        "--set", "train.log_every=1", "--set", "train.device=cpu"]


@pytest.fixture
def trained_run(tmp_path):
    assert main(["train", "--preset", "mnist-dcgan", "--name", "cli", "--out-dir", str(tmp_path), *TINY]) == 0
    return tmp_path / "cli"


def test_train_then_generate_png_grid(trained_run, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["generate", str(trained_run), "--n", "9", "--seed", "3", "--out", str(out)]) == 0
    with Image.open(out) as img:
        assert img.mode == "L" and img.text["seed"] == "3"
        assert img.size == (3 * 30 + 2, 3 * 30 + 2)  # 3x3 grid of 28px images with 2px padding
    assert "Wrote 9 samples" in capsys.readouterr().out


def test_generate_png_dir_and_npy_agree(trained_run, tmp_path):
    assert main(["generate", str(trained_run), "--n", "4", "--format", "png-dir", "--out", str(tmp_path / "d")]) == 0
    assert main(["generate", str(trained_run), "--n", "4", "--format", "npy", "--out", str(tmp_path / "s.npy")]) == 0
    files = sorted((tmp_path / "d").glob("*.png"))
    array = np.load(tmp_path / "s.npy")
    assert len(files) == 4 and array.shape == (4, 1, 28, 28)
    first = np.asarray(Image.open(files[0]), dtype=np.float32)
    assert np.allclose(first, np.round((array[0, 0] + 1) * 127.5).clip(0, 255), atol=1)


def test_resume_extends_a_run(trained_run, capsys):
    assert main(["train", "--resume", str(trained_run), "--set", "train.steps=5"]) == 0
    assert (trained_run / "checkpoints" / "step_000005").is_dir()


def test_dry_run_prints_config_and_trains_nothing(tmp_path, capsys):
    assert main(["train", "--preset", "mnist-gan", "--out-dir", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "arch: mlp" in out and "config is valid" in out
    assert not (tmp_path / "mnist-gan").exists()


@pytest.mark.parametrize("argv, message", [
    (["train", "--preset", "nope"], "Unknown preset 'nope'"),
    (["train", "--preset", "mnist-dcgan", "--set", "train.steps=-1"], "train.steps must be >= 1"),
    (["train"], "Give --preset NAME"),
    (["generate", "does/not/exist"], "does not exist"),
    (["train", "--resume", "does/not/exist"], "is not a run directory"),
])
def test_bad_input_gives_one_line_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_list_shows_every_kind(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("presets:", "mnist-dcgan", "recipes:", "losses:", "nonsaturating", "architectures:", "dcgan", "data:", "fashion-mnist", "toy2d"):
        assert word in out


def test_data_list(capsys):
    assert main(["data", "list"]) == 0
    assert "folder" in capsys.readouterr().out


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "ganforge.cli", "list", "presets"], capture_output=True, text=True, check=True)
    assert "toy2d-gan" in result.stdout


def test_generate_png_carries_provenance_and_from_png_regenerates_it(trained_run, tmp_path):
    first, again = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["generate", str(trained_run), "--n", "4", "--seed", "5", "--truncation", "0.7", "--out", str(first)]) == 0
    with Image.open(first) as img:
        assert img.text["seed"] == "5" and img.text["truncation"] == "0.7" and img.text["checkpoint"] == "step_000003"
        pixels = np.asarray(img)
    assert main(["generate", "--from-png", str(first), "--out", str(again)]) == 0
    with Image.open(again) as img:
        assert np.array_equal(np.asarray(img), pixels)


def test_truncation_changes_samples(trained_run, tmp_path):
    main(["generate", str(trained_run), "--n", "2", "--format", "npy", "--out", str(tmp_path / "a.npy")])
    main(["generate", str(trained_run), "--n", "2", "--format", "npy", "--truncation", "0.3", "--out", str(tmp_path / "b.npy")])
    assert not np.allclose(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_generate_without_run_or_png_is_a_clear_error(capsys):
    assert main(["generate"]) == 2
    assert "Give a run directory" in capsys.readouterr().err
