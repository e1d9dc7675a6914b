"""Inception Score from class probabilities of any classifier.

Salimans et al. 2016, "Improved Techniques for Training GANs"::

    IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x)

High when each sample is classified confidently (low-entropy p(y|x)) and the
classes are used evenly (high-entropy p(y)); it ranges from 1 (every sample
gets the same prediction) to K (confident one-hot predictions spread evenly
over K classes). As in the original code the N samples are cut into
``splits`` consecutive parts, the score is computed per part (p(y) estimated
within the part) and the mean and standard deviation (ddof = 0) over parts
are reported. With a ganforge domain classifier this is an "IS analogue" and
is comparable only across runs using the same classifier.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import to_numpy
from ganforge.metrics.registry import IMAGES, MetricContext, MetricSpec, register_metric


def inception_score(probs, splits: int = 10) -> dict[str, float]:
    """Inception score of generated samples.

    Args:
        probs: (N, K) class probabilities p(y|x) of the N generated samples
            (softmax outputs; each row non-negative and summing to 1 within 1e-3,
            then renormalised).
        splits: number of consecutive parts to score separately, <= N.

    Returns:
        ``{"is_mean", "is_std"}`` over the parts; higher is better, in [1, K].
    """
    p = to_numpy(probs, "probs", ndim=2)
    n, k = p.shape
    if n < 1 or k < 1:
        raise GanforgeError(f"probs must be a non-empty (N, K) array, got shape {p.shape}.")
    if int(splits) < 1 or int(splits) > n:
        raise GanforgeError(f"splits must be between 1 and the number of samples ({n}), got {splits}.")
    row_sums = p.sum(axis=1)
    if p.min() < 0 or np.abs(row_sums - 1.0).max() > 1e-3:
        raise GanforgeError(
            "probs must be class probabilities (non-negative rows summing to 1); "
            "apply softmax to the classifier logits first."
        )
    p = p / row_sums[:, None]
    splits = int(splits)
    scores = []
    for i in range(splits):
        part = p[i * n // splits : (i + 1) * n // splits]  # (n_i, K), as the original code splits
        py = part.mean(axis=0, keepdims=True)  # (1, K) marginal p(y) of this part
        # KL(p(y|x) || p(y)) per row; xlogy gives 0·log 0 = 0 (py > 0 wherever part > 0).
        kl = (xlogy(part, part) - xlogy(part, py)).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    scores_arr = np.asarray(scores)
    return {"is_mean": float(scores_arr.mean()), "is_std": float(scores_arr.std())}


def _is_metric(ctx: MetricContext) -> dict[str, float]:
    probs = ctx.fake["probs"]
    return inception_score(probs, splits=min(10, len(probs)))


register_metric(MetricSpec("is", _is_metric, {"is_mean": "higher", "is_std": None}, needs=("probs",),
                           applies_to=(IMAGES,), default_for=(IMAGES,)))
