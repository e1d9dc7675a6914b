"""IDX reader: plain and gzip files, other dtypes, truncated and corrupt files."""

import gzip
import struct

import numpy as np
import pytest
import torch

from ganforge.data.idx import find_idx_split, read_idx, read_idx_split
from ganforge.errors import GanforgeError


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip(tmp_path, write_idx, gz):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / ("x.gz" if gz else "x"), images, gz=gz)
    x = read_idx(path)
    assert x.dtype == torch.uint8 and x.shape == (5, 28, 28)
    assert torch.equal(x, torch.from_numpy(images))


def test_read_idx_big_endian_int32(tmp_path):
    values = np.array([1, -2, 70000], dtype=">i4")
    path = tmp_path / "v"
    path.write_bytes(struct.pack(">BBBBi", 0, 0, 0x0C, 1, 3) + values.tobytes())
    assert read_idx(path).tolist() == [1, -2, 70000]


def test_truncated_idx_is_clear_error(tmp_path, write_idx):
    path = write_idx(tmp_path / "x", np.zeros((4, 28, 28)))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(GanforgeError, match="truncated or corrupt.*again"):
        read_idx(path)


def test_truncated_gzip_is_clear_error(tmp_path, write_idx):
    path = write_idx(tmp_path / "x.gz", np.zeros((4, 28, 28)), gz=True)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(GanforgeError, match="truncated or corrupt"):
        read_idx(path)


def test_not_idx_is_clear_error(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(gzip.compress(b"hello world, not an idx file"))
    with pytest.raises(GanforgeError, match="IDX header"):
        read_idx(path)


def test_find_and_read_split(tmp_path, write_idx):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.ones((3, 4, 4)), gz=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", [0, 1, 2])
    assert find_idx_split([tmp_path / "nope", tmp_path], "test") is None
    files = find_idx_split([tmp_path / "nope", tmp_path], "train")
    x, y = read_idx_split(files)
    assert x.shape == (3, 1, 4, 4) and y.dtype == torch.int64 and y.tolist() == [0, 1, 2]


def test_mismatched_pair_is_error(tmp_path, write_idx):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.ones((3, 4, 4)))
    write_idx(tmp_path / "train-labels-idx1-ubyte", [0, 1])
    with pytest.raises(GanforgeError, match="image/label pair"):
        read_idx_split(find_idx_split([tmp_path], "train"))
