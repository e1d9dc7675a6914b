"""The public image helpers of data/folder.py that the pair sources and translators reuse."""

import numpy as np
import pytest
from PIL import Image

from ganforge.data.folder import BACKGROUND, fit_square, to_mode


def test_fit_square_crops_the_centre_square_then_resizes():
    wide = np.zeros((10, 30), dtype=np.uint8)
    wide[:, 4:26] = 255  # white around the centre 10x10 square (the resampling filter reads a little beyond it)
    out = fit_square(Image.fromarray(wide), 5)
    assert out.size == (5, 5) and np.asarray(out).min() == 255


def test_fit_square_leaves_an_image_of_the_right_size_alone():
    img = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8))
    assert fit_square(img, 8) is img


@pytest.mark.parametrize("mode,channels,expected", [("RGBA", 3, "RGB"), ("LA", 1, "L"), ("I;16", 1, "L"),
                                                    ("P", 3, "RGB"), ("CMYK", 1, "L")])
def test_to_mode_converts_any_mode_to_grey_or_rgb(mode, channels, expected):
    assert to_mode(Image.new(mode, (4, 4)), channels).mode == expected


def test_to_mode_puts_transparency_on_white():
    clear = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    assert np.asarray(to_mode(clear, 3)).min() == BACKGROUND


def test_to_mode_scales_16_bit_grey_to_8_bit():
    deep = Image.fromarray(np.full((2, 2), 65535, dtype=np.uint16))
    assert np.asarray(to_mode(deep, 1)).max() == 255
