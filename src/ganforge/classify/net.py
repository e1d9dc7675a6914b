"""The classifier network (= the semi-supervised GAN's discriminator) and the SSL-GAN generator.

Both follow the MNIST model of Salimans et al. 2016 ("Improved techniques for
training GANs", code: openai/improved-gan, ``train_mnist_feature_matching.py``)
so that ``ssl-gan`` is the published method and ``baseline`` / ``gan-augment``
train exactly the same network:

Classifier / discriminator, input (N, C, H, W) in [-1, 1], rescaled to [0, 1]
(the paper's pixel scale, so its noise levels mean the same)::

    flatten                                   # (N, C*H*W)
    GaussianNoise(0.3)                        # training only
    WNLinear(-> 1000) ReLU  GaussianNoise(0.5)
    WNLinear(-> 500)  ReLU  GaussianNoise(0.5)
    WNLinear(-> 250)  ReLU  GaussianNoise(0.5)
    WNLinear(-> 250)  ReLU  GaussianNoise(0.5)
    WNLinear(-> 250)  ReLU  -> features (N, 250)   (feature matching uses these)
    GaussianNoise(0.5)
    WNLinear(-> K)                            -> logits (N, K)

Why these pieces: the Gaussian noise layers are the paper's regulariser (a
discriminator that sees 100 labels overfits at once; noise on every layer
keeps its decision surface smooth, which is also what makes the
unlabelled/fake terms informative). Weight normalisation (Salimans & Kingma
2016) with data-dependent initialisation replaces batch norm: batch norm in D
would make a sample's output depend on whether it sits in a real or a fake
batch, which breaks the real/fake comparison and feature matching. No dropout
(the MNIST model has none; the paper's CIFAR model uses dropout instead).
The noise layers are off in ``eval()`` mode, so prediction is deterministic.
Hidden layers keep the scale their data-dependent init gave them (only the
output layer's scale trains), as in the authors' code.

``baseline`` and ``gan-augment`` train this same network, noise layers
included (they are part of the network and regularise a supervised model on
100 labels too), so the three methods differ only in what they train on.
An MLP by default: it is the paper's MNIST model and cheap on a CPU. Classifier
kinds are registered by name in :data:`NETS` (``NetSpec.arch``): ``mlp`` (this
file) and ``cnn`` (``cnn.py``, a small conv net after the paper's CIFAR-10
discriminator, for Fashion-MNIST and colour images).

Generator (``ssl-gan`` only), z ~ U(0, 1)^100::

    Linear(100 -> 500) BN softplus
    Linear(500 -> 500) BN softplus
    Linear(500 -> C*H*W), weight-normalised with a trainable scale (init 1, no
    data-dependent init: the authors' ``l2normalize``), sigmoid, rescaled to
    [-1, 1] and reshaped to (N, C, H, W)

Generator kinds are registered by name in :data:`GENERATORS` (ssl-gan's ``generator``
option): ``mlp`` (this one, the default) and ``conv`` (``conv_generator.py``).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.registry import Registry

#: classifier kinds by name (``NetSpec.arch``); each class has ``SETTINGS``, the NetSpec fields it reads
#: besides the data-given shape, and is built as ``cls(spec)``.
NETS: Registry[type[nn.Module]] = Registry("classifier net")
#: ssl-gan generator kinds by name (its ``generator`` option): ``mlp`` (``SSLGenerator``, here, the default)
#: and ``conv`` (``conv_generator.py``); each is built as ``cls.from_options(shape, opts)``.
GENERATORS: Registry[type[nn.Module]] = Registry("ssl-gan generator")
SHAPE_FIELDS = ("arch", "in_channels", "resolution", "num_classes")  # every kind reads these


class GaussianNoise(nn.Module):
    """x + N(0, std^2) in training mode; identity in eval mode."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = float(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.std > 0:
            return x.add(torch.randn_like(x), alpha=self.std)  # one pass over x, not two (x + noise * std)
        return x

    def extra_repr(self) -> str:
        return f"std={self.std}"


