"""Offline evaluation: generated samples vs the real test split, in a fixed feature space.

``evaluate(model, data_cfg)`` draws ``n`` samples, turns them into features
and class probabilities with the domain extractor of the data source
(:mod:`ganforge.metrics.extractor`; toy2d points are used as they are, with
the mixture centres for mode counting), and compares them with the real
**test** split (the train split where a source has no test split; the result
says which). Real features are cached on disk per extractor checksum, source,
split, data fingerprint and size, so a second evaluation only pays for the
generated side.

Metric names (``metrics=[...]``) and the numbers they give:

=================  ==========================================================
``fid``            fid: Fréchet distance of the feature Gaussians (lower better)
``kid``            kid_mean, kid_std: polynomial-kernel MMD (lower better)
``pr``             precision, recall (k = 3) on equal-size sets
``dc``             density, coverage (k = 5) on equal-size sets
``is``             is_mean, is_std: Inception-score analogue (higher better)
``classes``        class_coverage, class_kl (vs the classifier's labels of real data)
``modes``          modes_hit, modes_total, high_quality_rate (toy2d only)
``stacked_mnist``  stacked_modes_hit, stacked_modes_total, stacked_kl (3-channel 28x28 digits)
``inception-fid``  inception_fid: the standard FID (needs the Inception weights file)
=================  ==========================================================

``floor(data_cfg)`` gives the same numbers for the real train split against
the real test split: the best a generator can expect at that sample size.
``evaluate_run(run_dir)`` is what ``ganforge eval`` runs; it writes
``eval.json`` into the run directory. ``TrainingEvaluator`` is the quick
in-training version the trainer calls every ``train.eval_every`` steps.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.config import Config, DataConfig
from ganforge.errors import GanforgeError
from ganforge.metrics.classes import class_metrics
from ganforge.metrics.extractor import Extractor, _write_atomic, extractor_for_source, load_extractor
from ganforge.metrics.fid import fid, frechet_distance, gaussian_stats
from ganforge.metrics.inception_score import inception_score
from ganforge.metrics.kid import kid
from ganforge.metrics.modes import stacked_mnist_modes, toy2d_modes
from ganforge.metrics.prdc import prdc

IMAGE_METRICS = ["fid", "kid", "pr", "dc", "is", "classes"]
POINT_METRICS = ["modes", "fid", "kid", "pr", "dc", "classes"]
# Conditional models only (metrics/conditional.py): requested-class accuracy, intra-class FID, CAS.
CONDITIONAL_METRICS = ["class_acc", "intra_fid", "cas"]
ALL_METRICS = ["fid", "kid", "pr", "dc", "is", "classes", "modes", "stacked_mnist", "inception-fid", *CONDITIONAL_METRICS]
NEEDS_CLASSIFIER = {"is", "stacked_mnist"}
LOWER_IS_BETTER = {"fid", "kid_mean", "class_kl", "stacked_kl", "inception_fid"}
HIGHER_IS_BETTER = {"precision", "recall", "density", "coverage", "is_mean", "class_coverage", "modes_hit",
                    "high_quality_rate", "stacked_modes_hit"}
DEFAULT_N_REAL = 10_000  # real samples compared against: all of a test split, at most 10k
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
STATS_VERSION = 1  # bump when the cached real statistics change meaning
EVAL_FILE = "eval.json"


class MetricResults(dict):
    """``{metric: float}`` plus ``.info``: which split, extractor (name + sha256) and sizes were used."""

    def __init__(self, values: dict[str, float], info: dict[str, Any]) -> None:
        super().__init__(values)
        self.info = info


# ----------------------------------------------------------------------------
# real data and its cached statistics


def stats_dir() -> Path:
    """``$GANFORGE_CACHE/stats``, else ``~/.cache/ganforge/stats``."""
    root = os.environ.get("GANFORGE_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "ganforge") / "stats"


def eval_split(source: str) -> str:
    """"test" when the source has a test split, else "train"."""
    from ganforge.data import SOURCES

    return "test" if "test" in getattr(SOURCES.get(source), "splits", ("train", "test", "all")) else "train"


def load_real(data_cfg: DataConfig, split: str, n_max: int | None):
    """The real ``split`` of ``data_cfg``'s source (all of it, not the run's ``limit``),
    cut to a fixed seeded subset of ``n_max`` samples when larger. -> Dataset."""
    from ganforge.data import load_dataset

    data = load_dataset(dataclasses.replace(data_cfg, split=split, limit=None))
    if n_max is not None and len(data) > n_max:
        keep = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:n_max].sort().values
        data.x = data.x[keep]
        data.y = data.y[keep] if data.y is not None else None
    return data


def fingerprint(x: torch.Tensor) -> str:
    """SHA-256 of a tensor's shape, dtype and bytes: identifies the exact real samples."""
    h = hashlib.sha256(f"{tuple(x.shape)}{x.dtype}".encode())
    h.update(x.contiguous().view(-1).view(torch.uint8).numpy().tobytes() if x.numel() else b"")
    return h.hexdigest()


