"""Top-1 accuracy, in one place: of class scores against labels, and of a classifier on images.

Used by the conditional metrics (class_acc, CAS), the translation metrics
(content accuracy), extractor training and ``ganforge classify``.  The count of
hits is divided exactly (int / int), so the same predictions give the same
number whichever caller measures them.
"""

from __future__ import annotations

import torch

from ganforge.data.base import from_uint8_images
from ganforge.errors import GanforgeError


def top1(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows of ``scores`` (N, K: logits or probabilities) whose argmax equals ``labels`` (N,)."""
    if len(labels) == 0:
        raise GanforgeError("No samples to measure accuracy on; give at least one labelled sample.")
    return int((scores.argmax(1) == labels.to(scores.device)).sum()) / len(labels)


@torch.no_grad()
def predict_logits(net: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """uint8 or [-1, 1] float images (N, C, H, W) -> logits float32 (N, K) on the CPU, in eval mode.

    The net's own train/eval mode is restored afterwards; batches go to the device its parameters are on.
    """
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    try:
        outs = [net((from_uint8_images(c) if c.dtype == torch.uint8 else c.float()).to(device)).float().cpu()
                for c in x.split(batch_size)]
    finally:
        net.train(was_training)
    return torch.cat(outs) if outs else torch.empty(0)


def net_accuracy(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of classifier ``net`` on images x (N, C, H, W), uint8 or [-1, 1] float, with labels y (N,)."""
    if len(x) == 0:
        raise GanforgeError("No test images to measure accuracy on; give a non-empty test split.")
    return top1(predict_logits(net, x, batch_size), y.cpu())
