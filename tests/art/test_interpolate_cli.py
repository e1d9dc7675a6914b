"""`ganforge interpolate --closed / --mode / --class` through the real CLI entry point: the
file's frames are the walk the flags ask for (checked against the library's interpolate)."""

import pytest
import torch

from ganforge.api import load
from ganforge.art.animate import read_gif_frames
from ganforge.art.latent import interpolate
from ganforge.art.provenance import read_provenance, regenerate
from ganforge.cli import main


def _walk(run, tmp_path, *flags, name="walk.gif"):
    out = tmp_path / name
    assert main(["interpolate", str(run), "--seeds", "1,7,42", "--steps", "3", "--scale", "1", "--out", str(out),
                 *flags]) == 0
    return out


def _distinct(frames: torch.Tensor) -> int:
    """Frames a GIF keeps: identical neighbours are merged by the writer."""
    return 1 + sum(not torch.equal(a, b) for a, b in zip(frames[:-1], frames[1:]))


def test_closed_walks_back_to_the_first_seed(tiny_run, tmp_path, capsys):
    out = _walk(tiny_run, tmp_path, "--closed")
    assert "Wrote 9 frames (1 -> 7 -> 42 -> 1)" in capsys.readouterr().out  # 3 legs of 3, no repeated first frame
    meta = read_provenance(out)
    assert meta["closed"] is True
    frames, _ = regenerate(meta)
    assert torch.equal(frames, interpolate(load(tiny_run), [1, 7, 42], steps=3, closed=True))
    assert len(read_gif_frames(out)) == _distinct(frames)
    open_walk = interpolate(load(tiny_run), [1, 7, 42], steps=3)
    assert len(open_walk) == 7 and torch.equal(open_walk, frames[:7])  # the same path, minus the way back


def test_mode_lerp_is_a_straight_line_walk(tiny_run, tmp_path):
    meta = read_provenance(_walk(tiny_run, tmp_path, "--mode", "lerp"))
    assert meta["mode"] == "lerp"
    frames, _ = regenerate(meta)
    model = load(tiny_run)
    assert torch.equal(frames, interpolate(model, [1, 7, 42], steps=3, mode="lerp"))
    slerp = interpolate(model, [1, 7, 42], steps=3, mode="slerp")
    assert torch.equal(frames[::3], slerp[::3]) and not torch.equal(frames, slerp)  # same keys, other path


def test_class_fixes_the_class_of_a_conditional_walk(tiny_cond_run, tmp_path, capsys):
    meta = read_provenance(_walk(tiny_cond_run, tmp_path, "--class", "3"))
    assert meta["label"] == 3
    frames, _ = regenerate(meta)
    model = load(tiny_cond_run)
    assert torch.equal(frames, interpolate(model, [1, 7, 42], steps=3, label=3))
    assert not torch.equal(frames, interpolate(model, [1, 7, 42], steps=3, label=5))
    out = tmp_path / "none.gif"
    assert main(["interpolate", str(tiny_cond_run), "--seeds", "1,7", "--steps", "2", "--out", str(out)]) == 2
    assert "conditional: choose a class" in capsys.readouterr().err and not out.exists()


def test_class_on_an_unconditional_run_is_refused(tiny_run, tmp_path, capsys):
    out = tmp_path / "x.gif"
    assert main(["interpolate", str(tiny_run), "--seeds", "1,7", "--steps", "2", "--class", "3", "--out", str(out)]) == 2
    assert "unconditional" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("mode", ["cubic"])
def test_unknown_mode_is_one_line_naming_the_modes(tiny_run, mode, tmp_path, capsys):
    out = tmp_path / "x.gif"
    assert main(["interpolate", str(tiny_run), "--mode", mode, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Unknown interpolation mode 'cubic'; choose one of: slerp, lerp." in err
    assert "Traceback" not in err and not out.exists()
