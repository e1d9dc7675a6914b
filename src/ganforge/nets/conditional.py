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

GENERATOR_CONDITIONING = ("concat", "cbn")
DISCRIMINATOR_MODES = ("concat", "projection", "acgan")


class ConditionalGenerator(nn.Module):
    """(z (B, z_dim), y) -> samples (B, *shape); y is class ids (B,) or class weights (B, K)."""

    def __init__(self, base_cls: type, shape: tuple[int, ...], z_dim: int, num_classes: int,
                 conditioning: str = "concat", embed_dim: int | None = None, **kwargs) -> None:
        super().__init__()
        if conditioning not in GENERATOR_CONDITIONING:
            raise GanforgeError(f"Unknown generator conditioning {conditioning!r}; choose one of: {', '.join(GENERATOR_CONDITIONING)}.")
        self.shape, self.z_dim, self.num_classes, self.conditioning = tuple(shape), z_dim, num_classes, conditioning
        self.embed_dim = (embed_dim or min(z_dim, 50)) if conditioning == "concat" else 0
        self.embed = nn.Embedding(num_classes, self.embed_dim) if self.embed_dim else None
        self.net = base_cls(self.shape, z_dim + self.embed_dim, **kwargs)
        if conditioning == "cbn" and replace_batch_norms(self.net, num_classes) == 0:
            raise GanforgeError("Generator conditioning 'cbn' needs a generator with batch norm; "
                                "use conditioning 'concat' or model.g.norm=batch.")

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

    def __init__(self, base_cls: type, shape: tuple[int, ...], num_classes: int, mode: str = "projection", **kwargs) -> None:
        super().__init__()
        if mode not in DISCRIMINATOR_MODES:
            raise GanforgeError(f"Unknown discriminator conditioning {mode!r}; choose one of: {', '.join(DISCRIMINATOR_MODES)}.")
        self.shape, self.num_classes, self.mode = tuple(shape), num_classes, mode
        if mode == "concat":
            shape = (shape[0] + num_classes, *shape[1:]) if len(shape) == 3 else (shape[0] + num_classes,)
        self.net = base_cls(tuple(shape), **kwargs)
        if mode == "projection":
            self.embed = nn.Embedding(num_classes, self.net.feature_dim)
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
        if mode == "acgan":
            self.classifier = nn.Linear(self.net.feature_dim, num_classes)

    def _with_label_maps(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(labels, self.num_classes).to(x.dtype)
        if x.dim() == 4:
            onehot = onehot[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return torch.cat([x, onehot], dim=1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.mode == "concat":
            return self.net(self._with_label_maps(x, labels))
        h = self.net.features(x)
        logits = self.net.head(h).view(len(x))
        if self.mode == "projection":
            logits = logits + (self.embed(labels) * h).sum(dim=1)
        return logits

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ACGAN: (real/fake logits (B,), class logits (B, K)) from one pass."""
        h = self.net.features(x)
        return self.net.head(h).view(len(x)), self.classifier(h)
