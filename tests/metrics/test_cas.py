import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import classification_accuracy


def test_accuracy_from_ids_and_scores():
    target = np.array([0, 1, 2, 2])
    assert classification_accuracy(np.array([0, 1, 1, 2]), target) == 0.75
    logits = torch.tensor([[5.0, 0, 0], [0, 5.0, 0], [0, 5.0, 0], [0, 0, 5.0]])
    assert classification_accuracy(logits, torch.from_numpy(target)) == 0.75


def test_shape_mismatch():
    with pytest.raises(GanforgeError, match="same N"):
        classification_accuracy(np.array([0, 1]), np.array([0, 1, 2]))
