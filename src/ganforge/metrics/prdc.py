"""Precision / recall and density / coverage from k-nearest-neighbour balls.

Both pairs approximate a set's "manifold" by the union of balls around its
samples, each ball's radius being the distance to that sample's k-th nearest
neighbour in the same set (the sample itself excluded), NND_k.

Improved precision & recall (Kynkäänniemi et al. 2019, k = 3)::

    precision = fraction of fake samples inside the real manifold
    recall    = fraction of real samples inside the fake manifold

Density & coverage (Naeem et al. 2020, k = 5), which use only real balls and so
are less sensitive to outliers::

    density  = 1/(k M) Σ_j Σ_i 1[ fake_j ∈ B(real_i, NND_k(real_i)) ]
    coverage = 1/N Σ_i 1[ some fake_j ∈ B(real_i, NND_k(real_i)) ]

Precision and coverage lie in [0, 1]; density can exceed 1 (fakes bunched in
dense real regions) and is ~1 when both sets come from one distribution.

Balls are closed (distance <= radius), as in the definitions of both papers;
the prdc reference code uses strict '<'. They differ only on exact ties,
which do not happen for continuous features. If the real set holds
duplicates, a duplicate is a neighbour at distance 0 (only the sample itself
is excluded).

Memory: distances are computed by ``torch.cdist`` in float64 in row chunks
of about ``chunk_elems`` entries (default 2**24 = 128 MiB), never the full
N x M matrix, so 10k x 10k features of dimension 128 fit easily; the
real-vs-fake distances are computed once and feed all four numbers.
"""

from __future__ import annotations

import torch

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import features, same_dim
from ganforge.metrics.registry import IMAGES, POINTS, MetricContext, MetricSpec, equal_size, register_metric

_CHUNK_ELEMS = 2**24


