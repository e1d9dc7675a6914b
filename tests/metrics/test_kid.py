"""KID: the unbiased estimator, ~0 for one distribution, > 0 for shifted ones, torchmetrics."""

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import kid


def mmd2_unbiased_loops(x, y):
    """Independent, literal MMD²_u with k(a, b) = (a·b/D + 1)³ (Bińkowski et al. 2018)."""
    m, d = x.shape
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_matches_the_estimator_written_out():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 3)) + 0.5
    # One subset of size N is the whole set (in another order, which MMD² ignores).
    out = kid(x, y, num_subsets=1, subset_size=7)
    assert out["kid_mean"] == pytest.approx(mmd2_unbiased_loops(x, y), rel=1e-10)
    assert out["kid_std"] == 0.0


def test_near_zero_for_two_samples_of_one_distribution():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))
    out = kid(x, y, num_subsets=10, subset_size=1000)
    # MMD²_u has expectation exactly 0 here, so only sampling noise remains. Measured
    # for these settings (N = 2000, D = 16, 10 subsets of 1000) over 60 data seeds:
    # std of kid_mean 1.1e-3, largest |kid_mean| 2.7e-3. The bound 5e-3 is ~4.5 std.
    assert abs(out["kid_mean"]) < 5e-3
    assert out["kid_std"] > 0


def test_clearly_positive_for_shifted_distributions():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16)) + 0.5
    out = kid(x, y, num_subsets=10, subset_size=1000)
    # ~1.05: about 1000 null-noise std (1.1e-3) above 0.
    assert out["kid_mean"] > 0.5
    assert out["kid_mean"] > 10 * out["kid_std"]
    # A milder change (scale 1.2, no shift) gives ~0.035 (>= 0.03 over 60 seeds),
    # still ~30 null std: KID sees it.
    z = rng.normal(size=(2000, 16)) * 1.2
    assert kid(x, z, num_subsets=10, subset_size=1000)["kid_mean"] > 0.01


def test_seeded_and_capped():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(300, 8)), rng.normal(size=(200, 8))
    a = kid(x, y, num_subsets=5, subset_size=1000, seed=7)  # subset size capped at 200
    assert a == kid(torch.from_numpy(x), torch.from_numpy(y), num_subsets=5, subset_size=1000, seed=7)
    assert a != kid(x, y, num_subsets=5, subset_size=1000, seed=8)
    assert set(a) == {"kid_mean", "kid_std"} and all(isinstance(v, float) for v in a.values())


def test_bad_inputs():
    x = np.zeros((10, 4))
    with pytest.raises(GanforgeError, match="same feature extractor"):
        kid(x, np.zeros((10, 3)))
    with pytest.raises(GanforgeError, match="num_subsets"):
        kid(x, x, num_subsets=0)


class Identity(torch.nn.Module):
    def __init__(self, num_features):
        super().__init__()
        self.num_features = num_features

    def forward(self, x):
        return x


@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save")
def test_agrees_with_torchmetrics():
    import torchmetrics.image.kid as kid_module  # a dev dependency: missing is a failure, not a skip

    rng = np.random.default_rng(4)
    x = torch.from_numpy(rng.normal(size=(300, 10)))
    y = torch.from_numpy(rng.normal(size=(300, 10)) + 0.2)
    # One subset holding every sample: the estimate no longer depends on the random draw,
    # so the two implementations must agree to round-off.
    metric = kid_module.KernelInceptionDistance(feature=Identity(10), subsets=1, subset_size=300)
    metric.update(x, real=True)
    metric.update(y, real=False)
    tm_mean, _ = metric.compute()
    assert kid(x, y, num_subsets=1, subset_size=300)["kid_mean"] == pytest.approx(float(tm_mean), rel=1e-9)
