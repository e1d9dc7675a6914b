"""Class-conditional wrappers around any registered architecture.

Generator (``conditioning``):
- ``concat``: a learned label embedding joined to z (Mirza & Osindero 2014).
- ``cbn``: conditional batch norm, the label sets every BN layer's scale and
  shift (Miyato & Koyama 2018), z untouched.

Discriminator (``mode``):
- ``concat``: one-hot label maps joined to the input as extra channels (or
  extra features for points) (Mirza & Osindero 2014).
- ``projection``: logit = head(h) + <embed(y), h> on the base D's features h
  (Miyato & Koyama 2018).
- ``acgan``: unconditional real/fake logit plus an auxiliary classifier on the
  same features (Odena et al. 2017); see ``classify``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.nn.conditional_norm import embed_labels, replace_batch_norms, set_labels

from ganforge.registry import Registry

#: How the label enters G (``recipe.g_conditioning``): name -> class with embed_size() and adapt().
G_CONDITIONING: Registry[type] = Registry("generator conditioning")
#: How the label enters D (``recipe.d_conditioning``): name -> class with input_shape, build and logits,
#: and ``classifies`` (True: D also has a class head, ``ConditionalDiscriminator.classify``).
D_CONDITIONING: Registry[type] = Registry("discriminator conditioning")


@G_CONDITIONING.register("concat")
class _ConcatZ:
    """A learned label embedding joined to z (Mirza & Osindero 2014)."""

    @staticmethod
    def embed_size(z_dim: int, embed_dim: int | None) -> int:
        return embed_dim or min(z_dim, 50)

    @staticmethod
    def adapt(net: nn.Module, num_classes: int) -> None:
        pass


@G_CONDITIONING.register("cbn")
class _ConditionalBatchNorm:
    """Every BN layer's scale and shift set by the label (Miyato & Koyama 2018); z untouched."""

    @staticmethod
    def embed_size(z_dim: int, embed_dim: int | None) -> int:
        return 0

    @staticmethod
    def adapt(net: nn.Module, num_classes: int) -> None:
        if replace_batch_norms(net, num_classes) == 0:
            raise GanforgeError("Generator conditioning 'cbn' needs a generator with batch norm; "
                                "use conditioning 'concat' or model.g.norm=batch.")


@D_CONDITIONING.register("concat")
class _LabelMaps:
    """One-hot label maps joined to the input as extra channels (extra features for points)."""

    classifies = False

    @staticmethod
    def input_shape(shape: tuple[int, ...], num_classes: int) -> tuple[int, ...]:
        return (shape[0] + num_classes, *shape[1:])

    @staticmethod
    def build(d: "ConditionalDiscriminator") -> None:
        pass

    @staticmethod
    def logits(d: "ConditionalDiscriminator", x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(labels, d.num_classes).to(x.dtype)
        if x.dim() == 4:
            onehot = onehot[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return d.net(torch.cat([x, onehot], dim=1))


@D_CONDITIONING.register("projection")
class _Projection:
    """logit = head(h) + <embed(y), h> on the base D's features h (Miyato & Koyama 2018)."""

    classifies = False

    @staticmethod
    def input_shape(shape: tuple[int, ...], num_classes: int) -> tuple[int, ...]:
        return shape

    @staticmethod
    def build(d: "ConditionalDiscriminator") -> None:
        d.embed = nn.Embedding(d.num_classes, d.net.feature_dim)
        nn.init.normal_(d.embed.weight, 0.0, 0.02)

    @staticmethod
    def logits(d: "ConditionalDiscriminator", x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = d.net.features(x)
        return d.net.head(h).view(len(x)) + (d.embed(labels) * h).sum(dim=1)


@D_CONDITIONING.register("acgan")
class _AuxiliaryClassifier:
    """Unconditional real/fake logit; a class head on the same features (read by ``classify``)."""

    classifies = True

    @staticmethod
    def input_shape(shape: tuple[int, ...], num_classes: int) -> tuple[int, ...]:
        return shape

    @staticmethod
    def build(d: "ConditionalDiscriminator") -> None:
        d.classifier = nn.Linear(d.net.feature_dim, d.num_classes)

    @staticmethod
    def logits(d: "ConditionalDiscriminator", x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return d.net.head(d.net.features(x)).view(len(x))


class ConditionalGenerator(nn.Module):
    """(z (B, z_dim), y) -> samples (B, *shape); y is class ids (B,) or class weights (B, K)."""

    def __init__(self, base_cls: type, shape: tuple[int, ...], z_dim: int, num_classes: int,
                 conditioning: str = "concat", embed_dim: int | None = None, **kwargs) -> None:
        super().__init__()
        how = G_CONDITIONING.get(conditioning)
        self.shape, self.z_dim, self.num_classes, self.conditioning = tuple(shape), z_dim, num_classes, conditioning
        self.embed_dim = how.embed_size(z_dim, embed_dim)
        self.embed = nn.Embedding(num_classes, self.embed_dim) if self.embed_dim else None
        self.net = base_cls(self.shape, z_dim + self.embed_dim, **kwargs)
        how.adapt(self.net, num_classes)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            z = torch.cat([z, embed_labels(self.embed, labels).to(z.dtype)], dim=1)
        set_labels(self.net, labels)
        try:
            return self.net(z)
        finally:
            set_labels(self.net, None)


class ConditionalDiscriminator(nn.Module):
    """(x (B, *shape), y (B,)) -> logits (B,)."""

    def __init__(self, base_cls: type, shape: tuple[int, ...], num_classes: int, mode: str = "projection",
                 **kwargs) -> None:
        super().__init__()
        self._how = D_CONDITIONING.get(mode)
        self.shape, self.num_classes, self.mode = tuple(shape), num_classes, mode
        self.net = base_cls(tuple(self._how.input_shape(tuple(shape), num_classes)), **kwargs)
        self._how.build(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self._how.logits(self, x, labels)

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ACGAN: (real/fake logits (B,), class logits (B, K)) from one pass."""
        h = self.net.features(x)
        return self.net.head(h).view(len(x)), self.classifier(h)
