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

from ganforge.errors import GanforgeError
from ganforge.metrics.extractor import DomainClassifier
from ganforge.metrics.accuracy import net_accuracy, top1
from ganforge.metrics.fid import fid
from ganforge.metrics.registry import IMAGES, MetricContext, MetricSpec, register_metric

CAS_EPOCHS = 5


def intra_class_fid(fake_f: torch.Tensor, labels: torch.Tensor, real_f: torch.Tensor, real_y: torch.Tensor,
                    class_names: list[str]) -> dict[str, float]:
    """Per-class FID of generated features (N, D) with requested labels (N,) vs real features (M, D) with
    labels (M,), and their mean as ``intra_fid``."""
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
                                  real_y: torch.Tensor, num_classes: int, epochs: int = CAS_EPOCHS, seed: int = 0,
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
    return net_accuracy(net.eval(), real_x, real_y)


def conditional_metrics(model, data_cfg, n_per_class: int = 200, extractor="auto", seed: int = 0,
                        cas_epochs: int = CAS_EPOCHS, include_cas: bool = True) -> dict[str, float]:
    """class_acc, intra_fid (+ per class) and cas of a conditional model against the real test split."""
    from ganforge.metrics.evaluate import evaluate

    names = ["class_acc", "intra_fid", "cas"] if include_cas else ["class_acc", "intra_fid"]
    k = max(getattr(model, "num_classes", 0) or 0, 1)
    return dict(evaluate(model, data_cfg, names, n=n_per_class * k, extractor=extractor, seed=seed,
                         options={"cas_epochs": cas_epochs}))


def _class_acc(ctx: MetricContext) -> dict[str, float]:
    fake = ctx.fake["per_class"]
    return {"class_acc": top1(fake["probs"], fake["requested"])}


def _intra_fid(ctx: MetricContext) -> dict[str, float]:
    fake, real = ctx.fake["per_class"], ctx.real["per_class"]
    return intra_class_fid(fake["features"], fake["requested"], real["features"], real["y"], fake["class_names"])


def _cas(ctx: MetricContext) -> dict[str, float]:
    fake, real = ctx.fake["per_class"], ctx.real["per_class"]
    epochs = int(ctx.options.get("cas_epochs", CAS_EPOCHS))
    return {"cas": classification_accuracy_score(fake["samples"], fake["requested"], real["x"], real["y"],
                                                 fake["num_classes"], epochs=epochs, seed=ctx.seed)}


for _name, _compute, _outputs in (("class_acc", _class_acc, {"class_acc": "higher"}),
                                  ("intra_fid", _intra_fid, {"intra_fid/": "lower", "intra_fid": "lower"}),
                                  ("cas", _cas, {"cas": "higher"})):
    register_metric(MetricSpec(_name, _compute, _outputs, needs=("per_class",), applies_to=(IMAGES,)))
