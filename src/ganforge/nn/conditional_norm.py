"""Conditional batch normalisation (de Vries et al. 2017; Miyato & Koyama 2018).

A batch norm without its own affine parameters whose per-channel scale and
shift are looked up from the class label.  The generator wrapper sets the
labels on every such layer before its forward pass (``set_labels``), so any
architecture's BatchNorm can be swapped for it without changing its code.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def embed_labels(embedding: nn.Embedding, labels: torch.Tensor) -> torch.Tensor:
    """Rows of ``embedding`` for class ids (B,), or their mixture for class weights (B, K).

    Weights let a generator be asked for "30% sneaker, 70% sandal": the
    conditioning moves smoothly between classes (class morphing) while a
    one-hot row gives exactly the class's own embedding.
    """
    if labels.is_floating_point():
        return labels.to(embedding.weight.dtype) @ embedding.weight
    return embedding(labels)


class ConditionalBatchNorm(nn.Module):
    """BN over (B, C, ...) whose gamma/beta (C,) come from an embedding of the class.

    Labels are class ids (B,) or class weights (B, K); see :func:`embed_labels`.
    """

    def __init__(self, num_features: int, num_classes: int, dims: int = 2) -> None:
        super().__init__()
        self.norm = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(num_features, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma.weight)  # starts as the identity affine map
        nn.init.zeros_(self.beta.weight)
        self.labels: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.labels is None:
            raise RuntimeError("ConditionalBatchNorm needs labels: call set_labels(module, y) first")
        shape = (len(x), -1) + (1,) * (x.dim() - 2)
        gamma, beta = embed_labels(self.gamma, self.labels), embed_labels(self.beta, self.labels)
        return self.norm(x) * gamma.view(shape) + beta.view(shape)


def replace_batch_norms(module: nn.Module, num_classes: int) -> int:
    """Swap every BatchNorm1d/2d inside ``module`` for a ConditionalBatchNorm; returns how many."""
    count = 0
    for name, child in module.named_children():
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            dims = 2 if isinstance(child, nn.BatchNorm2d) else 1
            setattr(module, name, ConditionalBatchNorm(child.num_features, num_classes, dims))
            count += 1
        else:
            count += replace_batch_norms(child, num_classes)
    return count


def set_labels(module: nn.Module, labels: torch.Tensor | None) -> None:
    for layer in module.modules():
        if isinstance(layer, ConditionalBatchNorm):
            layer.labels = labels
