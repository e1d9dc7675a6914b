"""Health signals on constructed tensors: D's view, sample diversity, class histogram, toy2d modes."""

import math

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.toy2d import load_toy2d
from ganforge.health.signals import SampleSpace, d_signals, kl_to_uniform, mean_pairwise_distance, top_class


def test_d_signals_values():
    real = torch.tensor([2.0, 1.0, -1.0, 3.0])
    fake = torch.tensor([-2.0, 0.5, -1.0, -3.0])
    s = d_signals(real, fake)
    assert s["acc_real"].item() == pytest.approx(0.75)
    assert s["acc_fake"].item() == pytest.approx(0.75)
    assert s["sign_real"].item() == pytest.approx(0.5)  # (1 + 1 - 1 + 1) / 4
    assert s["logit_real"].item() == pytest.approx(1.25)
    assert s["logit_fake"].item() == pytest.approx(-1.375)


def test_d_signals_of_a_d_that_says_inf_on_reals_is_perfect():
    s = d_signals(torch.full((8,), math.inf), torch.full((8,), -5.0))
    assert s["acc_real"].item() == 1.0 and s["acc_fake"].item() == 1.0 and s["sign_real"].item() == 1.0


def test_d_signals_threshold_for_lsgan_targets():
    s = d_signals(torch.tensor([0.9, 0.6]), torch.tensor([0.1, 0.4]), threshold=0.5)
    assert s["acc_real"].item() == 1.0 and s["acc_fake"].item() == 1.0


def test_d_signals_make_no_host_sync(monkeypatch):
    """Every host transfer a step could make raises: d_signals must not make one."""
    def boom(*args, **kwargs):
        raise AssertionError("host sync in d_signals")

    real, fake = torch.randn(16, 1).squeeze(1), torch.randn(16)
    for name in ("item", "cpu", "__float__", "__int__", "__bool__", "tolist", "numpy"):
        monkeypatch.setattr(torch.Tensor, name, boom)
    out = d_signals(real, fake)
    monkeypatch.undo()
    assert set(out) == {"acc_real", "acc_fake", "sign_real", "logit_real", "logit_fake"}
    assert all(v.dim() == 0 and v.device == real.device for v in out.values())


def test_d_signals_keep_no_graph():
    real = torch.randn(4, requires_grad=True)
    assert not any(v.requires_grad for v in d_signals(real, real * 2).values())


def test_mean_pairwise_distance():
    assert mean_pairwise_distance(torch.zeros(10, 3)) == 0.0
    # two points at distance 5: the only pair
    assert mean_pairwise_distance(torch.tensor([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_kl_to_uniform():
    assert kl_to_uniform(torch.arange(10), 10) == pytest.approx(0.0, abs=1e-12)
    assert kl_to_uniform(torch.zeros(50, dtype=torch.long), 10) == pytest.approx(math.log(10))
    assert kl_to_uniform(torch.tensor([0, 1] * 5), 4) == pytest.approx(math.log(2))


@pytest.fixture(scope="module")
def grid25():
    return load_toy2d(DataConfig(source="toy2d", variant="grid25", limit=2000))


def test_toy2d_real_data_is_diverse_and_covers_every_mode(grid25):
    space = SampleSpace(grid25, "toy2d")
    s = space.signals(grid25.x[:1000])
    assert s["health/diversity"] == pytest.approx(1.0, abs=0.05)
    assert s["health/modes"] == 25 and s["health/modes_total"] == 25
    assert s["health/class_kl"] < 0.1


def test_constant_generator_is_totally_collapsed(grid25):
    space = SampleSpace(grid25, "toy2d")
    s = space.signals(torch.tensor([[2.0, 2.0]]).expand(500, 2))
    assert s["health/diversity"] == 0.0
    assert s["health/modes"] == 1
    assert s["health/class_kl"] == pytest.approx(math.log(25))


def test_images_without_an_extractor_use_pixels():
    x = torch.randint(0, 256, (64, 1, 8, 8), dtype=torch.uint8)
    space = SampleSpace(Dataset(x=x), "folder")
    assert space.extractor is None and space.num_classes == 0
    s = space.signals(torch.zeros(16, 1, 8, 8))
    assert s["health/diversity"] == 0.0 and "health/class_kl" not in s


def test_non_finite_samples_are_reported_not_raised(grid25):
    s = SampleSpace(grid25, "toy2d").signals(torch.full((10, 2), math.nan))
    assert s == {"health/nonfinite_samples": 1.0}


def test_mnist_signals_use_the_domain_extractor():
    from ganforge.data import load_dataset

    data = load_dataset(DataConfig(source="mnist"))
    space = SampleSpace(data, "mnist", n_real=256)
    assert space.extractor is not None and space.num_classes == 10
    real = data.to_model(data.x[torch.randperm(len(data), generator=torch.Generator().manual_seed(1))[:256]])
    s = space.signals(real)
    assert s["health/diversity"] == pytest.approx(1.0, abs=0.15)
    assert s["health/class_kl"] < 0.1  # digits in equal numbers
    same = space.signals(real[:1].expand(64, -1, -1, -1))
    assert same["health/diversity"] == pytest.approx(0.0, abs=1e-6)
    assert same["health/class_kl"] == pytest.approx(math.log(10))


def test_top_class_names_the_mode_the_samples_sit_on():
    out = top_class(torch.tensor([3, 3, 3, 1, 3, 0, 3, 3]), num_classes=8)
    assert out == {"health/top_class": 3.0, "health/top_share": 0.75}
