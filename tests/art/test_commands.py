import argparse

import pytest
import torch
from PIL import Image

from ganforge.art.commands import add_commands, from_png_command, parse_seeds
from ganforge.art.provenance import read_provenance
from ganforge.errors import GanforgeError


def _run(argv):
    parser = argparse.ArgumentParser(prog="ganforge")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_interpolate_writes_a_gif_with_provenance(tiny_run, tmp_path):
    out = tmp_path / "walk.gif"
    assert _run(["interpolate", str(tiny_run), "--seeds", "1,7,42", "--steps", "4", "--out", str(out),
                 "--truncation", "0.7", "--fps", "10"]) == 0
    with Image.open(out) as img:
        assert img.n_frames <= 9 and img.info["duration"] == 100  # identical neighbours may merge
    meta = read_provenance(out)
    assert meta["seeds"] == [1, 7, 42] and meta["steps"] == 4 and meta["truncation"] == 0.7 and meta["mode"] == "slerp"


def test_grid_around_writes_a_png_that_regenerates(tiny_run, tmp_path):
    out = tmp_path / "around.png"
    assert _run(["interpolate", str(tiny_run), "--grid-around", "42", "--n", "3", "--out", str(out)]) == 0
    assert read_provenance(out)["seed"] == 42
    copy = from_png_command(out, tmp_path / "copy.png")
    with Image.open(out) as a, Image.open(copy) as b:
        assert a.tobytes() == b.tobytes()


def test_morph_writes_a_gif_whose_provenance_regenerates(tiny_cond_run, tmp_path):
    from ganforge.art.provenance import regenerate
    from ganforge.api import load
    from ganforge.art.latent import class_morph

    out = tmp_path / "morph.gif"
    assert _run(["interpolate", str(tiny_cond_run), "--morph", "0,5", "--seed", "3", "--steps", "3",
                 "--out", str(out)]) == 0
    meta = read_provenance(out)
    assert meta["kind"] == "class-morph" and meta["classes"] == [0, 5] and meta["seed"] == 3
    images, _ = regenerate(meta)
    assert torch.equal(images, class_morph(load(tiny_cond_run), 3, [0, 5], steps=3))
    with pytest.raises(GanforgeError, match="animation"):
        from_png_command(out, tmp_path / "x.png")


@pytest.mark.parametrize("argv, match", [
    (["--morph", "3"], "at least two"),
    (["--morph", "3,8", "--seed", "-1"], "--seed"),
    (["--morph", "3,8", "--out", "m.png"], r"\.gif or \.mp4"),
    (["--morph", "3,nope"], "nope"),
])
def test_morph_errors(tiny_cond_run, argv, match):
    with pytest.raises(GanforgeError, match=match):
        _run(["interpolate", str(tiny_cond_run), *argv])


def test_morph_needs_a_conditional_run(tiny_run):
    with pytest.raises(GanforgeError, match="conditional"):
        _run(["interpolate", str(tiny_run), "--morph", "1,2"])


@pytest.mark.parametrize("argv, match", [
    (["--seeds", "1"], "at least two"),
    (["--seeds", "1,x"], "whole numbers"),
    (["--seeds", "1,-3"], ">= 0"),
    (["--out", "walk.avi"], r"\.gif or \.mp4"),
    (["--steps", "0"], "--steps"),
    (["--truncation", "0"], "Truncation"),
    (["--grid-around", "1", "--out", "g.gif"], "PNG"),
])
def test_interpolate_errors(tiny_run, tmp_path, argv, match):
    with pytest.raises(GanforgeError, match=match):
        _run(["interpolate", str(tiny_run), *argv])


def test_parse_seeds():
    assert parse_seeds("1, 7,42") == [1, 7, 42]


def test_studio_command_parses(monkeypatch):
    import ganforge.art.commands as commands

    seen = {}
    parser = argparse.ArgumentParser(prog="ganforge")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["studio", "myruns", "--port", "7999"])
    assert (args.runs, args.port, args.host) == ("myruns", 7999, "127.0.0.1") and args.func is commands.cmd_studio
    monkeypatch.setitem(__import__("sys").modules, "ganforge.studio.app",
                        type("M", (), {"serve": staticmethod(lambda root, host, port: seen.update(root=root, port=port))}))
    assert args.func(args) == 0 and seen == {"root": "myruns", "port": 7999}
