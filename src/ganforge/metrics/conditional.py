"""Metrics of class-conditional models: does G make the class it is asked for, and how well?

- ``class_acc``: the domain classifier's accuracy at recognising the
  *requested* class in generated samples (chance = 1/K).
- ``intra_fid``: FID between generated and real test samples of the same
  class, averaged over classes (Miyato & Koyama 2018); per-class values as
  ``intra_fid/<class>``.
- ``cas``: Classification Accuracy Score (Ravuri & Vinyals 2019): a fresh
  classifier (the extractor's architecture) trained only on generated
  labelled samples, tested on the real test split.  It drops when G misses
  classes or modes, even if samples look sharp.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge.config import DataConfig
from ganforge.errors import GanforgeError
from ganforge.metrics.evaluate import eval_split, load_real, resolve_extractor
from ganforge.metrics.extractor import DomainClassifier, accuracy
from ganforge.metrics.fid import fid


def generate_per_class(model, n_per_class: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(samples float (K*n, *shape) in [-1, 1], requested labels int64 (K*n,)), class-sorted."""
    if not getattr(model, "num_classes", 0):
        raise GanforgeError("Conditional metrics need a conditional model (recipe cgan, acgan or projection).")
    labels = torch.arange(model.num_classes).repeat_interleave(n_per_class)
    return model.sample(len(labels), seed=seed, labels=labels), labels


def class_accuracy(extractor, samples: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of samples (N, C, H, W) the domain classifier assigns to their requested label (N,)."""
    return float((extractor.probs(samples).argmax(1) == labels).float().mean())


def intra_class_fid(extractor, samples: torch.Tensor, labels: torch.Tensor, real_x: torch.Tensor,
                    real_y: torch.Tensor, class_names: list[str]) -> dict[str, float]:
    """Per-class FID of generated vs real features, and their mean as ``intra_fid``."""
    fake_f, real_f = extractor.features(samples), extractor.features(real_x)
    out = {}
    for k, name in enumerate(class_names):
        fk, rk = fake_f[labels == k], real_f[real_y == k]
        if len(fk) < 2 or len(rk) < 2:
            continue
        out[f"intra_fid/{name}"] = fid(rk, fk)
    if not out:
        raise GanforgeError("Too few samples per class for intra-class FID; raise --n.")
    out["intra_fid"] = sum(out.values()) / len(out)
    return out


def classification_accuracy_score(samples: torch.Tensor, labels: torch.Tensor, real_x: torch.Tensor,
                                  real_y: torch.Tensor, num_classes: int, epochs: int = 5, seed: int = 0,
                                  batch_size: int = 128) -> float:
    """Train DomainClassifier on generated (samples float [-1, 1], labels) only; its accuracy on
    the real uint8 images real_x (N, C, H, W) with labels real_y (N,)."""
    torch.manual_seed(seed)
    net = DomainClassifier(samples.shape[1], num_classes, samples.shape[-1])
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for index in torch.randperm(len(samples), generator=order).split(batch_size):
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(net(samples[index]), labels[index]).backward()
            optimizer.step()
    return accuracy(net.eval(), real_x, real_y)


def conditional_metrics(model, data_cfg: DataConfig, n_per_class: int = 200, extractor="auto", seed: int = 0,
                        cas_epochs: int = 5, include_cas: bool = True) -> dict[str, float]:
    """class_acc, intra_fid (+ per class) and cas of a conditional model against the real test split."""
    ext = resolve_extractor(extractor, data_cfg)
    samples, labels = generate_per_class(model, n_per_class, seed)
    real = load_real(data_cfg, eval_split(data_cfg.source), None)
    real_x = real.to_model(real.x)
    names = model.class_names or [str(k) for k in range(model.num_classes)]
    results = {"class_acc": class_accuracy(ext, samples, labels)}
    results.update(intra_class_fid(ext, samples, labels, real_x, real.y, names))
    if include_cas:
        results["cas"] = classification_accuracy_score(samples, labels, real.x, real.y, model.num_classes,
                                                       epochs=cas_epochs, seed=seed)
    return results
