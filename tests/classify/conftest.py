"""Tiny synthetic labelled images: each class is a bright square at its own place, plus noise."""

import pytest
import torch

from ganforge.data.base import Dataset

TINY_NET = {"hidden": [32, 16]}
K = 4


def make_images(n: int, seed: int, size: int = 28, classes: int = K) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (n, 1, size, size) and labels (n,): class k = a 6x6 square at a class-specific spot."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    y = y[torch.randperm(n, generator=gen)]
    x = torch.rand(n, 1, size, size, generator=gen) * 60
    for i, k in enumerate(y.tolist()):
        r, c = 4 + 12 * (k // 2), 4 + 12 * (k % 2)
        x[i, 0, r : r + 6, c : c + 6] += 180
    return x.clamp(0, 255).to(torch.uint8), y


@pytest.fixture(scope="session")
def tiny_data():
    """(train, test) Datasets: 160 / 80 images of 4 classes."""
    names = [f"class{k}" for k in range(K)]
    xtr, ytr = make_images(160, 0)
    xte, yte = make_images(80, 1)
    return (Dataset(x=xtr, y=ytr, class_names=names, source="tiny"),
            Dataset(x=xte, y=yte, class_names=names, source="tiny"))


@pytest.fixture(autouse=True)
def _one_thread():
    # These nets are tiny: with 2 threads on a busy machine the OpenMP hand-offs
    # cost more than the maths (30 tiny steps took 13 CPU s instead of 0.3 s).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
