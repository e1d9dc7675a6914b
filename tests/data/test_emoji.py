import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import emoji, load_dataset
from ganforge.errors import GanforgeError

needs_font = pytest.mark.skipif(not any(p.is_file() for p in emoji.FONT_PATHS),
                                reason="fonts-noto-color-emoji is not installed (apt-get install fonts-noto-color-emoji)")


@needs_font
def test_emoji_shapes_dtype_and_limit(tmp_path):
    data = load_dataset(DataConfig(source="emoji", limit=32, cache_dir=str(tmp_path)))
    assert data.x.shape == (32, 3, 64, 64) and data.x.dtype == torch.uint8 and data.y is None
    assert data.info["method"] == "cbdt"
    again = load_dataset(DataConfig(source="emoji", limit=32, cache_dir=str(tmp_path)))  # from the cache
    assert torch.equal(again.x, data.x)
    assert len(list(tmp_path.glob("emoji-*.safetensors"))) == 1


@needs_font
def test_emoji_count_and_resolution(tmp_path):
    data = load_dataset(DataConfig(source="emoji", resolution=16, cache=False))
    assert data.x.shape[1:] == (3, 16, 16) and 3000 < len(data) < 4500


@needs_font
def test_emoji_background_compositing():
    white = load_dataset(DataConfig(source="emoji", limit=8, resolution=32, cache=False))
    black = load_dataset(DataConfig(source="emoji", limit=8, resolution=32, variant="black", cache=False))
    teal = load_dataset(DataConfig(source="emoji", limit=8, resolution=32, variant="#008080", cache=False))
    corner = (slice(None), slice(None), 0, 0)  # emoji leave the corners transparent
    assert (white.x[corner] == 255).all() and (black.x[corner] == 0).all()
    assert teal.x[0, :, 0, 0].tolist() == [0, 128, 128]
    assert not torch.equal(white.x, black.x)
    centre = (slice(None), slice(None), 16, 16)
    assert (white.x[centre] != black.x[centre]).sum() < white.x[centre].numel()  # opaque pixels agree


def test_missing_font_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(emoji, "FONT_PATHS", (tmp_path / "NotoColorEmoji.ttf",))
    with pytest.raises(GanforgeError, match="apt-get install fonts-noto-color-emoji"):
        load_dataset(DataConfig(source="emoji", cache=False))
    with pytest.raises(GanforgeError, match="does not exist"):
        load_dataset(DataConfig(source="emoji", path=str(tmp_path / "nope.ttf"), cache=False))


def test_bad_background_and_bad_font(tmp_path):
    with pytest.raises(GanforgeError, match="not a colour"):
        emoji.parse_background("blue-ish")
    assert emoji.parse_background("#FF8000") == (255, 128, 0) and emoji.parse_background(None) == (255, 255, 255)
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(GanforgeError, match="not a readable font"):
        load_dataset(DataConfig(source="emoji", path=str(bad), cache=False))


@needs_font
def test_pillow_fallback_renders_single_codepoints():
    from fontTools.ttLib import TTFont

    path = next(p for p in emoji.FONT_PATHS if p.is_file())
    glyphs = emoji._pillow_glyphs(path, TTFont(str(path), lazy=True))
    assert 1000 < len(glyphs) < 2000 and all(g.getbbox() for g in glyphs[:20])
