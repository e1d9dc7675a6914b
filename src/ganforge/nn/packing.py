"""Packing (PacGAN, Lin et al. 2018): the discriminator judges ``pack`` samples jointly.

Why: a generator that covers few modes produces packs whose members look
alike far more often than packs of real samples do; a D that sees ``pack``
samples at once (concatenated) can tell, which penalises mode collapse
(PacGAN sec. 3).  As in the paper's code, the packed D is an ordinary D built
for a ``pack`` times wider input: (pack * D,) points for an MLP, pack * C
channels for images; consecutive samples of the batch form a pack.

The wrapper returns one logit per pack, (B / pack,).  Every loss takes the
mean over logits, so it works unchanged.  Regularisers differentiate the
packed logits w.r.t. the (B, *shape) samples, so they run unchanged, with
these meanings: R1's per-sample squared norms sum, per pack, to the packed
input's squared norm, so ``r1_penalty`` is the packed R1 divided by ``pack``;
WGAN-GP's penalty constrains each member's share of the packed gradient
(norm 1 each, sqrt(pack) for the packed input).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError


def check_pack(pack: int) -> int:
    """``pack`` as an int, or a GanforgeError when it is not a whole number >= 1."""
    if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
        raise GanforgeError(f"model.pack must be a whole number >= 1 (1 = no packing), got {pack!r}; "
                            "PacGAN uses 2 to 4.")
    return pack


def packed_shape(shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The input shape of a D that judges ``pack`` samples of ``shape`` at once: the first dimension times pack."""
    shape = tuple(shape)
    return (shape[0] * check_pack(pack), *shape[1:])


def pack_samples(x: torch.Tensor, pack: int) -> torch.Tensor:
    """(B, C, *S) -> (B / pack, pack * C, *S): consecutive samples concatenated along the first sample dimension.

    A view (no copy).  B must be a multiple of ``pack``.
    """
    b = x.shape[0]
    if b % pack:
        raise GanforgeError(f"A batch of {b} samples cannot be split into packs of model.pack={pack}; "
                            f"set train.batch_size (per process) to a multiple of {pack}.")
    return x.reshape(b // pack, pack * x.shape[1], *x.shape[2:])


class PackedDiscriminator(nn.Module):
    """x (B, *shape) -> logits (B / pack,) of ``inner``, a discriminator built for (pack * shape[0], *shape[1:]).

    Keeps the discriminator interface of ``ganforge.nets``: ``features``
    ((B / pack, feature_dim)), ``head`` and ``feature_dim`` are the inner D's.
    Its parameters are the inner D's, under ``inner.``.
    """

    def __init__(self, inner: nn.Module, pack: int) -> None:
        super().__init__()
        self.inner, self.pack = inner, check_pack(pack)

    @property
    def head(self) -> nn.Module:
        return self.inner.head

    @property
    def feature_dim(self) -> int:
        return self.inner.feature_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """samples (B, *shape) -> the inner D's features of the packs, (B / pack, feature_dim)."""
        return self.inner.features(pack_samples(x, self.pack))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            # A pack mixes samples of different classes; no conditional D in ganforge is defined on packs.
            raise GanforgeError("Packing (model.pack > 1) works with unconditional discriminators only; "
                                "set model.pack=1 for a class-conditional recipe.")
        return self.inner(pack_samples(x, self.pack))

    def extra_repr(self) -> str:
        return f"pack={self.pack}"


def pack_discriminator(D: nn.Module, pack: int) -> nn.Module:
    """``D`` unchanged for pack == 1, else ``D`` (built for the packed input, see :func:`packed_shape`) wrapped."""
    return D if check_pack(pack) == 1 else PackedDiscriminator(D, pack)


def packed_discriminator(build: Callable[..., nn.Module], shape: tuple[int, ...], d_kwargs: dict,
                         pack: int) -> nn.Module:
    """A discriminator for samples of ``shape`` that judges ``pack`` of them at once: (B, *shape) -> (B / pack,).

    ``build`` is a discriminator class (``ARCHS.get(arch).discriminator``) or
    any callable ``build(shape, **d_kwargs)``; it is called with
    :func:`packed_shape` and the result wrapped.  pack == 1 gives the plain
    ``build(shape, **d_kwargs)``.
    """
    return pack_discriminator(build(packed_shape(shape, pack), **d_kwargs), pack)
