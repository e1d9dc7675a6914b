import argparse

import pytest
import torch
from PIL import Image

from ganforge.art.commands import add_commands, parse_seeds
from ganforge.art.provenance import from_png_command
from ganforge.art.provenance import read_provenance, regenerate
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
    meta = read_provenance(out)
    assert meta["seeds"] == [1, 7, 42] and meta["steps"] == 4 and meta["truncation"] == 0.7 and meta["mode"] == "slerp"
    walk, _ = regenerate(meta)
    assert len(walk) == 9  # 4 frames per leg, 2 legs, plus the last seed
    # The GIF writer merges identical neighbours, so the file has one frame per run of equal frames.
    distinct = 1 + sum(not torch.equal(a, b) for a, b in zip(walk[:-1], walk[1:]))
    with Image.open(out) as img:
        assert img.n_frames == distinct > 1 and img.info["duration"] == 100


def test_grid_around_writes_a_png_that_regenerates(tiny_run, tmp_path):
    out = tmp_path / "around.png"
    assert _run(["interpolate", str(tiny_run), "--grid-around", "42", "--n", "3", "--out", str(out)]) == 0
    assert read_provenance(out)["seed"] == 42
    copy = from_png_command(out, tmp_path / "copy.png")
    with Image.open(out) as a, Image.open(copy) as b:
        assert a.tobytes() == b.tobytes()


def test_morph_writes_a_gif_whose_provenance_regenerates(tiny_cond_run, tmp_path):
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
