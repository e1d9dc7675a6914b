"""The fully-connected GAN of Goodfellow et al. 2014 (and the usual toy2d nets)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ganforge.errors import GanforgeError
from ganforge.nets import register_arch
from ganforge.nn import make_minibatch_std, make_norm, maybe_spectral_norm, minibatch_std_features

_ACTIVATIONS = {"leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU}
# sigmoid output is rescaled to [-1, 1] (2*sigmoid - 1) so it matches the data range.
_OUTPUTS = {"tanh": nn.Tanh, "sigmoid": lambda: _Rescaled(nn.Sigmoid()), "linear": nn.Identity}


class _Rescaled(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x) * 2.0 - 1.0


def _pick(table: dict, name: str, what: str):
    if name not in table:
        raise GanforgeError(f"Unknown {what} {name!r}; choose one of: {', '.join(table)}.")
    return table[name]


class MLPGenerator(nn.Module):
    """z (B, z_dim) -> hidden layers -> samples (B, *shape).

    ``output`` defaults to tanh for images (data in [-1, 1]) and linear for
    points (toy2d data is unbounded).
    """

    def __init__(self, shape: tuple[int, ...], z_dim: int, *, hidden: list[int] = (256, 512, 1024),
                 activation: str = "leaky_relu", output: str | None = None, norm: str = "none") -> None:
        super().__init__()
        self.shape, self.z_dim = tuple(shape), z_dim
        act = _pick(_ACTIVATIONS, activation, "activation")
        output = output or ("tanh" if len(self.shape) == 3 else "linear")
        layers, width = [], z_dim
        for h in hidden:
            layers += [nn.Linear(width, h), make_norm(norm, h, dims=1), act()]
            width = h
        layers += [nn.Linear(width, math.prod(self.shape)), _pick(_OUTPUTS, output, "output")()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.shape)


class MLPDiscriminator(nn.Module):
    """samples (B, *shape) -> hidden layers with dropout -> logits (B,).

    ``minibatch_std``: ProGAN's minibatch-std group size (0 = off), a remedy
    for mode collapse: the head also sees how spread the batch is.
    """

    def __init__(self, shape: tuple[int, ...], *, hidden: list[int] = (1024, 512, 256), activation: str = "leaky_relu",
                 dropout: float = 0.3, norm: str = "none", spectral_norm: bool = False, minibatch_std: int = 0) -> None:
        super().__init__()
        act = _pick(_ACTIVATIONS, activation, "activation")
        layers, width = [nn.Flatten()], math.prod(shape)
        for h in hidden:
            layers += [maybe_spectral_norm(nn.Linear(width, h), spectral_norm), make_norm(norm, h, dims=1), act()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        self.body = nn.Sequential(*layers)
        # ProGAN's minibatch std (group size; 0 = off) joins the last hidden layer's features, before the head.
        self.mbstd = make_minibatch_std(minibatch_std)
        self.feature_dim = width + minibatch_std_features(self.mbstd)
        self.head = maybe_spectral_norm(nn.Linear(self.feature_dim, 1), spectral_norm)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """samples (B, *shape) -> features (B, feature_dim) of the last hidden layer (+ the minibatch std)."""
        return self.mbstd(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


register_arch("mlp", MLPGenerator, MLPDiscriminator)
