"""Metric inputs: what turns real and generated samples into the tensors metrics read.

A metric spec names the inputs it needs (``needs=("features",)``); an
:class:`Input` provides some of them for one kind of data. An evaluation
builds each needed input once (its real side, usually cached on disk), then
feeds it every generated batch (or, for ``from_model`` inputs, asks the model
itself). Inputs are found by what they provide, never by a metric's name:

==============  ======  =============================================================
input           data    provides
==============  ======  =============================================================
DomainImages    images  "features" (N, D), "probs" (N, K), "classes" (= probs)
Points          points  "features" (N, 2), "classes" (N,) nearest centre, "points"
StackedDigits   images  "digits" (N, 3): the MNIST digit of each channel
Inception       images  "inception": real (mu, sigma), fake (N, 2048) features
PerClass        images  "per_class": class-sorted samples of a conditional model
==============  ======  =============================================================
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import torch

from ganforge.data.base import class_blocks
from ganforge.errors import GanforgeError
from ganforge.metrics.registry import METRICS
from ganforge.metrics.real_stats import eval_split, load_real, real_stats, resolve_extractor

INPUTS: list[type["Input"]] = []  # registration order: an input may reuse what an earlier one loaded


def register_input(cls: type["Input"]) -> type["Input"]:
    """Class decorator: make ``cls`` available to every evaluation."""
    INPUTS.append(cls)
    return cls


@dataclasses.dataclass
class Setup:
    """Everything an input needs to build its real side; ``shared`` lets inputs reuse loaded extractors."""

    data_cfg: Any
    data: Any  # the real Dataset of ``split``, at most n_real samples
    split: str
    extractor: Any = "auto"
    n_real: int | None = None
    batch_size: int = 500
    device: Any = "cpu"
    inception_weights: str | Path | None = None
    cache: bool = True
    shared: dict[str, Any] = dataclasses.field(default_factory=dict)


class Input:
    """One source of metric inputs. Subclasses set ``provides`` and ``applies_to``, build ``real`` in
    ``__init__`` and turn a generated batch (B, ...) into ``{name: (B, ...)}`` in :meth:`fake`."""

    provides: ClassVar[tuple[str, ...]] = ()
    applies_to: ClassVar[str] = "images"
    from_model: ClassVar[bool] = False  # True: fake side drawn by sample(model, n, seed), not from batches

    def __init__(self, setup: Setup) -> None:
        self.real: dict[str, Any] = {}
        self.info: dict[str, Any] = {}
        self.num_classes: int | None = None
        self.points: dict | None = None

    def fake(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        raise GanforgeError(f"{type(self).__name__} draws its own samples from a model; it takes no batches.")

    def sample(self, model, n: int, seed: int) -> tuple[dict[str, Any], int]:
        """``from_model`` inputs: ({name: value}, number of samples drawn) for about ``n`` samples of ``model``."""
        raise GanforgeError(f"{type(self).__name__} reads generated batches; it draws no samples itself.")

    @classmethod
    def check_model(cls, model, metrics: list[str]) -> None:
        """Refuse a model this input cannot sample (``from_model`` inputs), before any data is loaded."""

    def extractors(self) -> list:
        """Networks to move to the device the samples are on (GPU training)."""
        return []


def check_model(model, needs: list[tuple[str, ...]], metrics: list[str]) -> None:
    """Let every model-sampling input that ``needs`` asks for check ``model`` first (a one-line error)."""
    wanted = {name for group in needs for name in group}
    for cls in INPUTS:
        if cls.from_model and wanted & set(cls.provides):
            cls.check_model(model, metrics)


def inputs_for(needs: set[str], kind: str) -> list[type[Input]]:
    """The input classes for ``kind`` of data that provide every name in ``needs``, in registration order."""
    chosen = [cls for cls in INPUTS if cls.applies_to == kind and needs & set(cls.provides)]
    missing = needs - {name for cls in chosen for name in cls.provides}
    if missing:
        raise GanforgeError(f"No metric input provides {', '.join(sorted(missing))} for {kind}; "
                            "register one in ganforge/metrics/inputs.py.")
    return chosen


@register_input
class DomainImages(Input):
    """The domain classifier of the source (metrics/extractor.py): features and class probabilities."""

    provides = ("features", "probs", "classes")

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        self.extractor = resolve_extractor(setup.extractor, setup.data_cfg, setup.device)
        setup.shared["domain"] = self.extractor
        self.batch_size = setup.batch_size
        tensors, info = real_stats(self.extractor, setup.data_cfg, setup.split, setup.n_real, setup.batch_size,
                                   setup.cache, setup.data)
        self.real = {**tensors, "classes": tensors["probs"]}
        self.num_classes = self.extractor.num_classes
        self.info = {"n_real": info["n_real"], "extractor": self.extractor.name,
                     "extractor_sha256": self.extractor.sha256, "real_stats_cached": info["cached"]}

    def fake(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        features, probs = self.extractor(batch, self.batch_size)
        return {"features": features, "probs": probs, "classes": probs}

    def extractors(self) -> list:
        return [self.extractor]


def nearest_centre(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """(N, 2) points, (M, 2) centres -> (N,) index of each point's nearest centre: its "class"."""
    return torch.cdist(x.double(), centres.double()).argmin(1)


