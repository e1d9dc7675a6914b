"""Offline evaluation: generated samples vs the real test split, in a fixed feature space.

``evaluate(model, data_cfg)`` draws ``n`` samples, turns them into features
and class probabilities with the domain extractor of the data source
(:mod:`ganforge.metrics.extractor`; toy2d points are used as they are, with
the mixture centres for mode counting), and compares them with the real
**test** split (the train split where a source has no test split; the result
says which). Real features are cached on disk per extractor checksum, source,
split, data fingerprint and size, so a second evaluation only pays for the
generated side.

It is loops over the registered specs (:mod:`ganforge.metrics.registry`;
the list of metrics is in :mod:`ganforge.metrics`): their ``needs`` pick the
inputs (:mod:`ganforge.metrics.inputs`), their ``compute`` gives the numbers,
their registration order is the column order.

``floor(data_cfg)`` gives the same numbers for the real train split against
the real test split: the best a generator can expect at that sample size.
``evaluate_run(run_dir)`` is what ``ganforge eval`` runs; it writes
``eval.json`` into the run directory. ``TrainingEvaluator`` is the quick
in-training version the trainer calls every ``train.eval_every`` steps.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import time
from pathlib import Path
from typing import Any

import torch

from ganforge.config import Config, DataConfig
from ganforge.data.base import class_cycle
from ganforge.errors import GanforgeError
from ganforge.files import write_text_atomic
from ganforge.metrics.extractor import Extractor
from ganforge.metrics.inputs import Setup, check_model, inputs_for
from ganforge.metrics.real_stats import (DEFAULT_N_REAL, eval_split, load_real, real_stats,  # noqa: F401 -- API
                                         resolve_extractor, stats_dir)
from ganforge.metrics.registry import METRICS, MetricContext, check_metrics, kind_of, output_order
from ganforge.metrics.table import format_table  # noqa: F401 -- re-exported: evaluate.format_table

EVAL_FILE = "eval.json"
EVAL_HISTORY_FILE = "eval_history.jsonl"  # every earlier eval.json of the run, oldest first


class MetricResults(dict):
    """``{metric: float}`` plus ``.info``: which split, extractor (name + sha256) and sizes were used."""

    def __init__(self, values: dict[str, float], info: dict[str, Any]) -> None:
        super().__init__(values)
        self.info = info


# ----------------------------------------------------------------------------
# generating


def _latent_batches(model, n: int, seed: int, batch_size: int):
    """Yield batches of generated samples (float, CPU or model device) for any GeneratorModel-like object."""
    if hasattr(model, "latents") and hasattr(model, "generate"):
        z = model.latents(n, seed)  # (n, z_dim), drawn on the CPU: same samples on every device
        # conditional models: classes in turn, so every class is equally represented
        labels = class_cycle(n, model.num_classes) if getattr(model, "num_classes", 0) else None
        for i, chunk in enumerate(z.split(batch_size)):
            part = labels[i * batch_size : i * batch_size + len(chunk)] if labels is not None else None
            yield model.generate(chunk, part, batch_size=batch_size) if part is not None else \
                model.generate(chunk, batch_size=batch_size)
    elif hasattr(model, "sample"):
        yield from model.sample(n, seed=seed).split(batch_size)
    else:
        raise GanforgeError("evaluate() needs a model with .sample(n, seed) or .latents(n, seed) + .generate(z), "
                            "e.g. ganforge.load(run_dir).")


def _finite(batch: torch.Tensor) -> torch.Tensor:
    if not torch.isfinite(batch).all():
        raise GanforgeError("The generator produced NaN or inf values; it has diverged, so metrics are "
                            "meaningless. Evaluate an earlier checkpoint (--checkpoint step_NNNNNN).")
    return batch


# ----------------------------------------------------------------------------
# the feature space of one evaluation


class _Space:
    """The inputs of one evaluation (extractors + cached real statistics), built once from the specs' needs."""

    def __init__(self, data_cfg, metrics: list[str] | None, extractor="auto", n_real=DEFAULT_N_REAL,
                 batch_size: int = 500, device="cpu", inception_weights=None, cache: bool = True,
                 split: str | None = None) -> None:
        self.split = split or eval_split(data_cfg.source)
        data = load_real(data_cfg, self.split, n_real)
        kind = kind_of(data.is_image, bool(data.info.get("paired")))
        self.specs = [METRICS.get(name) for name in check_metrics(metrics, kind)]
        setup = Setup(data_cfg, data, self.split, extractor, n_real, batch_size, device, inception_weights, cache)
        self.inputs = [cls(setup) for cls in inputs_for({n for s in self.specs for n in s.needs}, kind)]
        self.info: dict[str, Any] = {"source": data_cfg.source, "split": self.split}
        self.real: dict[str, Any] = {}
        for inp in self.inputs:  # the first input to report a key (e.g. n_real) is the one shown
            self.info.update({k: v for k, v in inp.info.items() if k not in self.info})
            self.real.update(inp.real)
        self.num_classes = next((i.num_classes for i in self.inputs if i.num_classes is not None), None)
        self.points = next((i.points for i in self.inputs if i.points is not None), None)

    @property
    def extractors(self) -> list:
        """Every network the inputs run samples through (moved to the samples' device in training)."""
        return [net for inp in self.inputs for net in inp.extractors()]

    def _fake(self, batches, model, n: int, seed: int) -> tuple[dict[str, Any], int]:
        """Generated side of every input: batches through the batch inputs, the model for the others."""
        parts: dict[str, list[torch.Tensor]] = {}
        batch_inputs = [i for i in self.inputs if not i.from_model]
        for batch in (batches if batch_inputs else ()):
            batch = _finite(batch.detach())
            for inp in batch_inputs:
                for key, value in inp.fake(batch).items():
                    parts.setdefault(key, []).append(value)
        fake: dict[str, Any] = {k: torch.cat(v) for k, v in parts.items()}
        count = len(next(iter(fake.values()))) if fake else 0
        for inp in (i for i in self.inputs if i.from_model):
            values, drawn = inp.sample(model, n, seed)
            fake.update(values)
            count = count or drawn
        return fake, count

    def score(self, batches, seed: int = 0, model=None, n: int = 0, options: dict | None = None) -> MetricResults:
        """Every requested metric of the generated ``batches`` (and ``model``, for inputs that sample it)."""
        fake, count = self._fake(batches, model, n, seed)
        ctx = MetricContext(self.real, fake, self.num_classes, seed, self.points, dict(options or {}))
        values: dict[str, float] = {}
        for spec in self.specs:
            values.update(spec.compute(ctx))
        ordered = {k: float(values[k]) for k in output_order(values)}
        return MetricResults(ordered, {**self.info, **ctx.info, "n": count, "requested": [s.name for s in self.specs]})


