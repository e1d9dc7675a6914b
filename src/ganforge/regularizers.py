"""Discriminator regularisers as small pure functions; any sample shape.

Every function works on points (B, D) and on images (B, C, H, W) with any
channel count: per-sample quantities are taken over all dimensions but the
first.  The weights (lambda, gamma) are applied by the recipe that uses them,
so each function here computes one textbook quantity:

- :func:`gradient_penalty`: WGAN-GP (Gulrajani et al. 2017, eq. 3 without lambda),
  ``E_xhat[(||grad_xhat D(xhat)||_2 - 1)^2]`` on random interpolates xhat.
- :func:`r1_penalty`: R1 (Mescheder et al. 2018, eq. 9 without gamma / 2),
  ``E_x[||grad_x D(x)||_2^2]`` on real samples.  The ``gan`` recipe adds
  ``r1_gamma / 2 * r1_penalty(...)`` to the D loss.
- :func:`clip_weights_`: WGAN's weight clipping (Arjovsky et al. 2017), in place.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn

# Added under the square root of ||grad||^2: the norm's gradient at a zero
# gradient (a dead critic) would otherwise be 0/0 = NaN.
_NORM_EPS = 1e-12


def _per_sample_sq_norm(grad: torch.Tensor) -> torch.Tensor:
    """(B, ...) -> (B,) squared L2 norm over everything but the batch dimension, in float32 or wider."""
    return grad.to(torch.promote_types(grad.dtype, torch.float32)).flatten(1).pow(2).sum(1)


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     target: float = 1.0) -> torch.Tensor:
    """WGAN-GP penalty ``mean_i (||grad D(xhat_i)||_2 - target)^2`` (a scalar, lambda not applied).

    ``xhat_i = eps_i * real_i + (1 - eps_i) * fake_i`` with one ``eps_i ~ U[0, 1]``
    per sample (drawn from the global RNG on the samples' device, so it is
    saved and restored with the rest of the run's RNG state).  ``real`` and
    ``fake`` have the same shape, (B, D) or (B, C, H, W); neither needs to
    require grad.  The penalty is differentiable w.r.t. the critic's
    parameters (double backprop, ``create_graph=True``).
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} must have the same shape")
    eps = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)  # (B, 1, ...)
    xhat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    out = critic(xhat)  # (B,) or (B, 1)
    (grad,) = torch.autograd.grad(out.sum(), xhat, create_graph=True)  # (B, *shape)
    norm = torch.sqrt(_per_sample_sq_norm(grad) + _NORM_EPS)  # (B,)
    return (norm - target).pow(2).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 penalty ``mean_i ||grad_x D(x_i)||_2^2`` on real samples (a scalar, gamma / 2 not applied).

    ``real`` must require grad and ``real_logits = D(real)`` (possibly through
    a differentiable augmentation) must have been computed from it.  The
    caller weighs it: the R1 regulariser of Mescheder et al. 2018 is
    ``gamma / 2 * r1_penalty(real_logits, real)``.
    """
    if not real.requires_grad:
        raise ValueError("r1_penalty needs real.requires_grad_(True) set before computing real_logits = D(real)")
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)  # (B, *shape)
    return _per_sample_sq_norm(grad).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> nn.Module:
    """Clamp every parameter of ``module`` to [-c, c] in place (WGAN, c = 0.01); returns the module.

    All parameters are clipped, as in the reference WGAN code (normalisation
    scales and biases included).  Spectral-normalised layers clip their
    underlying weight.
    """
    if c <= 0:
        raise ValueError(f"clip value must be positive, got {c}")
    for p in module.parameters():
        p.clamp_(-c, c)
    return module
