"""The studio's upload checks on their own: a sketch is saved losslessly, odd image modes become PNG-able, and the
pixel limit is checked from the size alone (at the limit passes, one pixel over is refused)."""

import numpy as np
import pytest
from PIL import Image

from ganforge import limits
from ganforge.studio.errors import StudioError
from ganforge.studio.uploads import check_pixels, decode, image_file


def test_a_sketch_array_is_saved_as_a_lossless_png(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (20, 30, 4), dtype=np.uint8)
    path = image_file(array, tmp_path)
    assert path.parent == tmp_path and path.name.startswith("sketch-") and path.suffix == ".png"
    with Image.open(path) as img:
        assert img.mode == "RGBA" and np.array_equal(np.asarray(img), array)
    assert image_file({"composite": array[..., :1]}, tmp_path).is_file()  # (H, W, 1) from an editor dict


def test_an_image_mode_png_cannot_hold_is_converted(tmp_path):
    path = image_file(Image.new("CMYK", (8, 8), (0, 0, 0, 0)), tmp_path)
    with Image.open(path) as img:
        assert img.mode == "RGB" and img.getpixel((0, 0)) == (255, 255, 255)


def test_an_uploaded_file_is_checked_not_copied(tmp_path):
    upload = tmp_path / "photo.jpg"
    Image.new("RGB", (40, 20), (10, 200, 30)).save(upload)
    assert image_file(str(upload), tmp_path / "elsewhere") == upload
    decoded = decode(upload, 16, 1)
    assert decoded.shape == (1, 16, 16) and decoded.dtype == np.uint8 and decoded.flags.writeable


def test_the_pixel_limit_is_inclusive():
    check_pixels(limits.MAX_PICTURE_PIXELS, 1)
    with pytest.raises(StudioError, match="over the .*-pixel limit; upload a smaller image"):
        check_pixels(limits.MAX_PICTURE_PIXELS + 1, 1)