@register_input
class Points(Input):
    """2-D points are their own features; the nearest mixture centre is their class (toy2d)."""

    provides = ("features", "classes", "points")
    applies_to = "points"

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        info = setup.data.info
        if "centres" not in info or "std" not in info:
            raise GanforgeError(f"Data source {setup.data_cfg.source!r} gives points without mixture centres; "
                                "only toy2d-style point data can be evaluated.")
        centres = torch.tensor(info["centres"], dtype=torch.float32)
        self.points = {"variant": info.get("variant"), "centres": centres, "std": float(info["std"])}
        x = setup.data.x.float()
        self.real = {"features": x, "classes": nearest_centre(x, centres)}
        self.num_classes = len(centres)
        self.info = {"n_real": len(setup.data), "extractor": "points", "variant": self.points["variant"]}

    def fake(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        x = batch.float().cpu()
        return {"features": x, "classes": nearest_centre(x, self.points["centres"])}


DIGITS_EXTRACTOR = "mnist"  # the committed extractor that reads the digit in each channel of Stacked MNIST


def _digit_reader(setup: Setup):
    """The committed MNIST extractor; the domain classifier already loaded when it is the same weights file."""
    from ganforge.metrics.extractor import available_extractors, load_extractor

    domain = setup.shared.get("domain")
    committed = available_extractors().get(DIGITS_EXTRACTOR, {})
    if domain is not None and domain.sha256 == committed.get("sha256"):
        return domain
    return load_extractor(DIGITS_EXTRACTOR, device=setup.device)


@register_input
class StackedDigits(Input):
    """Stacked MNIST: the MNIST classifier reads the digit in each of the 3 channels."""

    provides = ("digits",)

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        self.mnist = _digit_reader(setup)
        self.batch_size = setup.batch_size
        self.info = {"stacked_mnist_extractor_sha256": self.mnist.sha256}

    def fake(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, 3, H, W) -> {"digits": (B, 3)} digit predicted for each channel."""
        if batch.dim() != 4 or batch.shape[1] != 3:
            raise GanforgeError(f"stacked_mnist needs 3-channel images (one digit per channel), got shape "
                                f"{tuple(batch.shape)}.")
        per_channel = [self.mnist.probs(batch[:, c : c + 1], self.batch_size).argmax(1) for c in range(3)]
        return {"digits": torch.stack(per_channel, 1)}

    def extractors(self) -> list:
        return [self.mnist]


@register_input
class Inception(Input):
    """The standard FID Inception-v3 (weights file on disk); the real side is kept as its Gaussian."""

    provides = ("inception",)

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        from ganforge.metrics.fid import gaussian_stats
        from ganforge.metrics.inception import load_inception

        self.inception = load_inception(setup.inception_weights, device=setup.device)
        tensors, info = real_stats(self.inception, setup.data_cfg, setup.split, setup.n_real, setup.batch_size,
                                   setup.cache, setup.data)
        self.real = {"inception": gaussian_stats(tensors["features"])}
        self.info = {"inception_sha256": self.inception.sha256, "n_real": info["n_real"]}

    def fake(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"inception": self.inception.features(batch)}

    def extractors(self) -> list:
        return [self.inception]


@register_input
class PerClass(Input):
    """A conditional model asked for each class in turn, scored against all real test images of that class.

    ``real["per_class"]``: {"x" uint8 (N, C, H, W), "y" (N,), "features" (N, D)};
    ``fake["per_class"]``: {"samples" (K*n, C, H, W) in [-1, 1], "requested" (K*n,), "features", "probs",
    "class_names"}.
    """

    provides = ("per_class",)
    from_model = True

    def __init__(self, setup: Setup) -> None:
        super().__init__(setup)
        self.extractor = setup.shared.get("domain") or resolve_extractor(setup.extractor, setup.data_cfg,
                                                                         setup.device)
        real = load_real(setup.data_cfg, eval_split(setup.data_cfg.source), None)
        self.real = {"per_class": {"x": real.x, "y": real.y,
                                   "features": self.extractor.features(real.to_model(real.x))}}
        self.info = {"n_real": len(real), "extractor": self.extractor.name,
                     "extractor_sha256": self.extractor.sha256}

    @classmethod
    def check_model(cls, model, metrics: list[str]) -> None:
        if not getattr(model, "num_classes", 0):
            from ganforge.recipes.base import conditional_recipes

            asked = [m for m in metrics if m in METRICS and "per_class" in METRICS.get(m).needs]
            raise GanforgeError(f"{'Metrics ' + ', '.join(asked) if asked else 'Conditional metrics'} need a "
                                f"conditional model ({conditional_recipes()}).")

    def sample(self, model, n: int, seed: int) -> tuple[dict[str, Any], int]:
        """max(2, n // K) samples of each class, class-sorted, from ``model.sample(.., labels=..)``."""
        self.check_model(model, [])
        requested = class_blocks(model.num_classes, max(2, n // model.num_classes))
        samples = model.sample(len(requested), seed=seed, labels=requested)  # float (K*n, C, H, W) in [-1, 1]
        features, probs = self.extractor(samples)
        names = model.class_names or [str(k) for k in range(model.num_classes)]
        return {"per_class": {"samples": samples, "requested": requested, "features": features, "probs": probs,
                              "class_names": names, "num_classes": model.num_classes}}, len(samples)

    def extractors(self) -> list:
        return [self.extractor]
