"""Fixtures for the evaluation tests: real MNIST slices and GeneratorModel-like fakes."""

import warnings

import pytest
import torch

from ganforge.config import DataConfig


@pytest.fixture(autouse=True)
def _one_thread():
    # These tests run many small matrix products (KID subsets, k-NN chunks, ~100 Inception convs).
    # On a shared 2-core machine two OpenMP threads spin-wait on each other and such ops run
    # 10-30x slower than on one thread, so the metric tests use one (restored afterwards).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def load(source, split, **kw):
    from ganforge.data import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "5k subset" notice
        return load_dataset(DataConfig(source=source, split=split, **kw))


class FakeModel:
    """The GeneratorModel interface over fixed samples: ``sample(n, seed)`` returns the first n.

    Images are given as uint8 (N, C, H, W) and returned in [-1, 1]; points as float.
    """

    def __init__(self, samples: torch.Tensor) -> None:
        self.samples = samples.float().div(127.5).sub(1.0) if samples.dtype == torch.uint8 else samples.float()
        self.device = torch.device("cpu")

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        if n > len(self.samples):
            raise ValueError(f"only {len(self.samples)} samples")
        return self.samples[:n].clone()


@pytest.fixture
def mnist_train():
    return load("mnist", "train")


@pytest.fixture
def mnist_test():
    return load("mnist", "test")


@pytest.fixture
def fashion_test():
    # A missing or corrupt Fashion-MNIST fails here with the loader's message (which names the
    # apt package): `make test` installs it, so it is never a silent skip.
    return load("fashion-mnist", "test")


@pytest.fixture
def fresh_stats_cache(tmp_path, monkeypatch):
    """An empty GANFORGE_CACHE, so stats computed by this test are its own (datasets decode again)."""
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def fake_model():
    """FakeModel(samples): a GeneratorModel-like object returning the given samples."""
    return FakeModel