def _extract_real(extractor, x: torch.Tensor, batch_size: int) -> dict[str, torch.Tensor]:
    """Real images -> {"features", "probs"} (the expensive step the cache saves)."""
    if hasattr(extractor, "probs"):
        feats, probs = extractor(x, batch_size)
        return {"features": feats, "probs": probs}
    return {"features": extractor.features(x, batch_size=min(batch_size, 50))}


def real_stats(extractor, data_cfg: DataConfig, split: str, n_real: int | None, batch_size: int = 500,
               cache: bool = True, data=None) -> tuple[dict[str, torch.Tensor], dict]:
    """Features (and class probabilities) of the real ``split``, from the on-disk cache when present.

    Returns ``(tensors, info)``; tensors holds "features" (N, D) float32 and,
    for a domain classifier, "probs" (N, K). The cache key covers the
    extractor's sha256, the source, split, n and a fingerprint of the exact
    real samples, so changed data or weights never reuse stale numbers.
    """
    if data is None:
        data = load_real(data_cfg, split, n_real)
    if not data.is_image:
        raise GanforgeError(f"Data source {data_cfg.source!r} gives points; image features do not apply.")
    key_fields = {"version": STATS_VERSION, "extractor": extractor.name, "sha256": extractor.sha256,
                  "source": data_cfg.source, "split": split, "n": len(data), "data": fingerprint(data.x)}
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()
    path = stats_dir() / f"{data_cfg.source}-{split}-{extractor.name}-{len(data)}-{key[:16]}.safetensors"
    info = {"split": split, "n_real": len(data), "cache": str(path), "cached": False}
    if cache and path.is_file():
        tensors = _read_stats(path, key)
        if tensors is not None:
            info["cached"] = True
            return tensors, info
    tensors = {k: v.float().contiguous() for k, v in _extract_real(extractor, data.x, batch_size).items()}
    if cache:
        _write_stats(path, key, tensors)
    return tensors, info


def _read_stats(path: Path, key: str) -> dict[str, torch.Tensor] | None:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            if json.loads(f.metadata()["ganforge"]).get("key") != key:
                return None
            return {k: f.get_tensor(k) for k in f.keys()}
    except Exception:  # noqa: BLE001 -- a damaged cache file is recomputed, never trusted
        return None


def _write_stats(path: Path, key: str, tensors: dict[str, torch.Tensor]) -> None:
    from safetensors.torch import save_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"ganforge": json.dumps({"key": key})}
        _write_atomic(path, lambda tmp: save_file(tensors, tmp, metadata=meta))
    except OSError:  # a read-only cache only costs recomputing next time
        pass


# ----------------------------------------------------------------------------
# the metric maths on features


