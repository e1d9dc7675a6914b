"""FID: identities, analytic values, scipy.linalg.sqrtm and torchmetrics cross-checks."""

import numpy as np
import pytest
import scipy.linalg
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import fid, frechet_distance, gaussian_stats


def random_cov(rng, d, rank=None):
    """A random full (or rank-deficient) covariance, (d, d)."""
    a = rng.normal(size=(d, rank or 2 * d))
    return a @ a.T / a.shape[1]


def sqrtm_reference(mu1, s1, mu2, s2):
    """Independent FID: the pytorch-fid recipe with scipy.linalg.sqrtm(S1 S2)."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + off) @ (s2 + off))
    covmean = np.real(covmean)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_gaussian_stats_matches_numpy():
    x = np.random.default_rng(0).normal(size=(50, 6))
    mu, sigma = gaussian_stats(torch.from_numpy(x).float())
    assert mu.dtype == np.float64 and sigma.shape == (6, 6)
    np.testing.assert_allclose(mu, x.astype(np.float32).mean(0), rtol=1e-6)
    np.testing.assert_allclose(sigma, np.cov(x.astype(np.float32), rowvar=False), rtol=1e-5, atol=1e-7)


def test_fid_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 32)) * rng.uniform(0.1, 3.0, size=32) + 5.0
    scale = np.trace(np.cov(x, rowvar=False))
    value = fid(x, x)
    assert isinstance(value, float)
    assert 0.0 <= value < 1e-6 * scale


def test_fid_of_a_set_with_itself_with_fewer_samples_than_dims():
    # Singular covariance (rank 9 in 32 dims): no eps fallback needed, still ~0.
    x = np.random.default_rng(2).normal(size=(10, 32))
    scale = np.trace(np.cov(x, rowvar=False))
    assert fid(x, x) < 1e-6 * scale


def test_diagonal_covariances_match_closed_form():
    # For commuting (here diagonal) covariances (S1^½ S2 S1^½)^½ = sqrt(s1 s2), so
    # FID = ||mu1 - mu2||² + Σ (sqrt(s1) - sqrt(s2))².
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    # ||mu1 - mu2||² = 1 + 0 + 4 = 5;  Σ (sqrt s1 - sqrt s2)² = (1-2)² + (2-1)² + 0 = 2
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(7.0, rel=1e-12)


def test_commuting_full_covariances_match_closed_form():
    # S1 = Q diag(a) Qᵀ, S2 = Q diag(b) Qᵀ share eigenvectors, so FID = ||dmu||² + Σ (sqrt a - sqrt b)²,
    # with full (non-diagonal) matrices.
    rng = np.random.default_rng(3)
    d = 16
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a, b = rng.uniform(0.01, 5, size=d), rng.uniform(0.01, 5, size=d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scipy_sqrtm_on_random_full_covariances(seed):
    rng = np.random.default_rng(seed)
    d = 24
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_cov(rng, d), random_cov(rng, d)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(sqrtm_reference(mu1, s1, mu2, s2), rel=1e-3)


def test_fid_from_samples_approaches_analytic_value():
    rng = np.random.default_rng(4)
    mu1, mu2 = np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 0.0, -1.0, 0.5])
    s1, s2 = np.array([1.0, 2.0, 0.5, 1.0]), np.array([1.0, 0.5, 0.5, 3.0])
    # 1 + 0 + 1 + 0.25 = 2.25;  0 + (1.4142-0.7071)² + 0 + (1-1.7321)² = 0.5 + 0.5359 = 1.0359
    analytic = 2.25 + ((np.sqrt(s1) - np.sqrt(s2)) ** 2).sum()
    x = rng.normal(size=(20000, 4)) * np.sqrt(s1) + mu1
    y = rng.normal(size=(20000, 4)) * np.sqrt(s2) + mu2
    # Sampling error of the means/covariances at N = 20000 is ~1 %.
    assert fid(x, y) == pytest.approx(analytic, rel=0.03)


def test_fid_accepts_tensors_and_arrays_alike():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(100, 8)), rng.normal(size=(120, 8)) + 0.3
    assert fid(torch.from_numpy(x), torch.from_numpy(y)) == pytest.approx(fid(x, y), rel=1e-12)


def test_bad_inputs_give_one_sentence_errors():
    x = np.zeros((10, 4))
    with pytest.raises(GanforgeError, match="same feature extractor"):
        fid(x, np.zeros((10, 5)))
    with pytest.raises(GanforgeError, match="NaN"):
        fid(x, np.full((10, 4), np.nan))
    with pytest.raises(GanforgeError, match="at least 2"):
        fid(x, np.zeros((1, 4)))
    with pytest.raises(GanforgeError, match="dimensions"):
        fid(np.zeros(10), x)
    with pytest.raises(GanforgeError, match="not a covariance"):
        frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2))


class Identity(torch.nn.Module):
    """Feature "extractor" that returns its input, so torchmetrics sees our features."""

    def __init__(self, num_features):
        super().__init__()
        self.num_features = num_features

    def forward(self, x):
        return x


def test_agrees_with_torchmetrics():
    import torchmetrics.image.fid as fid_module  # a dev dependency: missing is a failure, not a skip

    rng = np.random.default_rng(6)
    x = torch.from_numpy(rng.normal(size=(500, 12)))
    y = torch.from_numpy(rng.normal(size=(400, 12)) * 1.3 + 0.2)
    # A custom nn.Module as `feature` avoids the Inception / torch-fidelity path entirely.
    metric = fid_module.FrechetInceptionDistance(feature=Identity(12))
    metric.set_dtype(torch.float64)
    metric.update(x, real=True)
    metric.update(y, real=False)
    assert fid(x, y) == pytest.approx(float(metric.compute()), rel=1e-6)
