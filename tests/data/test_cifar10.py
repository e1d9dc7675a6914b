"""CIFAR-10 from tiny fake batches: folder, tar.gz, missing path, malicious pickle."""

import io
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.data.cifar10 import CLASS_NAMES, safe_unpickle
from ganforge.errors import GanforgeError

N = 4  # images per fake batch


def _batch(seed):
    rng = np.random.default_rng(seed)
    # Keys as bytes, as in the Python 2 originals read with encoding="bytes".
    # Written with protocol 3: protocol 2 from Python 3 spells bytes via
    # _codecs.encode, which the originals (Python 2 str) never contain.
    return {b"batch_label": b"fake", b"labels": [int(v) for v in rng.integers(0, 10, N)],
            b"data": rng.integers(0, 256, (N, 3072), dtype=np.uint8), b"filenames": [b"a.png"] * N}


@pytest.fixture
def cifar_dir(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        (folder / name).write_bytes(pickle.dumps(_batch(i), protocol=3))
    meta = {b"label_names": [n.encode() for n in CLASS_NAMES], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=3))
    return folder


@pytest.mark.parametrize("split,n", [("train", 5 * N), ("test", N), ("all", 6 * N)])
def test_cifar_folder(cifar_dir, split, n):
    data = load_dataset(DataConfig(source="cifar10", split=split, path=str(cifar_dir)))
    assert data.x.shape == (n, 3, 32, 32) and data.x.dtype == torch.uint8 and data.y.dtype == torch.int64
    assert data.class_names == CLASS_NAMES


def test_cifar_pixel_layout(cifar_dir):
    data = load_dataset(DataConfig(source="cifar10", split="test", path=str(cifar_dir.parent), cache=False))
    raw = _batch(5)[b"data"]
    # Row layout: 1024 red, 1024 green, 1024 blue, each 32x32 row-major.
    assert torch.equal(data.x[1, 2], torch.from_numpy(raw[1, 2048:].reshape(32, 32)))
    assert data.y.tolist() == _batch(5)[b"labels"]


def test_cifar_tar_gz(cifar_dir, tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(cifar_dir, arcname="cifar-10-batches-py")
    from_tar = load_dataset(DataConfig(source="cifar10", split="all", path=str(archive)))
    from_dir = load_dataset(DataConfig(source="cifar10", split="all", path=str(cifar_dir), cache=False))
    assert torch.equal(from_tar.x, from_dir.x) and torch.equal(from_tar.y, from_dir.y)


def test_cifar_protocol5_arrays(cifar_dir):
    (cifar_dir / "test_batch").write_bytes(pickle.dumps(_batch(5), protocol=5))
    data = load_dataset(DataConfig(source="cifar10", split="test", path=str(cifar_dir), cache=False))
    assert data.x.shape == (N, 3, 32, 32)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_malicious_pickle_is_refused(cifar_dir, monkeypatch):
    batch = _batch(5)
    batch[b"labels"] = _Evil()
    (cifar_dir / "test_batch").write_bytes(pickle.dumps(batch, protocol=3))
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    with pytest.raises(GanforgeError, match="not a valid CIFAR-10 batch.*not allowed"):
        load_dataset(DataConfig(source="cifar10", split="test", path=str(cifar_dir), cache=False))
    assert not called


@pytest.mark.parametrize("payload", [
    b"cbuiltins\neval\n(S'1+1'\ntR.",
    b"cnumpy\nload\n(S'x'\ntR.",  # a numpy global, but not one that rebuilds an array
    pickle.dumps({b"data": io.BytesIO(b"x")}),
])
def test_disallowed_globals(payload):
    with pytest.raises(GanforgeError, match="not allowed"):
        safe_unpickle(payload, "evil")


def test_cifar_missing_path_names_the_setting(tmp_path):
    with pytest.raises(GanforgeError, match=r"--set data\.path=/path/to/cifar-10-batches-py"):
        load_dataset(DataConfig(source="cifar10"))
    with pytest.raises(GanforgeError, match="not found at"):
        load_dataset(DataConfig(source="cifar10", path=str(tmp_path / "nope")))


def test_cifar_bad_batch_contents(cifar_dir):
    (cifar_dir / "test_batch").write_bytes(pickle.dumps({b"data": [1, 2, 3]}, protocol=3))
    with pytest.raises(GanforgeError, match="expected uint8 data"):
        load_dataset(DataConfig(source="cifar10", split="test", path=str(cifar_dir), cache=False))