def _rows_per_chunk(cols: int, chunk_elems: int) -> int:
    return max(1, int(chunk_elems) // max(cols, 1))


def knn_radii(x: torch.Tensor, ks: list[int], chunk_elems: int = _CHUNK_ELEMS) -> dict[int, torch.Tensor]:
    """Distance from each row of x (N, D) to its k-th nearest other row, for each k in ks.

    Returns ``{k: (N,) radii}``. The smallest distance in a row is the sample to
    itself (0), so the k-th neighbour excluding self is entry k of the sorted row.
    """
    n = x.shape[0]
    kmax = max(ks)
    if n <= kmax:
        raise GanforgeError(
            f"k-nearest-neighbour radii with k={kmax} need more than {kmax} samples per set but got {n}; "
            f"evaluate on more samples or lower k."
        )
    out = {k: torch.empty(n, dtype=x.dtype) for k in ks}
    step = _rows_per_chunk(n, chunk_elems)
    for start in range(0, n, step):
        d = torch.cdist(x[start : start + step], x)  # (c, N)
        smallest = d.topk(kmax + 1, dim=1, largest=False).values  # (c, kmax+1), ascending
        for k in ks:
            out[k][start : start + step] = smallest[:, k]
    return out


def _check_k(k, name: str) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise GanforgeError(f"{name} must be a positive integer, got {k!r}.")
    return k


def _prdc(feat_real, feat_fake, k_pr: int | None, k_dc: int | None, chunk_elems: int) -> dict[str, float]:
    """Shared pass: any of precision/recall (k_pr) and density/coverage (k_dc)."""
    real_np = features(feat_real, "feat_real")
    fake_np = features(feat_fake, "feat_fake")
    same_dim(real_np, fake_np, "feat_real", "feat_fake")
    real = torch.tensor(real_np)  # (N, D) float64
    fake = torch.tensor(fake_np)  # (M, D) float64
    n, m = real.shape[0], fake.shape[0]

    ks = [k for k in (k_pr, k_dc) if k is not None]
    real_r = knn_radii(real, ks, chunk_elems)  # {k: (N,)}
    fake_r = knn_radii(fake, [k_pr], chunk_elems)[k_pr] if k_pr is not None else None  # (M,)

    fake_in_real = torch.zeros(m, dtype=torch.bool)  # precision: fake j in some real ball
    real_in_fake = torch.zeros(n, dtype=torch.bool)  # recall: real i in some fake ball
    balls_per_fake = torch.zeros(m, dtype=torch.float64)  # density numerator
    covered = torch.zeros(n, dtype=torch.bool)  # coverage: real ball i holds some fake

    step = _rows_per_chunk(m, chunk_elems)
    for start in range(0, n, step):
        sl = slice(start, start + step)
        d = torch.cdist(real[sl], fake)  # (c, M): real rows vs all fakes
        if k_pr is not None:
            fake_in_real |= (d <= real_r[k_pr][sl, None]).any(dim=0)
            real_in_fake[sl] = (d <= fake_r[None, :]).any(dim=1)
        if k_dc is not None:
            inside = d <= real_r[k_dc][sl, None]  # (c, M)
            balls_per_fake += inside.sum(dim=0, dtype=torch.float64)
            covered[sl] = inside.any(dim=1)  # == min_j d(i, j) <= radius_i

    out: dict[str, float] = {}
    if k_pr is not None:
        out["precision"] = float(fake_in_real.double().mean())
        out["recall"] = float(real_in_fake.double().mean())
    if k_dc is not None:
        out["density"] = float(balls_per_fake.sum() / (k_dc * m))
        out["coverage"] = float(covered.double().mean())
    return out


def precision_recall(feat_real, feat_fake, k: int = 3, chunk_elems: int = _CHUNK_ELEMS) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Args:
        feat_real: (N, D) real features, N > k.
        feat_fake: (M, D) generated features, M > k, same D.
        k: neighbourhood size for the ball radii (paper: 3).
        chunk_elems: distance-matrix entries computed at once (memory bound).

    Returns:
        ``{"precision", "recall"}``, each in [0, 1]; higher is better.
        Precision = sample quality (fakes that look real), recall = diversity
        (reals the generator can produce).
    """
    return _prdc(feat_real, feat_fake, _check_k(k, "k"), None, chunk_elems)


def density_coverage(feat_real, feat_fake, k: int = 5, chunk_elems: int = _CHUNK_ELEMS) -> dict[str, float]:
    """Density and coverage (Naeem et al. 2020).

    Args:
        feat_real: (N, D) real features, N > k.
        feat_fake: (M, D) generated features, same D.
        k: neighbourhood size for the real ball radii (paper: 5).
        chunk_elems: distance-matrix entries computed at once (memory bound).

    Returns:
        ``{"density", "coverage"}``: density >= 0 (~1 for matching
        distributions, can exceed 1), coverage in [0, 1]; higher is better.
    """
    return _prdc(feat_real, feat_fake, None, _check_k(k, "k"), chunk_elems)


def prdc(
    feat_real, feat_fake, k_pr: int = 3, k_dc: int = 5, chunk_elems: int = _CHUNK_ELEMS
) -> dict[str, float]:
    """All four numbers in one pass over the real-vs-fake distances.

    Args:
        feat_real: (N, D) real features, N > max(k_pr, k_dc).
        feat_fake: (M, D) generated features, M > k_pr, same D.
        k_pr: k for precision / recall (Kynkäänniemi et al.: 3).
        k_dc: k for density / coverage (Naeem et al.: 5).
        chunk_elems: distance-matrix entries computed at once (memory bound).

    Returns:
        ``{"precision", "recall", "density", "coverage"}``, identical to
        :func:`precision_recall` and :func:`density_coverage` called separately.
    """
    return _prdc(feat_real, feat_fake, _check_k(k_pr, "k_pr"), _check_k(k_dc, "k_dc"), chunk_elems)


def _prdc_metric(keys: tuple[str, ...]):
    """compute() of "pr" / "dc": all four numbers once per evaluation on equal-size sets, then ``keys``."""

    def compute(ctx: MetricContext) -> dict[str, float]:
        def both() -> dict[str, float]:
            real, fake = equal_size(ctx.real["features"], ctx.fake["features"], ctx.seed)
            ctx.info["n_prdc"] = len(fake)
            return prdc(real, fake)

        values = ctx.once("prdc", both)
        return {k: values[k] for k in keys}

    return compute


register_metric(MetricSpec("pr", _prdc_metric(("precision", "recall")), {"precision": "higher", "recall": "higher"},
                           default_for=(IMAGES, POINTS)))
register_metric(MetricSpec("dc", _prdc_metric(("density", "coverage")), {"density": "higher", "coverage": "higher"},
                           default_for=(IMAGES, POINTS)))