def check_metrics(metrics: list[str] | None, is_image: bool) -> list[str]:
    """Validate metric names for this kind of data; None -> the default list."""
    if metrics is None:
        return list(IMAGE_METRICS if is_image else POINT_METRICS)
    metrics = [m.strip() for m in metrics if m.strip()]
    if not metrics:
        raise GanforgeError(f"No metrics given; choose from: {', '.join(ALL_METRICS)}.")
    for m in metrics:
        if m not in ALL_METRICS:
            import difflib

            close = difflib.get_close_matches(m, ALL_METRICS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise GanforgeError(f"Unknown metric {m!r}.{hint} Choose from: {', '.join(ALL_METRICS)}.")
        if not is_image and m in ("is", "stacked_mnist", "inception-fid"):
            raise GanforgeError(f"Metric {m!r} needs images but this data set gives 2-D points; "
                                f"use: {', '.join(POINT_METRICS)}.")
        if is_image and m == "modes":
            raise GanforgeError("Metric 'modes' counts toy2d mixture modes; for images use 'classes' "
                                "(or 'stacked_mnist' for Stacked MNIST).")
    return list(dict.fromkeys(metrics))


def compare(metrics: list[str], real: dict[str, torch.Tensor], fake: dict[str, torch.Tensor],
            num_classes: int | None, seed: int = 0) -> tuple[dict[str, float], dict]:
    """Feature-space metrics of ``fake`` against ``real`` ({"features", "probs" or "labels"}).

    Precision / recall / density / coverage use equal-size sets (the first
    m fakes and a seeded subset of m reals, m = min(N, M)): k-NN radii shrink
    with set size, so unequal sets would bias them.
    """
    out: dict[str, float] = {}
    info: dict[str, Any] = {}
    rf, ff = real["features"], fake["features"]
    if "fid" in metrics:
        out["fid"] = fid(rf, ff)
    if "kid" in metrics:
        size = min(KID_SUBSET_SIZE, len(rf), len(ff))
        out.update(kid(rf, ff, num_subsets=KID_SUBSETS, subset_size=size, seed=seed))
        info["kid_subset_size"] = size
    want_pr, want_dc = "pr" in metrics, "dc" in metrics
    if want_pr or want_dc:
        m = min(len(rf), len(ff))
        keep = torch.randperm(len(rf), generator=torch.Generator().manual_seed(seed))[:m].sort().values
        values = prdc(rf[keep], ff[:m])
        out.update({k: v for k, v in values.items()
                    if (want_pr and k in ("precision", "recall")) or (want_dc and k in ("density", "coverage"))})
        info["n_prdc"] = m
    if "is" in metrics:
        out.update(inception_score(fake["probs"], splits=min(10, len(fake["probs"]))))
    if "classes" in metrics:
        real_lab = real["probs"] if "probs" in real else real["labels"]
        fake_lab = fake["probs"] if "probs" in fake else fake["labels"]
        out.update(class_metrics(fake_lab, num_classes, real_labels=real_lab))
    return out, info


# ----------------------------------------------------------------------------
# generating


def _latent_batches(model, n: int, seed: int, batch_size: int):
    """Yield batches of generated samples (float, CPU or model device) for any GeneratorModel-like object."""
    if hasattr(model, "latents") and hasattr(model, "generate"):
        z = model.latents(n, seed)  # (n, z_dim), drawn on the CPU: same samples on every device
        # conditional models: classes in turn, so every class is equally represented
        labels = torch.arange(n) % model.num_classes if getattr(model, "num_classes", 0) else None
        for i, chunk in enumerate(z.split(batch_size)):
            part = labels[i * batch_size : i * batch_size + len(chunk)] if labels is not None else None
            yield model.generate(chunk, part, batch_size=batch_size) if part is not None else \
                model.generate(chunk, batch_size=batch_size)
    elif hasattr(model, "sample"):
        yield from model.sample(n, seed=seed).split(batch_size)
    else:
        raise GanforgeError("evaluate() needs a model with .sample(n, seed) or .latents(n, seed) + .generate(z), "
                            "e.g. ganforge.load(run_dir).")


def _fake_side(batches, extractor, metrics: list[str], batch_size: int, points: dict | None,
               mnist_extractor: Extractor | None, inception=None) -> dict[str, torch.Tensor]:
    """Run the generated batches through the extractors; returns concatenated features / probs / ..."""
    parts: dict[str, list[torch.Tensor]] = {}

    def add(key, value):
        parts.setdefault(key, []).append(value)

    for batch in batches:
        batch = batch.detach()
        if not torch.isfinite(batch).all():
            raise GanforgeError("The generator produced NaN or inf values; it has diverged, so metrics are "
                                "meaningless. Evaluate an earlier checkpoint (--checkpoint step_NNNNNN).")
        if points is not None:
            add("features", batch.float().cpu())
            add("labels", _nearest_centre(batch.float().cpu(), points["centres"]))
            continue
        if extractor is not None:
            f, p = extractor(batch, batch_size)
            add("features", f)
            add("probs", p)
        if mnist_extractor is not None:
            add("digits", _stacked_digits(batch, mnist_extractor, batch_size))
        if inception is not None:
            add("inception", inception.features(batch))
    return {k: torch.cat(v) for k, v in parts.items()}


def _nearest_centre(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    return torch.cdist(x.double(), centres.double()).argmin(1)


def _stacked_digits(batch: torch.Tensor, mnist: Extractor, batch_size: int) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 3) digit predicted for each channel by the MNIST classifier."""
    if batch.dim() != 4 or batch.shape[1] != 3:
        raise GanforgeError(f"stacked_mnist needs 3-channel images (one digit per channel), got shape "
                            f"{tuple(batch.shape)}.")
    per_channel = [mnist.probs(batch[:, c : c + 1], batch_size).argmax(1) for c in range(3)]
    return torch.stack(per_channel, 1)


# ----------------------------------------------------------------------------
# resolving the feature space


def resolve_extractor(extractor: str | Path | Extractor | None, data_cfg: DataConfig, device="cpu") -> Extractor:
    """"auto" -> the committed extractor for ``data_cfg.source``; a name or folder -> that one."""
    if isinstance(extractor, Extractor):
        return extractor.to(device)
    if extractor in (None, "auto"):
        name = extractor_for_source(data_cfg.source)
        if name is None:
            raise GanforgeError(
                f"No feature extractor is committed for data source {data_cfg.source!r}; train one with "
                f"`ganforge metrics train-extractor --dataset {data_cfg.source} --out DIR` (add --path for a "
                f"folder) and pass --extractor DIR, or use --metrics inception-fid.")
        extractor = name
    return load_extractor(extractor, device=device)


def _points_info(data) -> dict | None:
    """Mixture centres and std of a point data set (toy2d puts ``mode_centres(variant)`` in its info)."""
    if "centres" not in data.info or "std" not in data.info:
        return None
    return {"variant": data.info.get("variant"), "centres": torch.tensor(data.info["centres"], dtype=torch.float32),
            "std": float(data.info["std"])}


class _Space:
    """The feature space of one evaluation: extractors + cached real statistics, built once."""

    def __init__(self, data_cfg: DataConfig, metrics: list[str] | None, extractor="auto", n_real=DEFAULT_N_REAL,
                 batch_size: int = 500, device="cpu", inception_weights=None, cache: bool = True,
                 split: str | None = None) -> None:
        self.data_cfg, self.batch_size = data_cfg, batch_size
        self.split = split or eval_split(data_cfg.source)
        data = load_real(data_cfg, self.split, n_real)
        self.points = None if data.is_image else _points_info(data)
        if not data.is_image and self.points is None:
            raise GanforgeError(f"Data source {data_cfg.source!r} gives points without mixture centres; "
                                "only toy2d-style point data can be evaluated.")
        self.metrics = check_metrics(metrics, is_image=data.is_image)
        self.extractor = self.mnist = self.inception = None
        self.real: dict[str, torch.Tensor] = {}
        self.info: dict[str, Any] = {"source": data_cfg.source, "split": self.split}
        feature_metrics = [m for m in self.metrics if m not in ("inception-fid", "stacked_mnist")]
        if self.points is not None:
            self.real = {"features": data.x.float(), "labels": _nearest_centre(data.x.float(), self.points["centres"])}
            self.num_classes = len(self.points["centres"])
            self.info.update({"n_real": len(data), "extractor": "points", "variant": self.points["variant"]})
            return
        if feature_metrics:
            self.extractor = resolve_extractor(extractor, data_cfg, device)
            self.real, real_info = real_stats(self.extractor, data_cfg, self.split, n_real, batch_size, cache, data)
            self.num_classes = self.extractor.num_classes
            self.info.update({"n_real": real_info["n_real"], "extractor": self.extractor.name,
                              "extractor_sha256": self.extractor.sha256, "real_stats_cached": real_info["cached"]})
        if "stacked_mnist" in self.metrics:
            self.mnist = self.extractor if (self.extractor and self.extractor.entry.get("source") == "mnist") \
                else load_extractor("mnist", device=device)
            self.info["stacked_mnist_extractor_sha256"] = self.mnist.sha256
        if "inception-fid" in self.metrics:
            from ganforge.metrics.inception import load_inception

            self.inception = load_inception(inception_weights, device=device)
            tensors, real_info = real_stats(self.inception, data_cfg, self.split, n_real, batch_size, cache, data)
            mu, sigma = gaussian_stats(tensors["features"])
            self.inception_real = (mu, sigma)
            self.info.update({"inception_sha256": self.inception.sha256, "n_real": real_info["n_real"]})

    def score(self, batches, seed: int = 0) -> MetricResults:
        fake = _fake_side(batches, self.extractor, self.metrics, self.batch_size, self.points, self.mnist,
                          self.inception)
        n = len(next(iter(fake.values())))
        feature_metrics = [m for m in self.metrics if m not in ("inception-fid", "stacked_mnist", "modes")]
        values, extra = compare(feature_metrics, self.real, fake, getattr(self, "num_classes", None), seed) \
            if feature_metrics else ({}, {})
        if "modes" in self.metrics:
            values.update(toy2d_modes(fake["features"], self.points["centres"], self.points["std"]))
        if "stacked_mnist" in self.metrics:
            s = stacked_mnist_modes(fake["digits"])
            values.update({"stacked_modes_hit": s["modes_hit"], "stacked_modes_total": s["modes_total"],
                           "stacked_kl": s["kl"]})
        if "inception-fid" in self.metrics:
            mu, sigma = gaussian_stats(fake["inception"])
            values["inception_fid"] = frechet_distance(*self.inception_real, mu, sigma)
        ordered = {k: float(values[k]) for k in _order(values)}
        return MetricResults(ordered, {**self.info, **extra, "n": n, "requested": list(self.metrics)})


def _order(values: dict) -> list[str]:
    rank = ["fid", "inception_fid", "kid_mean", "kid_std", "precision", "recall", "density", "coverage", "is_mean",
            "is_std", "class_coverage", "class_kl", "modes_hit", "modes_total", "high_quality_rate",
            "stacked_modes_hit", "stacked_modes_total", "stacked_kl"]
    return [k for k in rank if k in values] + [k for k in values if k not in rank]


# ----------------------------------------------------------------------------
# the public entry points


def evaluate(model, data_cfg: DataConfig, metrics: list[str] | None = None, n: int = 10_000,
             extractor: str | Path | Extractor = "auto", seed: int = 0, batch_size: int = 500,
             n_real: int | None = DEFAULT_N_REAL, device: str | torch.device | None = None,
             inception_weights: str | Path | None = None, cache: bool = True) -> MetricResults:
    """Compare ``n`` samples of ``model`` with the real test split of ``data_cfg``'s source.

    Args:
        model: a :class:`ganforge.api.GeneratorModel` (or any object with
            ``.sample(n, seed)``, or ``.latents(n, seed)`` + ``.generate(z)``).
        data_cfg: the data the model was trained on (its ``split`` and
            ``limit`` are ignored: the whole test split is the reference).
        metrics: names from :data:`ALL_METRICS`; None = the defaults for the
            data (images: fid, kid, pr, dc, is, classes; toy2d: modes, fid, kid, pr, dc, classes).
        n: generated samples.
        extractor: "auto" (the committed extractor of the source), a name, or
            a folder written by ``train_extractor``.
        seed: latent seed (and the seed of KID / PRDC subsets).
        batch_size: samples per generator / extractor call.
        n_real: at most this many real samples (a fixed seeded subset); None = all.
        device: where the extractors run (default: the model's device, else CPU).
        inception_weights: path of the Inception weights for "inception-fid".
        cache: read / write the real statistics cache.

    Returns:
        :class:`MetricResults`: ``{name: float}`` with ``.info`` holding the
        split, sizes and the extractor name + sha256.
    """
    if n < 2:
        raise GanforgeError(f"Evaluate at least 2 samples, got n={n}.")
    if device is None:
        device = getattr(model, "device", "cpu")
    conditional = [m for m in (metrics or []) if m in CONDITIONAL_METRICS]
    standard = [m for m in (metrics or []) if m not in CONDITIONAL_METRICS] if metrics else None
    if conditional and not getattr(model, "num_classes", 0):
        raise GanforgeError(f"Metrics {', '.join(conditional)} need a conditional model (recipe cgan, acgan or projection).")
    space = _Space(data_cfg, standard or None, extractor, n_real, batch_size, device, inception_weights, cache)
    if standard == [] and conditional:  # only conditional metrics asked for
        results = MetricResults({}, dict(space.info))
    else:
        results = space.score(_latent_batches(model, n, seed, batch_size), seed)
    if conditional:
        from ganforge.metrics.conditional import conditional_metrics

        extra = conditional_metrics(model, data_cfg, n_per_class=max(2, n // model.num_classes), extractor=extractor,
                                    seed=seed, include_cas="cas" in conditional)
        results.update({k: v for k, v in extra.items() if k.split("/")[0] in conditional})
    return results


def floor(data_cfg: DataConfig, metrics: list[str] | None = None, n: int | None = None,
          extractor: str | Path | Extractor = "auto", seed: int = 0, batch_size: int = 500,
          n_real: int | None = DEFAULT_N_REAL, device="cpu", inception_weights=None,
          cache: bool = True) -> MetricResults:
    """The "floor": the real train split scored as if it were generated, against the real test split.

    ``n`` train samples (a seeded subset; default as many as the real test
    samples used, capped by the train split's size) stand in for generated
    ones. These are the best numbers a generator can expect at that sample size.
    """
    space = _Space(data_cfg, metrics, extractor, n_real, batch_size, device, inception_weights, cache)
    if space.split != "test":
        raise GanforgeError(f"Data source {data_cfg.source!r} has no test split, so there is no held-out real set "
                            "to compare its train split with.")
    want = n if n is not None else space.info.get("n_real", DEFAULT_N_REAL)
    train = load_real(data_cfg, "train", None)
    m = min(int(want), len(train))
    gen = torch.Generator().manual_seed(seed + 1)
    keep = torch.randperm(len(train), generator=gen)[:m]  # random order, like generated samples: the
    x = train.to_model(train.x[keep])  # IS splits must not follow a class-sorted file. uint8 -> [-1, 1]
    result = space.score(iter(x.split(batch_size)), seed)
    result.info["generated"] = f"real train split ({m} samples)"
    return result


def _config_of(model) -> Config | None:
    from ganforge.config import config_from_dict

    cfg = (getattr(model, "meta", None) or {}).get("config")
    if not cfg:
        return None
    try:
        return config_from_dict(cfg)
    except GanforgeError:
        return None


def evaluate_run(run_dir: str | Path, metrics: list[str] | None = None, n: int = 10_000, checkpoint: str = "latest",
                 extractor: str | Path = "auto", seed: int = 0, batch_size: int = 500, device: str = "cpu",
                 inception_weights: str | Path | None = None, data_dir: str | None = None,
                 n_real: int | None = DEFAULT_N_REAL, write: bool = True) -> dict:
    """Evaluate a run's checkpoint and write ``eval.json`` into the run directory.

    Returns the report: ``{"metrics": {...}, "n", "n_real", "split", "source",
    "extractor": {"name", "sha256"}, "checkpoint", "step", "seed", "seconds", "date", ...}``.
    An extractor folder ``RUN/extractor/`` (a user's own, see train_extractor) is
    used by "auto" before the committed ones.
    """
    from ganforge.api import load
    from ganforge.config import from_dict

    start = time.perf_counter()
    run_dir = Path(run_dir)
    model = load(run_dir, checkpoint=checkpoint, device=device)
    cfg_dict = (model.meta.get("config") or {}).get("data")
    if cfg_dict is None:
        raise GanforgeError(f"{str(run_dir)!r} does not say which data it was trained on (no config in model.json); "
                            "evaluate it with ganforge.metrics.evaluate(model, DataConfig(source=...)).")
    data_cfg = from_dict(DataConfig, cfg_dict, "data")
    if data_dir:
        data_cfg = dataclasses.replace(data_cfg, data_dir=str(data_dir))
    if extractor in (None, "auto") and (run_dir / "extractor" / "manifest.json").is_file():
        extractor = run_dir / "extractor"
    results = evaluate(model, data_cfg, metrics, n=n, extractor=extractor, seed=seed, batch_size=batch_size,
                       n_real=n_real, device=device, inception_weights=inception_weights)
    info = results.info
    report = {
        "metrics": dict(results),
        "n": info["n"],
        "n_real": info.get("n_real"),
        "split": info["split"],
        "source": data_cfg.source,
        "extractor": {"name": info.get("extractor"), "sha256": info.get("extractor_sha256")},
        "checkpoint": model.source.name,
        "step": model.meta.get("step"),
        "seed": seed,
        "device": str(device),
        "seconds": round(time.perf_counter() - start, 2),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    for key in ("n_prdc", "kid_subset_size", "inception_sha256", "variant"):
        if key in info:
            report[key] = info[key]
    if write:
        out_dir = run_dir if run_dir.is_dir() else model.source
        text = json.dumps(report, indent=2) + "\n"
        _write_atomic(out_dir / EVAL_FILE, lambda tmp: Path(tmp).write_text(text))
        report["path"] = str(out_dir / EVAL_FILE)
    return report


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.2f}"
    if abs(value) >= 0.01:
        return f"{value:.4f}"
    return f"{value:.3g}"


def format_table(results: dict) -> str:
    """A plain-text table of an evaluation: MetricResults, a report from evaluate_run, or {name: float}."""
    if "metrics" in results and isinstance(results["metrics"], dict):
        values, info = results["metrics"], results
        extractor = (info.get("extractor") or {}).get("name")
        sha = (info.get("extractor") or {}).get("sha256")
    else:
        values, info = dict(results), getattr(results, "info", {})
        extractor, sha = info.get("extractor"), info.get("extractor_sha256")
    lines = []
    head = []
    if info.get("source"):
        head.append(f"data {info['source']}")
    if info.get("split"):
        head.append(f"real: {info['split']} split" + (f" ({info['n_real']})" if info.get("n_real") else ""))
    if info.get("generated"):
        head.append(f"vs {info['generated']}")
    elif info.get("n"):
        head.append(f"generated: {info['n']}")
    if extractor:
        head.append(f"features: {extractor}" + (f" (sha256 {sha[:12]})" if sha else ""))
    if info.get("checkpoint"):
        head.append(f"checkpoint {info['checkpoint']}")
    if head:
        lines.append(", ".join(head))
    width = max([len(k) for k in values] + [6])
    lines.append(f"{'metric':<{width}}  {'value':>12}")
    for key, value in values.items():
        hint = "  (lower is better)" if key in LOWER_IS_BETTER else "  (higher is better)" if key in HIGHER_IS_BETTER else ""
        lines.append(f"{key:<{width}}  {_fmt(float(value)):>12}{hint}")
    if info.get("seconds") is not None:
        lines.append(f"({info['seconds']} s)")
    return "\n".join(lines)


class TrainingEvaluator:
    """Quick metrics during training, built once per run (extractor + real statistics loaded once).

    ``evaluator(generator, z_dim, step)`` generates ``cfg.train.eval_n``
    samples from fixed latents (the same every call, so steps compare) and
    returns ``{metric: float}`` plus ``eval_seconds``; the trainer logs it to
    metrics.jsonl and keeps the checkpoint with the lowest ``fid``.
    """

    def __init__(self, cfg: Config, n: int | None = None, metrics: list[str] | None = None,
                 extractor: str | Path = "auto", batch_size: int = 500, n_real: int | None = DEFAULT_N_REAL,
                 device: str | torch.device = "cpu") -> None:
        self.n = int(n if n is not None else cfg.train.eval_n)
        if self.n < 2:
            raise GanforgeError(f"train.eval_n must be >= 2, got {self.n}.")
        self.seed = int(cfg.train.seed) + 1  # not the sample-grid latents
        self.batch_size = batch_size
        self.space = _Space(cfg.data, metrics, extractor, n_real, batch_size, device)
        self._z: torch.Tensor | None = None

    @torch.no_grad()
    def __call__(self, generator: torch.nn.Module, z_dim: int, step: int | None = None) -> dict[str, float]:
        start = time.perf_counter()
        if self._z is None or self._z.shape[1] != z_dim:
            self._z = torch.randn(self.n, z_dim, generator=torch.Generator().manual_seed(self.seed))
        device = next(generator.parameters()).device
        for ext in (self.space.extractor, self.space.mnist, self.space.inception):
            if ext is not None and ext.device != device:  # extract where the samples are (GPU training)
                ext.to(device)
        batches = (generator(z.to(device)).float() for z in self._z.split(self.batch_size))
        result = self.space.score(batches, self.seed)
        out = dict(result)
        out["eval_seconds"] = round(time.perf_counter() - start, 3)
        return out
