import pytest
import torch
from PIL import Image

from ganforge.art.animate import auto_scale, mp4_available, read_gif_frames, save_animation, save_gif, save_mp4
from ganforge.art.provenance import read_provenance
from ganforge.errors import GanforgeError


def _frames(n=7, c=3, size=28):
    # distinct frames (a GIF writer merges identical neighbours)
    frames = torch.zeros(n, c, size, size, dtype=torch.uint8)
    for i in range(n):
        frames[i, :, i, :] = 255
    return frames


def test_gif_frame_count_loop_and_upscaling(tmp_path):
    path = save_gif(_frames(7), tmp_path / "walk.gif", fps=20, metadata={"kind": "interpolation", "seeds": [1, 2]})
    with Image.open(path) as img:
        assert img.n_frames == 7 and img.info.get("loop") == 0 and img.info["duration"] == 50
        assert img.size == (28 * auto_scale(28, 28),) * 2 and img.size[0] >= 256
    frames = read_gif_frames(path)
    assert frames[3].getpixel((0, 3 * auto_scale(28, 28))) == (255, 255, 255)  # nearest: crisp rows
    assert read_provenance(path) == {"kind": "interpolation", "seeds": [1, 2]}


def test_grey_gif_and_explicit_scale(tmp_path):
    path = save_gif(_frames(3, c=1, size=8), tmp_path / "g.gif", scale=2)
    with Image.open(path) as img:
        assert img.n_frames == 3 and img.size == (16, 16)


def test_animation_by_extension_and_errors(tmp_path):
    with pytest.raises(GanforgeError, match=r"\.gif or \.mp4"):
        save_animation(_frames(2), tmp_path / "walk.avi")
    with pytest.raises(GanforgeError, match="Frames per second"):
        save_gif(_frames(2), tmp_path / "x.gif", fps=0)


def test_mp4(tmp_path):
    assert mp4_available(), "imageio-ffmpeg is a dev dependency: pip install -e '.[dev]'"
    path = save_animation(_frames(5, size=27), tmp_path / "walk.mp4", fps=10, scale=1)  # odd size: padded to even
    assert path.stat().st_size > 0 and path.read_bytes()[4:8] == b"ftyp"


def test_mp4_without_imageio_ffmpeg_names_the_package(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "imageio_ffmpeg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(GanforgeError, match="imageio-ffmpeg"):
        save_mp4(_frames(2), tmp_path / "walk.mp4")
