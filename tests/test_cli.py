"""The ganforge command end to end on tiny data."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main

def as_cli(overrides: list[str]) -> list[str]:
    """conftest's override lists as ``ganforge train`` arguments: ["--set", "a=1", "--set", "b=2", ...]."""
    return [arg for override in overrides for arg in ("--set", override)]


@pytest.fixture
def trained_run(tmp_path, tiny):
    overrides = as_cli(tiny["image"] + ["data.limit=128", "train.steps=3"])
    assert main(["train", "--preset", "mnist-dcgan", "--name", "cli", "--out-dir", str(tmp_path), *overrides]) == 0
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


def test_installed_console_script_runs():
    # The `ganforge` script pip installed beside this Python, not `python -m ganforge.cli`:
    # a broken [project.scripts] entry (or a missing install) fails here.
    script = Path(sys.executable).with_name("ganforge")
    assert script.is_file(), f"{script} is missing: run `pip install -e .` (make install)"
    result = subprocess.run([str(script), "list", "presets"], capture_output=True, text=True, check=True)
    assert "toy2d-gan" in result.stdout
    bad = subprocess.run([str(script), "train"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("ganforge: error: Give --preset NAME")


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


# ---------------------------------------------------------------- generate guards and layout


@pytest.fixture(scope="module")
def points_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("points")
    assert main(["train", "--preset", "toy2d-gan", "--name", "pts", "--out-dir", str(out), "--device", "cpu",
                 "--set", "data.limit=64", "--set", "model.g.hidden=[8]", "--set", "model.d.hidden=[8]",
                 "--set", "train.batch_size=16", "--set", "train.steps=2", "--set", "train.progress=false"]) == 0
    return out / "pts"


@pytest.mark.parametrize("n", ["0", "-3", "100001"])
def test_generate_n_out_of_range_is_refused_before_any_work(trained_run, tmp_path, n, capsys):
    assert main(["generate", str(trained_run), "--n", n, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "--n must be between 1 and 100,000" in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


def test_generate_n_at_the_bounds_works(points_run, tmp_path):
    assert main(["generate", str(points_run), "--n", "1", "--format", "npy", "--out", str(tmp_path / "one.npy")]) == 0
    assert np.load(tmp_path / "one.npy").shape == (1, 2)


@pytest.mark.parametrize("fmt", ["png", "png-dir"])
def test_a_points_model_writes_npy_not_pictures(points_run, tmp_path, fmt, capsys):
    out = tmp_path / ("p.png" if fmt == "png" else "pngs")
    assert main(["generate", str(points_run), "--n", "4", "--format", fmt, "--out", str(out)]) == 2
    assert "makes points, not images; use --format npy" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_per_class_needs_a_conditional_run_and_at_least_one(trained_run, tiny_cond_run, tmp_path, capsys):
    assert main(["generate", str(trained_run), "--per-class", "2", "--out", str(tmp_path / "a.png")]) == 2
    assert "--per-class needs a conditional run" in capsys.readouterr().err
    for bad in ("0", "-1"):
        assert main(["generate", str(tiny_cond_run), "--per-class", bad, "--out", str(tmp_path / "b.png")]) == 2
        assert "--per-class must be between 1 and" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


@pytest.mark.parametrize("nrow, cols, rows", [("2", 2, 3), ("6", 6, 1), ("1", 1, 6)])
def test_nrow_sets_images_per_row(trained_run, tmp_path, nrow, cols, rows):
    out = tmp_path / "g.png"
    assert main(["generate", str(trained_run), "--n", "6", "--nrow", nrow, "--out", str(out)]) == 0
    with Image.open(out) as img:  # 28px images with 2px padding
        assert img.size == (cols * 30 + 2, rows * 30 + 2)


@pytest.mark.parametrize("nrow", ["0", "-3", "7"])
def test_nrow_out_of_range_is_refused(trained_run, tmp_path, nrow, capsys):
    assert main(["generate", str(trained_run), "--n", "6", "--nrow", nrow, "--out", str(tmp_path / "g.png")]) == 2
    assert "--nrow must be between 1 and 6" in capsys.readouterr().err


# ---------------------------------------------------------------- the one error boundary


@pytest.mark.parametrize("exc, code, message", [
    (OSError(28, "No space left on device", "/full/disk/x"), 1, "The disk is full while writing '/full/disk/x'"),
    (PermissionError(13, "Permission denied", "/ro/x"), 1, "Cannot write '/ro/x': permission denied"),
    (MemoryError(), 1, "out of memory; ask for fewer samples"),
    (KeyboardInterrupt(), 130, "interrupted"),
    (RecursionError("maximum recursion depth exceeded"), 1, "internal error: RecursionError: maximum recursion depth"),
    (ValueError("line one\nline two"), 1, "internal error: ValueError: line one; rerun with GANFORGE_DEBUG=1"),
])
def test_every_failure_is_one_line(monkeypatch, capsys, exc, code, message):
    import ganforge.cli as cli

    def fail(args):
        raise exc

    monkeypatch.delenv("GANFORGE_DEBUG", raising=False)
    monkeypatch.setattr(cli, "cmd_list", fail)
    assert main(["list"]) == code
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_debug_shows_the_real_exception(monkeypatch):
    import ganforge.cli as cli

    monkeypatch.setenv("GANFORGE_DEBUG", "1")
    monkeypatch.setattr(cli, "cmd_list", lambda args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["list"])


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "--n", "x"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith("ganforge generate: error: argument --n: invalid int value: 'x'")


def test_generate_checks_before_loading(tmp_path, capsys):
    # no run at all: the argument error comes first, so a bad command fails in milliseconds
    assert main(["generate", str(tmp_path / "none"), "--nrow", "0"]) == 2
    assert "--nrow must be between 1 and 64, got 0" in capsys.readouterr().err


def test_generate_out_npy_without_format_writes_npy(trained_run, tmp_path):
    # before: the default png format wrote a PNG into samples.npy, which np.load then refused
    assert main(["generate", str(trained_run), "--n", "3", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 1, 28, 28)


def test_generate_refuses_a_format_its_out_name_denies_before_any_work(trained_run, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["generate", str(trained_run), "--n", "3", "--format", "npy", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ends in .png" in err and "end it in .npy" in err
    assert not out.exists()


def test_generate_writes_are_atomic_and_npy_keeps_its_name(trained_run, tmp_path):
    out = tmp_path / "s.npy"
    assert main(["generate", str(trained_run), "--n", "3", "--format", "npy", "--out", str(out)]) == 0
    assert np.load(out).shape == (3, 1, 28, 28)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli", "s.npy"]  # no temporary left behind


def _every_parser(parser, prefix=()):
    """Every (sub)command path of the CLI's argparse tree, e.g. ("data", "list")."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _every_parser(sub, (*prefix, name))


def test_every_command_prints_its_help(capsys):
    """`ganforge CMD --help` works for every command: argparse formats help text with %,
    so a stray % in a help string (e.g. an f-string's "10%") crashes only there."""
    from ganforge.cli import build_parser, main

    commands = list(_every_parser(build_parser()))
    assert len(commands) > 10
    for command in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0, command
        assert "usage:" in capsys.readouterr().out
