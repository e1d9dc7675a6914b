"""Recognisable samples: the fraction the domain classifier labels with confidence.

The image analogue of the toy benchmarks' high-quality rate (a sample within
3 std of a mode): a generated image counts as *recognisable* when the domain
classifier (the same net whose features FID uses) gives one class a
probability of at least ``threshold``. Blurry blends of two classes and
fragments get flat probabilities and do not count. Real images give the
ceiling (``confident_real``), which the extractor's own accuracy bounds.
``confident_classes`` says over how many classes the recognisable samples
spread, so a generator that is sharp on one class only is not mistaken for a
good one (the "several groups" of the emoji issue).
"""

from __future__ import annotations

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import to_numpy
from ganforge.metrics.classes import class_coverage
from ganforge.metrics.registry import IMAGES, MetricSpec, register_metric

THRESHOLD = 0.9


def _confident_rows(probs, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(probs as (N, K) float64, (N,) bool: top probability >= threshold), after checking both."""
    p = to_numpy(probs, "probs", ndim=2)
    if p.shape[0] == 0 or p.shape[1] < 2:
        raise GanforgeError(f"probs must be (N, K) class probabilities with N >= 1 and K >= 2, got {p.shape}.")
    if p.min() < 0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise GanforgeError("probs must be class probabilities (rows >= 0 summing to 1); apply softmax first.")
    if not 1.0 / p.shape[1] < float(threshold) <= 1.0:
        raise GanforgeError(f"threshold must be above 1/K = {1.0 / p.shape[1]:.3g} and at most 1, got {threshold}.")
    return p, p.max(axis=1) >= threshold


def confident_fraction(probs, threshold: float = THRESHOLD) -> float:
    """Fraction of samples whose most likely class has probability >= ``threshold``.

    Args:
        probs: (N, K) class probabilities p(y|x), rows summing to 1.
        threshold: in (1/K, 1]; 0.9 by default.

    Returns:
        A fraction in [0, 1]; higher is better.
    """
    _, confident = _confident_rows(probs, threshold)
    return float(np.mean(confident))


def confident_classes(probs, threshold: float = THRESHOLD, min_fraction: float = 0.1) -> int:
    """How many classes the confident samples spread over (each with >= ``min_fraction`` of a 1/K share).

    Args:
        probs: (N, K) class probabilities.
        threshold: confidence a sample needs to count, in (1/K, 1].
        min_fraction: see :func:`ganforge.metrics.classes.class_coverage`.

    Returns:
        A count in [0, K]; 0 when no sample is confident.
    """
    p, confident = _confident_rows(probs, threshold)
    if not confident.any():
        return 0
    return int(round(class_coverage(p[confident], p.shape[1], min_fraction) * p.shape[1]))


def _confidence_metric(ctx) -> dict[str, float]:
    fake, real = ctx.fake["probs"], ctx.real["probs"]
    return {"confident": confident_fraction(fake), "confident_classes": float(confident_classes(fake)),
            "confident_real": confident_fraction(real)}


register_metric(MetricSpec(
    "confident", _confidence_metric, {"confident": "higher", "confident_classes": "higher", "confident_real": None},
    needs=("probs",), applies_to=(IMAGES,),
    hint="it needs a domain classifier's class probabilities, which only image data sets have."))