# ----------------------------------------------------------------------------
# the public entry points


def evaluate(model, data_cfg: DataConfig, metrics: list[str] | None = None, n: int = 10_000,
             extractor: str | Path | Extractor = "auto", seed: int = 0, batch_size: int = 500,
             n_real: int | None = DEFAULT_N_REAL, device: str | torch.device | None = None,
             inception_weights: str | Path | None = None, cache: bool = True,
             options: dict | None = None) -> MetricResults:
    """Compare ``n`` samples of ``model`` with the real test split of ``data_cfg``'s source.

    Args:
        model: a :class:`ganforge.model.GeneratorModel` (or any object with
            ``.sample(n, seed)``, or ``.latents(n, seed)`` + ``.generate(z)``).
        data_cfg: the data the model was trained on (its ``split`` and
            ``limit`` are ignored: the whole test split is the reference).
        metrics: names registered in :data:`ganforge.metrics.METRICS`; None = the specs'
            defaults for the data (images: fid, kid, pr, dc, is, classes; toy2d: fid, kid, pr, dc, classes, modes).
        n: generated samples.
        extractor: "auto" (the committed extractor of the source), a name, or
            a folder written by ``train_extractor``.
        seed: latent seed (and the seed of KID / PRDC subsets).
        batch_size: samples per generator / extractor call.
        n_real: at most this many real samples (a fixed seeded subset); None = all.
        device: where the extractors run (default: the model's device, else CPU).
        inception_weights: path of the Inception weights for "inception-fid".
        cache: read / write the real statistics cache.
        options: per-metric settings read by the specs, e.g. ``{"cas_epochs": 3}``.

    Returns:
        :class:`MetricResults`: ``{name: float}`` with ``.info`` holding the
        split, sizes and the extractor name + sha256.
    """
    if n < 2:
        raise GanforgeError(f"Evaluate at least 2 samples, got n={n}.")
    if device is None:
        device = getattr(model, "device", "cpu")
    check_model(model, [METRICS.get(m).needs for m in metrics or [] if m in METRICS], metrics or [])
    space = _Space(data_cfg, metrics, extractor, n_real, batch_size, device, inception_weights, cache)
    return space.score(_latent_batches(model, n, seed, batch_size), seed, model=model, n=n, options=options)


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
    from ganforge.presets import config_from_dict

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
    from ganforge.translate.model import load_model as load  # a generator, or a translator (pairs metrics)
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
    for key in ("n_prdc", "kid_subset_size", "inception_sha256", "variant", "direction", "not_applicable"):
        if key in info:
            report[key] = info[key]
    if write:
        out_dir = run_dir if run_dir.is_dir() else model.source
        _keep_earlier_eval(out_dir)
        text = json.dumps(report, indent=2) + "\n"
        write_text_atomic(out_dir / EVAL_FILE, text)
        report["path"] = str(out_dir / EVAL_FILE)
    return report


def _keep_earlier_eval(out_dir: Path) -> None:
    """Append the eval.json about to be replaced to eval_history.jsonl, so no earlier measurement is lost.

    (``ganforge eval --metrics confident`` after a full evaluation would otherwise drop its FID.) The
    history is rewritten atomically, so a crash leaves either the old or the new file, never half a line;
    an unreadable old eval.json is kept as its text under "unreadable".
    """
    current = out_dir / EVAL_FILE
    if not current.is_file():
        return
    text = current.read_text(encoding="utf-8", errors="replace")
    try:
        record = json.loads(text)
    except ValueError:
        record = {"unreadable": text}
    history = out_dir / EVAL_HISTORY_FILE
    earlier = history.read_text(encoding="utf-8", errors="replace") if history.is_file() else ""
    if earlier and not earlier.endswith("\n"):
        earlier += "\n"
    write_text_atomic(history, earlier + json.dumps(record) + "\n")


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
        from ganforge.training.samples import fixed_latents  # the trainer's seeded latents, one home

        start = time.perf_counter()
        if self._z is None or self._z.shape[1] != z_dim:
            self._z = fixed_latents(self.seed, self.n, z_dim)
        device = next(generator.parameters()).device
        for ext in self.space.extractors:
            if ext.device != device:  # extract where the samples are (GPU training)
                ext.to(device)
        batches = (generator(z.to(device)).float() for z in self._z.split(self.batch_size))
        result = self.space.score(batches, self.seed)
        out = dict(result)
        out["eval_seconds"] = round(time.perf_counter() - start, 3)
        return out
