"""Kernel Inception Distance (KID).

Bińkowski et al. 2018, "Demystifying MMD GANs": the squared maximum mean
discrepancy between real and generated features under the cubic polynomial
kernel::

    k(x, y) = (x·y / D + 1)³

estimated with the unbiased estimator (Gretton et al. 2012, eq. 3)::

    MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1))
             - 2 Σ_{i,j} k(x_i, y_j) / m²

(the cross term may keep i = j because x_i and y_j are independent). Unlike
FID it has no bias from the sample size, so its expectation is 0 when both
sets come from one distribution; a single estimate can then be slightly
negative. As in the reference code (and torch-fidelity / torchmetrics), it is
averaged over ``num_subsets`` random subsets of ``subset_size`` samples drawn
without replacement from each set, and the standard deviation over subsets
(ddof = 0) is reported with it.
"""

from __future__ import annotations

import torch

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import features, same_dim
from ganforge.metrics.registry import IMAGES, POINTS, MetricContext, MetricSpec, register_metric


def _poly_kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(m, D), (n, D) -> (m, n) cubic kernel matrix (a·b / D + 1)³."""
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def poly_mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD² with the cubic kernel between x (m, D) and y (m, D), float64."""
    m = x.shape[0]
    k_xx = _poly_kernel(x, x)
    k_yy = _poly_kernel(y, y)
    k_xy = _poly_kernel(x, y)
    sum_xx = k_xx.sum() - k_xx.diagonal().sum()  # i != j only
    sum_yy = k_yy.sum() - k_yy.diagonal().sum()
    return float((sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * k_xy.sum() / (m * m))


def kid(feat_real, feat_fake, num_subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """KID between two feature sets.

    Args:
        feat_real: (N, D) features of real samples.
        feat_fake: (M, D) features of generated samples, same D.
        num_subsets: number of random subsets to average over.
        subset_size: samples per subset from each set; capped at min(N, M)
            (must end up >= 2).
        seed: seeds the subset draws, so a call is reproducible.

    Returns:
        ``{"kid_mean": mean over subsets of MMD²_u, "kid_std": std over subsets}``.
        Lower is better; ~0 (possibly slightly negative) for matching sets.
        Cost: 3 · num_subsets products of (m, D) x (D, m) matrices in float64.
    """
    real = features(feat_real, "feat_real")
    fake = features(feat_fake, "feat_fake")
    same_dim(real, fake, "feat_real", "feat_fake")
    if int(num_subsets) < 1:
        raise GanforgeError(f"num_subsets must be at least 1, got {num_subsets}.")
    if int(subset_size) < 2:
        raise GanforgeError(f"subset_size must be at least 2, got {subset_size}.")
    x = torch.tensor(real)
    y = torch.tensor(fake)
    m = min(int(subset_size), x.shape[0], y.shape[0])
    gen = torch.Generator().manual_seed(int(seed))
    scores = []
    for _ in range(int(num_subsets)):
        xs = x[torch.randperm(x.shape[0], generator=gen)[:m]]
        ys = y[torch.randperm(y.shape[0], generator=gen)[:m]]
        scores.append(poly_mmd2_unbiased(xs, ys))
    t = torch.tensor(scores, dtype=torch.float64)
    return {"kid_mean": float(t.mean()), "kid_std": float(t.std(correction=0))}


KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000


def _kid_metric(ctx: MetricContext) -> dict[str, float]:
    """KID over 100 seeded subsets of min(1000, N, M) samples; the size goes into the report."""
    real, fake = ctx.real["features"], ctx.fake["features"]
    size = min(KID_SUBSET_SIZE, len(real), len(fake))
    ctx.info["kid_subset_size"] = size
    return kid(real, fake, num_subsets=KID_SUBSETS, subset_size=size, seed=ctx.seed)


register_metric(MetricSpec("kid", _kid_metric, {"kid_mean": "lower", "kid_std": None}, default_for=(IMAGES, POINTS)))
