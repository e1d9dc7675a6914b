"""The one home of top-1 accuracy (metrics/accuracy.py), used by class_acc, CAS, content accuracy,
extractor training and ganforge classify."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.accuracy import net_accuracy, predict_logits, top1


def test_top1_is_the_exact_fraction_of_argmax_hits():
    scores = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert top1(scores, torch.tensor([0, 1, 1])) == 2 / 3  # exactly, not a float32 mean
    with pytest.raises(GanforgeError, match="No samples"):
        top1(torch.empty(0, 2), torch.empty(0, dtype=torch.long))


class _Brightness(torch.nn.Module):
    """Class 1 for images brighter than mid grey: a classifier whose answers are known."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, x):
        mean = x.mean(dim=(1, 2, 3)) * self.scale
        return torch.stack([-mean, mean], 1)


def test_net_accuracy_reads_uint8_and_model_range_images_alike_and_keeps_the_mode():
    x = torch.tensor([0, 60, 200, 250], dtype=torch.uint8).view(4, 1, 1, 1).expand(4, 1, 4, 4).contiguous()
    y = torch.tensor([0, 1, 1, 1])  # the second is dark: one miss
    net = _Brightness().train()
    assert net_accuracy(net, x, y, batch_size=3) == 0.75 == net_accuracy(net, x.float() / 127.5 - 1, y)
    assert net.training and predict_logits(net, x).requires_grad is False
    with pytest.raises(GanforgeError, match="No test images"):
        net_accuracy(net, x[:0], y[:0])
