"""Metrics of image-to-image translation: pixel fidelity, realism, cycle consistency, content preservation.

Images are float tensors (N, C, H, W) in [-1, 1] (model space), compared in
[0, 1] (data range 1):

- :func:`l1`: mean absolute error in [0, 1] units.
- :func:`psnr`: 10 log10(1 / MSE) per image, averaged (dB; identical images are capped at 100 dB).
- :func:`ssim`: SSIM of Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5),
  K1 = 0.01, K2 = 0.03, "valid" windows only, averaged over channels and images
  (what ``skimage.metrics.structural_similarity(..., gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, data_range=1)`` computes).
- :func:`content_preservation`: accuracy of a target-domain classifier on
  translated images, against its accuracy on the untranslated inputs: did the
  translation keep *what* the image shows while changing how it looks?

:func:`evaluate_translation` puts them together for a loaded translator and
held-out pairs; KID (not FID: test sets here are a few thousand images, where
FID is biased) of the outputs against real targets comes from ``kid.py``.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from ganforge.errors import GanforgeError

SSIM_SIZE, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03
PSNR_CAP = 100.0  # dB for identical images (MSE 0)


def _unit(x: torch.Tensor) -> torch.Tensor:
    """Model-space images [-1, 1] -> float64 [0, 1]."""
    return (x.double() + 1.0) / 2.0


def _same_shape(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape or a.dim() != 4:
        raise GanforgeError(f"Translation metrics compare image batches of one shape (N, C, H, W), "
                            f"got {tuple(a.shape)} and {tuple(b.shape)}.")


def l1(output: torch.Tensor, target: torch.Tensor) -> float:
    """Mean |output - target| in [0, 1] units (lower is better)."""
    _same_shape(output, target)
    return float((_unit(output) - _unit(target)).abs().mean())


def psnr(output: torch.Tensor, target: torch.Tensor) -> float:
    """Mean over images of 10 log10(1 / MSE), in dB (higher is better)."""
    _same_shape(output, target)
    mse = (_unit(output) - _unit(target)).pow(2).flatten(1).mean(1)
    values = torch.where(mse > 0, 10.0 * torch.log10(1.0 / mse.clamp_min(1e-300)), torch.full_like(mse, PSNR_CAP))
    return float(values.clamp(max=PSNR_CAP).mean())


def gaussian_window(size: int = SSIM_SIZE, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """The normalised 2-d Gaussian (size, size), float64."""
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-coords**2 / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim(output: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM (Wang et al. 2004) over images and channels (higher is better, 1 = identical)."""
    _same_shape(output, target)
    if min(output.shape[-2:]) < SSIM_SIZE:
        raise GanforgeError(f"SSIM needs images of at least {SSIM_SIZE}x{SSIM_SIZE} pixels, got {tuple(output.shape[-2:])}.")
    x, y = _unit(output), _unit(target)
    c = x.shape[1]
    window = gaussian_window().expand(c, 1, SSIM_SIZE, SSIM_SIZE)
    blur = lambda t: F.conv2d(t, window, groups=c)  # noqa: E731 -- local Gaussian mean, valid windows only
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(index.mean())


def accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy of class probabilities (N, K) against labels (N,)."""
    return float((probs.argmax(1) == labels.to(probs.device)).double().mean())


def content_preservation(classify: Callable[[torch.Tensor], torch.Tensor], translated: torch.Tensor,
                         inputs: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Target-domain classifier accuracy on translations vs on the untranslated inputs.

    ``classify``: images (N, C, H, W) in [-1, 1] of the target domain -> probabilities (N, K).
    A translation that keeps the content scores near the classifier's own
    accuracy; the untranslated inputs show what it gets without translating.
    """
    return {"content_acc": accuracy(classify(translated), labels),
            "content_acc_untranslated": accuracy(classify(inputs), labels)}


def realism(features: Callable[[torch.Tensor], torch.Tensor], outputs: torch.Tensor, targets: torch.Tensor,
            seed: int = 0) -> dict[str, float]:
    """KID (mean, std over subsets) of the outputs against real targets in an extractor's feature space."""
    from ganforge.metrics.kid import KID_SUBSET_SIZE, KID_SUBSETS, kid

    scores = kid(features(targets), features(outputs), KID_SUBSETS, KID_SUBSET_SIZE, seed)
    return {"kid": scores["kid_mean"], "kid_std": scores["kid_std"]}


