"""Every registered data source, whatever its name: described, its declared splits load, and what it gives
honours the Dataset contract (uint8 (N, C, H, W) images or float32 (N, D) points; int64 labels or None).

A source that reads files gets a tiny setup in FILES below; every other one loads from what is installed
(the 5k MNIST subset, Fashion-MNIST, the Noto emoji font, generated toy2d points).
"""

import pickle
import warnings

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import SOURCES, load_dataset
from ganforge.data.registry import describe_sources


def _images(folder, n=6, size=16, classes=("a", "b")):
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / name / f"{i}.png")
    return folder


def _cifar(folder):
    from ganforge.data.cifar10 import CLASS_NAMES

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        batch = {b"labels": [int(v) for v in rng.integers(0, 10, 4)],
                 b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8)}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=3))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [n.encode() for n in CLASS_NAMES]}, protocol=3))
    return folder


def _tensors(path):
    from ganforge.data.tensor_file import write_tensor_file

    x = torch.randint(0, 256, (6, 1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return write_tensor_file(path, x, torch.tensor([0, 1, 2, 0, 1, 2]), ["a", "b", "c"])


#: sources that read files given by data.path: how to write tiny ones.
FILES = {
    "folder": lambda tmp: _images(tmp / "imgs"),
    "paired-folder": lambda tmp: _images(tmp / "pairs", classes=("A", "B")),
    "unpaired-folders": lambda tmp: _images(tmp / "unpaired", classes=("A", "B")),
    "cifar10": lambda tmp: _cifar(tmp / "cifar-10-batches-py"),
    "tensor-file": lambda tmp: _tensors(tmp / "labelled.safetensors"),
}


def _load(name, split, tmp_path, **extra):
    path = FILES[name](tmp_path) if name in FILES else None
    cfg = DataConfig(source=name, split=split, limit=8, cache=False, path=str(path) if path else None, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # subset notices
        return load_dataset(cfg)


def test_every_source_is_described():
    described = dict(describe_sources())
    assert set(described) == set(SOURCES.names()) and all(described.values())


#: sources that decode a whole data set before `limit` applies (tens of seconds on CPU).
SLOW = {"edges2fashion", "fashion2inverted", "emoji", "edges2emoji"}
PARAMS = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in SOURCES.names()]


@pytest.mark.parametrize("name", PARAMS)
def test_source_honours_the_dataset_contract(name, tmp_path):
    loader = SOURCES.get(name)
    split = "train" if "train" in loader.splits else loader.splits[0]
    data = _load(name, split, tmp_path)
    assert 0 < len(data) <= 8 and data.source == name
    if data.is_image:
        assert data.x.dtype == torch.uint8 and data.x.dim() == 4 and data.x.shape[1] in (1, 2, 3, 4, 6)
    else:
        assert data.x.dtype == torch.float32 and data.x.dim() == 2 and torch.isfinite(data.x).all()
    if data.y is not None:
        assert data.y.dtype == torch.int64 and data.y.shape == (len(data),) and int(data.y.min()) >= 0
        if data.class_names:
            assert int(data.y.max()) < len(data.class_names)


@pytest.mark.parametrize("name", SOURCES.names())
def test_source_refuses_an_undeclared_split(name, tmp_path):
    from ganforge.errors import GanforgeError

    with pytest.raises(GanforgeError, match="split"):
        _load(name, "holdout", tmp_path)
