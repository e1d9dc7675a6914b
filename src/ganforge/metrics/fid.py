"""Fréchet distance between Gaussian fits of two feature sets (FID).

Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to
a Local Nash Equilibrium". Each set of features is summarised by its mean and
covariance, and the two Gaussians are compared with the Fréchet (2-Wasserstein)
distance::

    d² = ||mu1 - mu2||² + Tr(S1 + S2 - 2 (S1^½ S2 S1^½)^½)

With Inception-v3 pool features this is the standard FID; ganforge usually
feeds it features of a domain classifier (see docs/architecture.md, *Metrics*), so the
number is an "FID analogue", comparable only between runs that used the same
extractor file.

Numerics: the trace of the matrix square root is computed by eigen-
decomposition, not ``scipy.linalg.sqrtm(S1 @ S2)``::

    Tr (S1 S2)^½ = Tr (S1^½ S2 S1^½)^½ = Σ_i sqrt(λ_i(S1^½ S2 S1^½))

S1 S2 is similar to the symmetric positive semi-definite matrix
S1^½ S2 S1^½ (same eigenvalues), so a symmetric eigensolver (``eigh``,
backward stable) gives real, non-negative eigenvalues up to round-off, which
are clipped at 0. This needs no eps-offset retry when S1 S2 is singular (fewer
samples than dimensions, dead features) and never produces the imaginary parts
that ``sqrtm`` returns for nearly singular products. torchmetrics uses the same
identity through ``eigvals(S1 @ S2)``; the tests check agreement with
``scipy.linalg.sqrtm`` and with analytic values.
"""

from __future__ import annotations

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import features, same_dim, to_numpy
from ganforge.metrics.registry import IMAGES, POINTS, MetricContext, MetricSpec, register_metric


def gaussian_stats(feats) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a feature set, in float64.

    Args:
        feats: (N, D) features, N >= 2 (tensor or array, any float dtype).

    Returns:
        ``(mu, sigma)``: mu (D,), sigma (D, D) the unbiased sample covariance
        (divides by N - 1, as pytorch-fid / TTUR's ``np.cov``).
    """
    x = features(feats, "features", min_rows=2)
    mu = x.mean(axis=0)
    xc = x - mu
    sigma = (xc.T @ xc) / (x.shape[0] - 1)
    return mu, sigma


def _check_stats(mu, sigma, which: str) -> tuple[np.ndarray, np.ndarray]:
    mu = to_numpy(mu, f"mu{which}", ndim=1)
    sigma = to_numpy(sigma, f"sigma{which}", ndim=2)
    d = mu.shape[0]
    if sigma.shape != (d, d):
        raise GanforgeError(
            f"sigma{which} has shape {sigma.shape} but mu{which} has {d} entries; "
            f"pass a (D, D) covariance matching the (D,) mean."
        )
    return mu, sigma


def _psd_sqrt(sigma: np.ndarray, name: str) -> np.ndarray:
    """Symmetric square root of a covariance matrix, (D, D) -> (D, D)."""
    w, v = np.linalg.eigh((sigma + sigma.T) / 2)
    scale = max(float(np.abs(w).max()), np.finfo(np.float64).tiny)
    if w.min() < -1e-6 * scale:
        raise GanforgeError(
            f"{name} has a clearly negative eigenvalue ({w.min():.3g}) so it is not a covariance matrix; "
            f"pass the covariance from gaussian_stats."
        )
    w = np.clip(w, 0.0, None)  # round-off negatives of a PSD matrix
    return (v * np.sqrt(w)) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: (D,) means.
        sigma1, sigma2: (D, D) covariance matrices (symmetric PSD).

    Returns:
        ``||mu1 - mu2||² + Tr(S1) + Tr(S2) - 2 Σ sqrt(λ(S1^½ S2 S1^½))`` as a
        float, in float64 (see the module docstring for why eigen-decomposition).
        Clipped at 0: the exact value is a squared distance, so a tiny
        negative number can only be round-off.
    """
    mu1, sigma1 = _check_stats(mu1, sigma1, "1")
    mu2, sigma2 = _check_stats(mu2, sigma2, "2")
    if mu1.shape != mu2.shape:
        raise GanforgeError(
            f"the two Gaussians have {mu1.shape[0]} and {mu2.shape[0]} dimensions; "
            f"compute both from the same feature extractor."
        )
    diff = mu1 - mu2
    s1_half = _psd_sqrt(sigma1, "sigma1")
    m = s1_half @ sigma2 @ s1_half  # (D, D), similar to S1 S2, symmetric PSD
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    tr_covmean = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    d2 = float(diff @ diff) + float(np.trace(sigma1)) + float(np.trace(sigma2)) - 2.0 * tr_covmean
    return max(d2, 0.0)


def fid(feat_real, feat_fake) -> float:
    """FID between two feature sets.

    Args:
        feat_real: (N, D) features of real samples, N >= 2.
        feat_fake: (M, D) features of generated samples, M >= 2, same D.

    Returns:
        ``frechet_distance(*gaussian_stats(feat_real), *gaussian_stats(feat_fake))``.
        Lower is better; 0 for identical statistics. FID is biased upwards for
        small sample sizes, so only compare values computed with the same N, M.
    """
    real = features(feat_real, "feat_real")
    fake = features(feat_fake, "feat_fake")
    same_dim(real, fake, "feat_real", "feat_fake")
    mu1, s1 = gaussian_stats(real)
    mu2, s2 = gaussian_stats(fake)
    return frechet_distance(mu1, s1, mu2, s2)


register_metric(MetricSpec(
    "fid", lambda ctx: {"fid": fid(ctx.real["features"], ctx.fake["features"])}, {"fid": "lower"},
    default_for=(IMAGES, POINTS)))


def _inception_fid_metric(ctx: MetricContext) -> dict[str, float]:
    """The standard FID: real Inception statistics (mu, sigma) are cached by the input, fakes are features."""
    mu, sigma = gaussian_stats(ctx.fake["inception"])
    return {"inception_fid": frechet_distance(*ctx.real["inception"], mu, sigma)}


register_metric(MetricSpec("inception-fid", _inception_fid_metric, {"inception_fid": "lower"},
                           needs=("inception",), applies_to=(IMAGES,)))