def paired_scores(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """{"l1", "psnr", "ssim"} of outputs against their aligned targets."""
    return {"l1": l1(outputs, targets), "psnr": psnr(outputs, targets), "ssim": ssim(outputs, targets)}


def evaluate_translation(translate: Callable[[torch.Tensor], torch.Tensor], sources: torch.Tensor,
                         targets: torch.Tensor, paired: bool, features: Callable | None = None,
                         back: Callable[[torch.Tensor], torch.Tensor] | None = None,
                         classify: Callable | None = None, labels: torch.Tensor | None = None,
                         seed: int = 0) -> dict[str, float]:
    """All translation metrics that apply.

    translate: source images -> outputs (both (N, C, H, W) in [-1, 1]);
    targets: aligned targets (``paired``) or target-domain images;
    features: images -> (N, D) features for KID; back: the reverse translator
    (cycle L1); classify + labels: content preservation.
    """
    outputs = translate(sources)
    scores = paired_scores(outputs, targets) if paired else {}
    if features is not None:
        scores.update(realism(features, outputs, targets, seed))
    if back is not None:
        scores["cycle_l1"] = l1(back(outputs), sources)
    if classify is not None and labels is not None:
        scores.update(content_preservation(classify, outputs, sources, labels))
    return {k: (v if math.isfinite(v) else float("nan")) for k, v in scores.items()}


# ----------------------------------------------------------------------------
# a whole run: ``ganforge eval RUN`` on a pix2pix / CycleGAN run

HELD_OUT_SPLITS = ("test", "val", "train")  # the first split the run's source has is scored


def held_out_pairs(data_cfg, n: int, data_dir: str | None = None):
    """(split name, A, B in model space (N, C, H, W)) of up to n pairs of the first split of
    ``HELD_OUT_SPLITS`` the run's data source has (a folder without a test/ folder: its training pairs)."""
    from dataclasses import replace

    from ganforge.data import SOURCES, load_dataset
    from ganforge.data.paired import split_pair

    splits = [s for s in HELD_OUT_SPLITS if s in getattr(SOURCES.get(data_cfg.source), "splits", HELD_OUT_SPLITS)]
    extra = {"data_dir": str(data_dir)} if data_dir else {}
    for i, split in enumerate(splits):
        try:
            data = load_dataset(replace(data_cfg, split=split, limit=n, streaming=False, **extra))
        except GanforgeError:
            if i == len(splits) - 1:
                raise
            continue  # e.g. a paired folder without a test/ folder
        a, b = split_pair(data.to_model(data.x))
        return split, a, b
    raise GanforgeError(f"Data source {data_cfg.source!r} has no split to evaluate on; give it a test split.")


def evaluate_translator_run(run_dir, n: int = 1000, checkpoint: str = "latest", extractor: str | None = "auto",
                            seed: int = 0, device: str = "cpu", data_dir: str | None = None) -> dict:
    """Score a translation run on held-out pairs of its own data source; writes ``eval.json`` into the run.

    One direction (pix2pix): L1 / PSNR / SSIM against the aligned targets.
    Both (CycleGAN): A -> B scored without alignment, plus cycle L1 through B -> A.
    KID of the outputs against the real targets when a feature extractor applies
    (``extractor``: a name or folder; "auto": the committed one for the run's data source, if any).
    """
    import json
    import time
    from pathlib import Path

    from ganforge.api import load
    from ganforge.config import DataConfig, from_dict
    from ganforge.files import write_text_atomic

    start = time.perf_counter()
    model = load(run_dir, checkpoint=checkpoint, device=device)
    data_cfg = from_dict(DataConfig, (model.meta.get("config") or {}).get("data") or {}, "data")
    split, a, b = held_out_pairs(data_cfg, n, data_dir)
    direction = model.directions[0]
    source, target = (a, b) if direction == "AtoB" else (b, a)
    paired = len(model.directions) == 1
    back = (lambda x: model.translate(x, "BtoA")) if not paired else None
    features = _features(extractor, data_cfg.source, device)
    scores = evaluate_translation(lambda x: model.translate(x, direction), source, target, paired,
                                  features=features, back=back, seed=seed)
    report = {"metrics": scores, "direction": direction, "paired": paired, "n": len(source), "split": split,
              "source": data_cfg.source, "checkpoint": Path(model.source).name, "step": model.meta.get("step"),
              "seed": seed, "extractor": extractor if features else None, "seconds": round(time.perf_counter() - start, 2)}
    path = Path(run_dir) / "eval.json"
    write_text_atomic(path, json.dumps(report, indent=1))
    return {**report, "path": str(path)}


def _features(extractor: str | None, source: str, device: str):
    """Images -> features for KID, or None when no extractor applies."""
    from ganforge.metrics.extractor import extractor_for_source, load_extractor

    name = extractor_for_source(source) if extractor in (None, "auto") else extractor
    if name is None:
        return None
    return load_extractor(name, device=device).features


def format_translation_report(report: dict) -> str:
    """A few aligned lines: what was scored and each metric."""
    head = (f"{report['source']} {report['split']} split, {report['n']} images, {report['direction']} "
            f"({'aligned pairs' if report['paired'] else 'unpaired'}), {report['checkpoint']}")
    return "\n".join([head] + [f"  {k:<26} {v:.4f}" for k, v in report["metrics"].items()])
