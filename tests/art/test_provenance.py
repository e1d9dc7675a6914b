import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.art.grid import make_grid, save_image
from ganforge.art.provenance import (from_png_command, read_provenance, regenerate_from_png, sample_images,
                                     save_latent_grid, save_samples)
from ganforge.errors import GanforgeError


def _pixels(path):
    with Image.open(path) as img:
        return np.asarray(img).copy()


def test_png_metadata_round_trips(tiny_model, tiny_run, tmp_path):
    path = save_samples(tiny_model, tmp_path / "grid.png", n=6, seed=11, truncation=0.7, nrow=3)
    meta = read_provenance(path)
    assert meta["kind"] == "samples" and meta["run"] == str(tiny_run.resolve())
    assert meta["checkpoint"] == tiny_model.source.name and len(meta["weights"]) == 16
    assert (meta["seed"], meta["n"], meta["nrow"], meta["truncation"], meta["index"]) == (11, 6, 3, 0.7, None)


def test_regenerate_from_png_is_pixel_exact(tiny_model, tmp_path):
    path = save_samples(tiny_model, tmp_path / "grid.png", n=9, seed=3, truncation=0.5, scale=2)
    images, meta = regenerate_from_png(path)
    assert images.shape == (9, 1, 28, 28) and meta["seed"] == 3
    assert np.array_equal(np.asarray(make_grid(images).resize((_pixels(path).shape[1],) * 2, Image.NEAREST)), _pixels(path))
    copy = from_png_command(path, tmp_path / "copy.png")
    assert _pixels(copy).tobytes() == _pixels(path).tobytes()
    assert read_provenance(copy) == read_provenance(path)


def test_single_image_and_latent_grid_regenerate(tiny_model, tmp_path):
    one = save_samples(tiny_model, tmp_path / "one.png", n=8, seed=2, index=5)
    images, _ = regenerate_from_png(one)
    assert images.shape == (1, 1, 28, 28)
    assert _pixels(from_png_command(one, tmp_path / "one2.png")).tobytes() == _pixels(one).tobytes()
    grid = save_latent_grid(tiny_model, tmp_path / "around.png", seed=4, n=3, spread=0.3)
    assert read_provenance(grid)["kind"] == "latent-grid"
    assert _pixels(from_png_command(grid, tmp_path / "around2.png")).tobytes() == _pixels(grid).tobytes()


def test_regenerate_from_a_moved_run(tiny_run, tmp_path):
    import shutil

    from ganforge.api import load

    first = shutil.copytree(tiny_run, tmp_path / "first")
    model = load(first)
    path = save_samples(model, tmp_path / "grid.png", n=4, seed=1)
    expected = sample_images(model, 4, seed=1)
    moved = first.rename(tmp_path / "moved")  # the run the PNG names is gone
    with pytest.raises(GanforgeError, match="does not exist"):
        regenerate_from_png(path)
    images, _ = regenerate_from_png(path, run=moved)
    assert torch.equal(images, expected)


def test_regenerate_refuses_changed_weights_and_plain_pngs(tiny_model, tmp_path):
    path = save_samples(tiny_model, tmp_path / "grid.png", n=4, seed=1)
    with Image.open(path) as img:
        text = dict(img.text)
    save_image(Image.new("L", (4, 4)), tmp_path / "forged.png", {**text, "weights": "0" * 16})
    with pytest.raises(GanforgeError, match="not the ones"):
        regenerate_from_png(tmp_path / "forged.png")
    save_image(Image.new("L", (4, 4)), tmp_path / "plain.png")
    with pytest.raises(GanforgeError, match="no ganforge provenance"):
        regenerate_from_png(tmp_path / "plain.png")
    with pytest.raises(GanforgeError, match="does not exist"):
        read_provenance(tmp_path / "missing.png")