class WNLinear(nn.Module):
    """Weight-normalised linear layer y = g * (x v^T / ||v||) + b (Salimans & Kingma 2016).

    ``init_from(x)`` is the data-dependent initialisation: scale and bias are
    set so that the pre-activations of batch x have mean 0 and std 1 per unit.
    As in the authors' ``DenseLayer``, the scale g is then fixed
    (``train_scale=False``) for hidden layers and trained only for the output
    layer: a fixed scale keeps the features from growing without bound, which
    feature matching relies on.
    """

    def __init__(self, in_features: int, out_features: int, train_scale: bool = True) -> None:
        super().__init__()
        self.v = nn.Parameter(torch.randn(out_features, in_features) * 0.1)
        self.b = nn.Parameter(torch.zeros(out_features))
        if train_scale:
            self.g = nn.Parameter(torch.ones(out_features))
        else:
            self.register_buffer("g", torch.ones(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (x v^T) * s + b with s = g / ||v|| (out,): the same maths as F.linear(x, v * s, b), but the
        # scale touches the (B, out) outputs instead of the (out, in) weights, in forward and backward
        # (for the paper's 784 -> 1000 layer, 300 x 1000 values instead of 1000 x 784).
        scale = self.g / self.v.norm(dim=1).clamp_min(1e-12)
        return torch.addcmul(self.b, F.linear(x, self.v), scale)

    @torch.no_grad()
    def init_from(self, x: torch.Tensor) -> torch.Tensor:
        """Data-dependent init on inputs x (B, in); returns the new outputs (B, out)."""
        t = F.linear(x, self.v / self.v.norm(dim=1, keepdim=True).clamp_min(1e-12))
        mean, std = t.mean(0), t.std(0).clamp_min(1e-6)
        self.g.copy_(1.0 / std)
        self.b.copy_(-mean / std)
        return self(x)


@dataclass
class NetSpec:
    """Everything needed to rebuild the classifier (saved as JSON next to the weights).

    ``arch`` picks the kind in :data:`NETS`; a spec saved before ``arch`` existed is an ``mlp``.
    Only the settings the kind reads are saved (``to_dict``), so an MLP's JSON has no ``channels``.
    """

    in_channels: int = 1
    resolution: int = 28
    num_classes: int = 10
    arch: str = "mlp"
    hidden: list = field(default_factory=lambda: [1000, 500, 250, 250, 250])  # mlp: hidden layer widths
    channels: list = field(default_factory=lambda: [16, 32, 64])  # cnn: conv widths, one per resolution (cnn.py)
    input_noise: float = 0.3  # std on the [0, 1] pixels (training only)
    hidden_noise: float = 0.5  # std after every hidden layer (training only)

    def settings(self) -> tuple[str, ...]:
        """The fields this kind reads besides the shape (raises the registry's error for an unknown arch)."""
        return tuple(NETS.get(self.arch).SETTINGS)

    def to_dict(self) -> dict:
        values = asdict(self)
        return {k: values[k] for k in (*SHAPE_FIELDS, *self.settings())}

    @classmethod
    def from_dict(cls, values: dict) -> "NetSpec":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(values) - known
        if unknown:
            raise GanforgeError(f"Unknown classifier setting(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(known))}.")
        return cls(**values)

    @classmethod
    def with_defaults(cls, values: dict) -> "NetSpec":
        """The spec for settings a user gave: the kind's own ``DEFAULTS`` fill what ``values`` leaves out.

        (A CNN wants less noise than the MLP's 0.3 / 0.5; a saved spec has every setting and uses ``from_dict``.)
        """
        kind = NETS.get(values.get("arch", cls.arch))
        return cls.from_dict({**getattr(kind, "DEFAULTS", {}), **values})

    def check(self) -> None:
        self.settings()  # an unknown arch: "Unknown classifier net 'x'. Choose one of: cnn, mlp."
        if self.in_channels not in (1, 3) or self.resolution < 1 or self.num_classes < 2:
            raise GanforgeError(f"Classifier needs 1 or 3 channels, a positive size and >= 2 classes, got {self.to_dict()}.")
        for name in ("hidden", "channels"):
            sizes = getattr(self, name)
            if not isinstance(sizes, (list, tuple)) or not sizes or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in sizes):
                raise GanforgeError(f"Classifier {name} must be a non-empty list of positive sizes like [64,128], got {sizes!r}.")
        if self.input_noise < 0 or self.hidden_noise < 0:
            raise GanforgeError("Classifier noise levels must be >= 0.")


def build_classifier(spec: NetSpec) -> "Classifier":
    """The classifier of kind ``spec.arch`` (``NETS``), untrained: call ``init_from`` before training."""
    return NETS.get(spec.arch)(spec)  # an unknown arch: the registry's one-line error; the kind checks the rest


class Classifier(nn.Module, metaclass=ABCMeta):
    """images (N, C, H, W) in [-1, 1] -> class logits (N, K): what every classifier kind in ``NETS`` shares.

    A kind calls ``super().__init__(spec)`` (which checks and keeps the spec), sets ``head``
    (features -> logits) and ``noises`` (whose last entry acts before the head) and defines
    ``features`` and ``init_from``; the input check, the head and ``forward`` are here.
    Deterministic in ``eval()`` mode.
    """

    def __init__(self, spec: NetSpec) -> None:
        super().__init__()
        spec.check()
        self.spec = spec

    def pixels(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, C, H, W) in [-1, 1], checked against the spec's shape -> (N, C, H, W) in [0, 1],
        the pixel scale the noise levels are given on (the paper's)."""
        expected = (self.spec.in_channels, self.spec.resolution, self.spec.resolution)
        if tuple(x.shape[1:]) != expected:
            raise GanforgeError(f"Classifier expects images of shape {expected}, got {tuple(x.shape[1:])}.")
        return x.add(1.0).mul(0.5)

    @abstractmethod
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) in [-1, 1] -> (N, F): the last hidden representation (feature matching uses it)."""

    @abstractmethod
    def init_from(self, x: torch.Tensor) -> None:
        """Data-dependent weight-norm init from a batch of images (B, C, H, W), before training."""

    def logits_from_features(self, h: torch.Tensor) -> torch.Tensor:
        return self.head(self.noises[-1](h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits_from_features(self.features(x))


@NETS.register("mlp")
class ClassifierNet(Classifier):
    """images (N, C, H, W) in [-1, 1] -> class logits (N, K); also the SSL-GAN discriminator (the MLP)."""

    SETTINGS = ("hidden", "input_noise", "hidden_noise")

    def __init__(self, spec: NetSpec) -> None:
        super().__init__(spec)
        dims = [spec.in_channels * spec.resolution**2, *[int(h) for h in spec.hidden]]
        self.input_noise = GaussianNoise(spec.input_noise)
        self.layers = nn.ModuleList(WNLinear(a, b, train_scale=False) for a, b in zip(dims[:-1], dims[1:]))
        self.noises = nn.ModuleList(GaussianNoise(spec.hidden_noise) for _ in spec.hidden)
        self.head = WNLinear(dims[-1], spec.num_classes, train_scale=True)

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        return self.pixels(x).flatten(1)  # (N, C*H*W) in [0, 1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, hidden[-1]): the last hidden layer, used for feature matching."""
        h = self.input_noise(self._input(x))
        for i, layer in enumerate(self.layers):
            h = F.relu(layer(h))
            if i < len(self.layers) - 1:
                h = self.noises[i](h)
        return h

    @torch.no_grad()
    def init_from(self, x: torch.Tensor) -> None:
        """Data-dependent weight-norm init from a batch of images, noise on (as in the authors' init pass)."""
        h = self.input_noise(self._input(x))
        for i, layer in enumerate(self.layers):
            h = self.noises[i](F.relu(layer.init_from(h)))
        self.head.init_from(h)


@GENERATORS.register("mlp")
class SSLGenerator(nn.Module):
    """z (N, z_dim) ~ U(0, 1) -> images (N, C, H, W) in [-1, 1]; the paper's MNIST generator."""

    @classmethod
    def from_options(cls, shape: tuple[int, int, int], opts) -> "SSLGenerator":
        """The generator for images of ``shape`` (C, H, W) from ssl-gan's options (``z_dim``, ``g_hidden``)."""
        return cls(shape, opts.z_dim, opts.g_hidden)

    def __init__(self, shape: tuple[int, int, int], z_dim: int = 100, hidden: int = 500) -> None:
        super().__init__()
        self.shape, self.z_dim = tuple(shape), z_dim
        out = shape[0] * shape[1] * shape[2]
        self.body = nn.Sequential(
            nn.Linear(z_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.Softplus(),
            nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.Softplus(),
        )
        self.out = WNLinear(hidden, out, train_scale=True)
        nn.init.xavier_uniform_(self.out.v)  # lasagne's default (Glorot) for the authors' DenseLayer

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.sigmoid(self.out(self.body(z)))  # (N, C*H*W) in [0, 1]
        return (x * 2.0 - 1.0).view(len(z), *self.shape)
