"""Classification accuracy, the scoring step of the Classification Accuracy Score.

CAS (Ravuri & Vinyals 2019) trains a classifier on *generated* labelled
samples (a conditional GAN's output) and reports its accuracy on *real* test
data: a generator that drops modes or makes ambiguous samples yields a worse
classifier. Training that classifier is the caller's job; this is the pure
part: the accuracy of predictions against true labels.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError


def classification_accuracy(pred, target) -> float:
    """Fraction of correct predictions.

    Args:
        pred: (N,) predicted class ids, or (N, K) scores / logits / probabilities
            (argmax taken).
        target: (N,) true class ids.

    Returns:
        Accuracy in [0, 1].
    """
    p = pred.detach().cpu().numpy() if isinstance(pred, torch.Tensor) else np.asarray(pred)
    t = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
    if p.ndim == 2:
        p = p.argmax(axis=1)
    if p.ndim != 1 or t.ndim != 1 or p.shape[0] != t.shape[0] or p.shape[0] == 0:
        raise GanforgeError(
            f"pred must be (N,) ids or (N, K) scores and target (N,) ids with the same N > 0, "
            f"got shapes {tuple(np.shape(pred))} and {tuple(np.shape(target))}."
        )
    return float(np.mean(p == t))
