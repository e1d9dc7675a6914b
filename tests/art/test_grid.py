import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.art.grid import make_grid, save_image


def test_grid_layout_and_content():
    images = torch.zeros(5, 3, 4, 4, dtype=torch.uint8)
    images[1] = 200
    grid = make_grid(images, nrow=2, padding=1)
    assert grid.size == (2 * 5 + 1, 3 * 5 + 1) and grid.mode == "RGB"
    array = np.asarray(grid)
    assert (array[1:5, 6:10] == 200).all() and (array[1:5, 1:5] == 0).all()


def test_grey_grid_and_png_metadata_round_trip(tmp_path):
    grid = make_grid(torch.full((4, 1, 3, 3), 7, dtype=torch.uint8))
    path = save_image(grid, tmp_path / "g.png", {"seed": 42, "run": "demo"}, scale=2)
    with Image.open(path) as img:
        assert img.mode == "L" and img.text == {"seed": "42", "run": "demo"}
        assert img.size == (grid.width * 2, grid.height * 2)


def test_grid_rejects_float_images():
    with pytest.raises(ValueError):
        make_grid(torch.zeros(1, 1, 2, 2))
