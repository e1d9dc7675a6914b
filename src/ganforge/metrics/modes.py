"""Mode counting on the classic mode-collapse benchmarks.

toy2d (ring of 8 / grid of 25 Gaussians, docs/architecture.md *Data*) and Stacked MNIST
(1,000 modes), evaluated as in VEEGAN (Srivastava et al. 2017) and PacGAN
(Lin et al. 2018).

toy2d rule, as in PacGAN's evaluation code (``MetricLogger`` in
fjxmlzn/PacGAN, synthetic_data_experiments/PacGAN/pacgan/extensions.py),
which follows VEEGAN's definition:

1. each generated sample is assigned to its nearest centre;
2. it is *high quality* if that distance is below ``hq_sigmas`` (3) standard
   deviations of the mixture component;
3. a mode is *hit* (captured) if at least ``min_count`` high-quality samples
   are assigned to it; PacGAN / VEEGAN use 1 (any high-quality sample), the
   default here. Raise ``min_count`` for a stricter count that ignores a
   stray sample or two;
4. reverse KL (PacGAN Table 1): ``KL(q || p) = Σ q log(q / p)`` of the
   histogram q of the *high-quality* samples over the modes (the
   ``detail_of_coverage`` histogram of that code, which counts only samples
   within 3 std) from the uniform p = 1/M, 0 log 0 = 0.  It is 0 for an even
   spread, log(M / k) for k equally used modes; it is undefined (reported as
   log M, the value for total collapse) when no sample is high quality.

Stacked MNIST: each of the 3 channels of a generated sample is classified as
a digit by an MNIST classifier; the triple (a, b, c) is the mode
``100 a + 10 b + c``. Modes hit = distinct modes among the samples (PacGAN
uses 26,000 samples), and the KL divergence of the generated mode histogram
q from the uniform target p = 1/1000, ``KL(q || p) = Σ q log(q / p)`` with
0 log 0 = 0 (PacGAN stacked_MNIST_experiments/*/model.py ``log_metrics``).
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics._convert import to_numpy
from ganforge.metrics.registry import IMAGES, POINTS, MetricContext, MetricSpec, register_metric


def toy2d_modes(points, centres, std: float, min_count: int = 1, hq_sigmas: float = 3.0) -> dict[str, float]:
    """Modes hit and high-quality rate of 2-D samples from a Gaussian mixture.

    Args:
        points: (N, 2) generated samples, N >= 1.
        centres: (M, 2) mixture centres (grid25: {-4,-2,0,2,4}², std 0.05;
            ring8: radius 2, std 0.02).
        std: standard deviation of each (isotropic) mixture component, > 0.
        min_count: high-quality samples a mode needs to count as hit (>= 1).
        hq_sigmas: a sample is high quality if strictly closer than
            ``hq_sigmas * std`` to its nearest centre.

    Returns:
        ``{"modes_hit": modes with >= min_count high-quality samples,
        "modes_total": M, "high_quality_rate": high-quality samples / N,
        "reverse_kl": KL(high-quality mode histogram || uniform) in nats}``,
        all floats (counts are whole numbers).
    """
    x = to_numpy(points, "points", ndim=2)
    c = to_numpy(centres, "centres", ndim=2)
    if x.shape[0] < 1 or c.shape[0] < 1:
        raise GanforgeError("points and centres must each hold at least one row.")
    if x.shape[1] != c.shape[1]:
        raise GanforgeError(
            f"points have {x.shape[1]} coordinates but centres have {c.shape[1]}; pass (N, 2) and (M, 2)."
        )
    if not float(std) > 0:
        raise GanforgeError(f"std must be positive, got {std}.")
    if int(min_count) < 1:
        raise GanforgeError(f"min_count must be at least 1, got {min_count}.")
    d = torch.cdist(torch.tensor(x), torch.tensor(c))  # (N, M); M is small
    nearest_d, nearest = d.min(dim=1)  # (N,), (N,)
    hq = nearest_d < float(hq_sigmas) * float(std)  # (N,) bool
    hq_per_mode = torch.bincount(nearest[hq], minlength=c.shape[0])  # (M,)
    return {
        "modes_hit": float((hq_per_mode >= int(min_count)).sum()),
        "modes_total": float(c.shape[0]),
        "high_quality_rate": float(hq.double().mean()),
        "reverse_kl": reverse_kl_to_uniform(hq_per_mode.numpy()),
    }


def reverse_kl_to_uniform(counts) -> float:
    """``KL(q || uniform)`` in nats of the histogram ``counts`` (M,) with q = counts / sum; 0 log 0 = 0.

    ``log M`` (one mode) for an empty histogram: a generator with no
    high-quality sample is scored as fully collapsed rather than dropped.
    """
    n = np.asarray(counts, dtype=np.float64)
    m = n.shape[0]
    if n.sum() <= 0:
        return float(np.log(m))
    q = n / n.sum()
    nz = q > 0
    return max(float(np.sum(q[nz] * np.log(q[nz] * m))), 0.0)


def stacked_mnist_modes(digit_preds) -> dict[str, float]:
    """Modes hit (of 1,000) and KL to uniform on Stacked MNIST.

    Args:
        digit_preds: (N, 3) predicted digits (0-9) of the 3 channels of each
            generated sample, or (N, 3, 10) per-channel class scores
            (argmax taken), N >= 1.

    Returns:
        ``{"modes_hit": distinct modes 100a+10b+c present (higher is better),
        "modes_total": 1000.0, "kl": KL(q || uniform) in nats (lower is
        better; 0 only for a perfectly even histogram, log 1000 ≈ 6.91 for
        one mode)}``.
    """
    if isinstance(digit_preds, torch.Tensor):
        digit_preds = digit_preds.detach().cpu().numpy()
    d = np.asarray(digit_preds)
    if d.ndim == 3 and d.shape[1:] == (3, 10):
        d = d.argmax(axis=2)
    if d.ndim != 2 or d.shape[1] != 3 or d.shape[0] < 1:
        raise GanforgeError(
            f"digit_preds must have shape (N, 3) digits or (N, 3, 10) scores, got {tuple(d.shape)}."
        )
    if not np.issubdtype(d.dtype, np.integer):
        if not np.all(np.isfinite(d)) or not np.all(d == np.round(d)):
            raise GanforgeError("digit_preds must hold integer digits 0-9.")
    d = d.astype(np.int64)
    if d.min() < 0 or d.max() > 9:
        raise GanforgeError(f"digit_preds must hold digits 0-9, got values from {d.min()} to {d.max()}.")
    mode_id = 100 * d[:, 0] + 10 * d[:, 1] + d[:, 2]  # (N,) in [0, 999]
    counts = np.bincount(mode_id, minlength=1000)  # (1000,)
    return {"modes_hit": float((counts > 0).sum()), "modes_total": 1000.0, "kl": reverse_kl_to_uniform(counts)}


def _modes_metric(ctx: MetricContext) -> dict[str, float]:
    return toy2d_modes(ctx.fake["features"], ctx.points["centres"], ctx.points["std"])


def _stacked_metric(ctx: MetricContext) -> dict[str, float]:
    s = stacked_mnist_modes(ctx.fake["digits"])
    return {"stacked_modes_hit": s["modes_hit"], "stacked_modes_total": s["modes_total"], "stacked_kl": s["kl"]}


register_metric(MetricSpec("modes", _modes_metric, {"modes_hit": "higher", "modes_total": None,
                                                    "high_quality_rate": "higher", "reverse_kl": "lower"},
                           needs=("features", "points"), applies_to=(POINTS,), default_for=(POINTS,),
                           hint="it counts toy2d mixture modes; for images use 'classes' "
                                "(or 'stacked_mnist' for Stacked MNIST)."))
register_metric(MetricSpec("stacked_mnist", _stacked_metric, {"stacked_modes_hit": "higher",
                                                              "stacked_modes_total": None, "stacked_kl": "lower"},
                           needs=("digits",), applies_to=(IMAGES,)))
