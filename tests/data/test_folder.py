"""The folder source on a folder of odd files built with Pillow."""

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.data.registry import DataNotice
from ganforge.errors import GanforgeError

# The skipped-files notice is asserted where it matters; elsewhere it is noise.
pytestmark = pytest.mark.filterwarnings("ignore::ganforge.data.registry.DataNotice")


def _save(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


@pytest.fixture
def odd_folder(tmp_path):
    """cats/: 6 images in odd modes + 3 bad files; dogs/: 2 images, one nested. 8 good, 3 bad."""
    root = tmp_path / "pets"
    cats, dogs = root / "cats", root / "dogs"
    _save(cats / "grey.png", Image.new("L", (40, 30), 100))  # non-square grey
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[:10] = (255, 0, 0, 255)  # top half opaque red, bottom half fully transparent
    _save(cats / "rgba.png", Image.fromarray(rgba))
    _save(cats / "palette.gif", Image.new("RGB", (16, 16), (0, 0, 255)).convert("P"))
    _save(cats / "deep.png", Image.fromarray(np.full((16, 16), 257 * 200, np.uint16)))  # 16-bit grey
    _save(cats / "photo.jpg", Image.new("RGB", (50, 20), (0, 200, 0)))
    _save(cats / "wide.bmp", Image.new("RGB", (64, 16), (10, 20, 30)))
    good = cats / "good.png"
    _save(good, Image.new("RGB", (16, 16), (1, 2, 3)))
    (cats / "corrupt.png").write_bytes(good.read_bytes()[:40])
    good.unlink()
    (cats / "empty.jpg").write_bytes(b"")
    (cats / "notes.txt").write_text("not a picture")
    _save(dogs / "a.png", Image.new("RGB", (16, 16), (9, 9, 9)))
    _save(dogs / "deeper" / "b.png", Image.new("RGB", (16, 16), (8, 8, 8)))
    (root / ".hidden").mkdir()
    _save(root / ".hidden" / "x.png", Image.new("RGB", (16, 16)))  # ignored entirely
    return root


def _load(root, **kw):
    return load_dataset(DataConfig(source="folder", path=str(root), resolution=kw.pop("resolution", 16), **kw))


def test_folder_counts_labels_and_one_warning(odd_folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = _load(odd_folder)
    notices = [w for w in caught if issubclass(w.category, DataNotice)]
    assert len(notices) == 1, [str(w.message) for w in caught]
    assert "skipped 3 of 11 files (1 corrupt, 1 empty, 1 not an image)" in str(notices[0].message)
    assert data.x.shape == (8, 3, 16, 16) and data.x.dtype == torch.uint8
    assert data.class_names == ["cats", "dogs"]
    assert data.y.tolist() == [0] * 6 + [1] * 2
    assert data.info["skipped"] == 3
    assert data.info["skipped_by_reason"] == {"corrupt": 1, "empty": 1, "not an image": 1}


def test_folder_pixel_conversions(odd_folder):
    data = _load(odd_folder, cache=False)
    # sorted order in cats/: deep.png, grey.png, palette.gif, photo.jpg, rgba.png, wide.bmp
    deep, grey, palette, photo, rgba, wide = data.x[:6]
    assert (deep == 200).all()  # 16-bit 257*200 -> 200
    assert (grey == 100).all()
    assert torch.equal(palette[:, 8, 8], torch.tensor([0, 0, 255], dtype=torch.uint8))
    assert abs(int(photo[1, 8, 8]) - 200) <= 3 and int(photo[0, 8, 8]) <= 3
    assert torch.equal(rgba[:, 2, 8], torch.tensor([255, 0, 0], dtype=torch.uint8))
    assert (rgba[:, 14, 8] == 255).all()  # transparent -> white
    assert torch.equal(wide[:, 8, 8], torch.tensor([10, 20, 30], dtype=torch.uint8))


def test_folder_grey_and_resolution(odd_folder):
    data = _load(odd_folder, channels=1, resolution=8, cache=False)
    assert data.x.shape == (8, 1, 8, 8)


def test_folder_defaults_are_64_rgb(tmp_path):
    _save(tmp_path / "a.png", Image.new("L", (100, 80), 50))
    data = load_dataset(DataConfig(source="folder", path=str(tmp_path)))
    assert data.x.shape == (1, 3, 64, 64) and data.y is None and data.class_names is None


def test_folder_unlabelled_root(tmp_path):
    for i in range(3):
        _save(tmp_path / f"{i}.png", Image.new("RGB", (10, 10), (i, i, i)))
    data = _load(tmp_path)
    assert data.x.shape == (3, 3, 16, 16) and data.y is None and data.info["skipped"] == 0


def test_folder_mixed_root_images_skipped(odd_folder):
    _save(odd_folder / "stray.png", Image.new("RGB", (10, 10)))
    with pytest.warns(DataNotice, match="1 outside class folders"):
        data = _load(odd_folder, cache=False)
    assert len(data) == 8


def test_folder_errors(tmp_path):
    with pytest.raises(GanforgeError, match="does not exist.*--set data.path="):
        _load(tmp_path / "nope")
    with pytest.raises(GanforgeError, match="needs data.path"):
        load_dataset(DataConfig(source="folder"))
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(GanforgeError, match="No readable images"):
        _load(tmp_path)
    with pytest.raises(GanforgeError, match="no split 'test'"):
        _load(tmp_path, split="test")
