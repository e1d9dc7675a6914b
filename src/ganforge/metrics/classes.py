"""Class-level mode coverage through a classifier's predicted labels.

A generator that collapses onto a few classes is caught by looking at how a
classifier (ganforge's domain classifier) labels its samples:

- :func:`class_histogram`: fraction of samples predicted as each class.
- :func:`class_coverage`: fraction of classes that receive a fair share.
- :func:`class_kl`: KL divergence of the generated class histogram from the
  real one.
"""

from __future__ import annotations

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import labels, to_numpy
from ganforge.metrics.registry import IMAGES, POINTS, MetricSpec, register_metric


def class_histogram(pred_labels, num_classes: int) -> np.ndarray:
    """Fraction of samples per predicted class.

    Args:
        pred_labels: (N,) integer class ids in [0, num_classes), or (N, K)
            scores / probabilities (argmax taken), N >= 1.
        num_classes: K.

    Returns:
        (K,) float64 numpy array of fractions summing to 1.
    """
    y = labels(pred_labels, "pred_labels", num_classes)
    counts = np.bincount(y, minlength=num_classes).astype(np.float64)
    return counts / counts.sum()


def class_coverage(pred_labels, num_classes: int, min_fraction: float = 0.1) -> float:
    """Fraction of classes that receive at least ``min_fraction`` of a uniform share.

    A class c counts as covered when it has at least one sample and
    ``hist[c] >= min_fraction / K``, i.e. by
    default when it gets at least 10 % of the 1/K share it would get if the
    generator used all classes equally. A threshold above 0 keeps a class that
    the classifier assigns to a handful of stray samples from counting as
    covered; 10 % of the uniform share is still far below what a healthy
    generator produces on a balanced data set.

    Args:
        pred_labels: (N,) class ids or (N, K) scores of generated samples.
        num_classes: K.
        min_fraction: share of 1/K a class needs, in [0, 1]; 0 means "at
            least one sample".

    Returns:
        Covered classes / K, in [0, 1]; higher is better.
    """
    if not 0.0 <= float(min_fraction) <= 1.0:
        raise GanforgeError(f"min_fraction must be between 0 and 1, got {min_fraction}.")
    hist = class_histogram(pred_labels, num_classes)
    covered = (hist > 0) & (hist >= float(min_fraction) / num_classes)
    return float(np.mean(covered))


def class_kl(real_hist, fake_hist, eps: float = 1e-6) -> float:
    """KL(fake || real) between two class histograms, smoothed.

    ``KL(q || p) = Σ_c q_c log(q_c / p_c)`` with q the generated and p the real
    class distribution: the same direction as the Stacked-MNIST KL of VEEGAN /
    PacGAN (generated histogram against the target). It is large when the
    generator puts mass on classes that are rare among real data, and grows
    with mode collapse because q concentrates.

    Smoothing: both histograms are normalised to sum to 1 and then mixed with
    ``eps`` per class, ``p' = (p + eps) / (1 + K eps)``, so a class that is
    empty in the real histogram costs at most about ``q_c log(q_c / eps)``
    instead of infinity. Equal histograms give exactly 0; otherwise the
    smoothing shifts the value by O(K eps), negligible at the default 1e-6.

    Args:
        real_hist: (K,) counts or fractions of real samples per class.
        fake_hist: (K,) counts or fractions of generated samples per class.
        eps: per-class smoothing mass (> 0).

    Returns:
        KL in nats, >= 0; lower is better.
    """
    p = to_numpy(real_hist, "real_hist", ndim=1)
    q = to_numpy(fake_hist, "fake_hist", ndim=1)
    if p.shape != q.shape:
        raise GanforgeError(
            f"real_hist has {p.shape[0]} classes but fake_hist has {q.shape[0]}; use the same num_classes."
        )
    if not float(eps) > 0:
        raise GanforgeError(f"eps must be positive, got {eps}.")
    for name, h in (("real_hist", p), ("fake_hist", q)):
        if h.min() < 0 or h.sum() <= 0:
            raise GanforgeError(f"{name} must be non-negative with a positive total.")
    k = p.shape[0]
    p = (p / p.sum() + eps) / (1.0 + k * eps)
    q = (q / q.sum() + eps) / (1.0 + k * eps)
    return float(max(np.sum(q * np.log(q / p)), 0.0))


def class_metrics(
    fake_labels, num_classes: int, real_labels=None, min_fraction: float = 0.1, eps: float = 1e-6
) -> dict[str, float]:
    """Class coverage and class-histogram KL of generated samples.

    Args:
        fake_labels: (M,) class ids or (M, K) scores the classifier gives the
            generated samples.
        num_classes: K.
        real_labels: (N,) class ids or (N, K) scores of real samples (true
            labels or predictions); None compares against the uniform
            histogram (balanced data sets such as MNIST).
        min_fraction, eps: see :func:`class_coverage` and :func:`class_kl`.

    Returns:
        ``{"class_coverage": fraction of classes covered (higher is better),
        "class_kl": KL(fake || real) in nats (lower is better)}``.
    """
    fake_hist = class_histogram(fake_labels, num_classes)
    if real_labels is None:
        real_hist = np.full(num_classes, 1.0 / num_classes)
    else:
        real_hist = class_histogram(real_labels, num_classes)
    return {
        "class_coverage": class_coverage(fake_labels, num_classes, min_fraction),
        "class_kl": class_kl(real_hist, fake_hist, eps),
    }


register_metric(MetricSpec(
    "classes", lambda ctx: class_metrics(ctx.fake["classes"], ctx.num_classes, real_labels=ctx.real["classes"]),
    {"class_coverage": "higher", "class_kl": "lower"}, needs=("classes",), default_for=(IMAGES, POINTS)))
