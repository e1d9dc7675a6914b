"""The metric registry: one :class:`MetricSpec` per evaluable metric.

A spec says what a metric needs, where it applies, what it returns and how it
is computed, so :mod:`ganforge.metrics.evaluate` is loops over specs and adding
a metric is one file (see docs/architecture.md, *Add a metric*)::

    from ganforge.metrics import METRICS
    spec = METRICS.get("fid")
    spec.needs        # ("features",): the inputs it reads (metrics/inputs.py provides them)
    spec.outputs      # {"fid": "lower"}: each number it returns and which way is better

Each metric module registers its spec next to its maths (``fid.py`` registers
``fid``); ``ganforge.metrics`` imports them all. The registration order is the
order of the columns in every table (:func:`output_order`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import torch

from ganforge.errors import GanforgeError
from ganforge.registry import Registry

IMAGES, POINTS = "images", "points"
PAIRS = "pairs"  # A|B image pairs packed as channels (data/paired.py): translation runs


@dataclasses.dataclass
class MetricContext:
    """What a metric's ``compute`` reads.

    ``real`` / ``fake`` map input names (a spec's ``needs``) to tensors: e.g.
    "features" (N, D), "classes" ((N, K) probabilities or (N,) labels),
    "probs" (N, K). ``num_classes`` is the classifier's K (or the number of
    mixture modes for points); ``points`` holds "centres" (M, 2) and "std" for
    point data; ``seed`` seeds any subsets; ``options`` are per-call settings
    (e.g. "cas_epochs"). A metric puts settings worth reporting into ``info``.
    """

    real: dict[str, Any]
    fake: dict[str, Any]
    num_classes: int | None = None
    seed: int = 0
    points: dict | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    _memo: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` computed once per evaluation: metrics sharing work (pr and dc) share the result."""
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """One evaluable metric.

    Attributes:
        name: the name users ask for (``--metrics fid,kid``).
        compute: ``compute(ctx: MetricContext) -> {output: float}``.
        outputs: every number it returns, in table order, with its direction:
            "lower" / "higher" is better, or None (a count, a spread).
            A name ending in "/" stands for a family (``intra_fid/<class>``).
        needs: the inputs it reads from ``ctx.real`` / ``ctx.fake``
            (:mod:`ganforge.metrics.inputs` says which input provides which).
        applies_to: the kinds of data it can score: "images" and/or "points".
        default_for: the kinds of data it is computed for when no metric is named.
        hint: one sentence added when it is asked for on data it does not apply to.
    """

    name: str
    compute: Callable[[MetricContext], dict[str, float]]
    outputs: dict[str, str | None]
    needs: tuple[str, ...] = ("features",)
    applies_to: tuple[str, ...] = (IMAGES, POINTS)
    default_for: tuple[str, ...] = ()
    hint: str = ""


METRICS: Registry[MetricSpec] = Registry("metric")
_ORDER: list[str] = []  # registration order = table order


def register_metric(spec: MetricSpec) -> MetricSpec:
    """Add ``spec`` to :data:`METRICS` (the one place a metric name is resolved)."""
    METRICS.register(spec.name)(spec)
    _ORDER.append(spec.name)
    return spec


def ordered_specs() -> list[MetricSpec]:
    """Every registered spec, in registration (table) order."""
    return [METRICS.get(name) for name in _ORDER]


def kind_of(is_image: bool, paired: bool = False) -> str:
    """The kind of data a metric scores: "pairs" (a translation source), "images" or "points"."""
    return PAIRS if paired else IMAGES if is_image else POINTS


def default_metrics(kind: str) -> list[str]:
    """The metrics computed for ``kind`` ("images" / "points") when none are named."""
    return [s.name for s in ordered_specs() if kind in s.default_for]


def check_metrics(metrics: list[str] | None, kind: str) -> list[str]:
    """Validate metric names for this kind of data; None -> :func:`default_metrics`. Duplicates dropped."""
    if metrics is None:
        return default_metrics(kind)
    metrics = [m.strip() for m in metrics if m.strip()]
    if not metrics:
        raise GanforgeError(f"No metrics given; choose from: {', '.join(_ORDER)}.")
    for name in metrics:
        spec = METRICS.get(name)
        if kind not in spec.applies_to:
            usable = ", ".join(s.name for s in ordered_specs() if kind in s.applies_to)
            raise GanforgeError(f"Metric {name!r} needs {' or '.join(spec.applies_to)} but this data set gives "
                                f"{kind}; {spec.hint or 'use: ' + usable + '.'}")
    return list(dict.fromkeys(metrics))


def direction(output: str) -> str | None:
    """"lower", "higher" or None for an output name (``intra_fid/3`` follows ``intra_fid/``)."""
    for spec in ordered_specs():
        for key, way in spec.outputs.items():
            if output == key or (key.endswith("/") and output.startswith(key)):
                return way
    return None


def output_order(values: dict[str, float]) -> list[str]:
    """``values``' keys in table order: by spec, then by each spec's outputs (a family where it is
    declared); keys no spec declares last."""
    order: list[str] = []
    for key in (k for spec in ordered_specs() for k in spec.outputs):
        order += [v for v in values if v.startswith(key) and v not in order] if key.endswith("/") else \
            [key] if key in values else []
    return order + [k for k in values if k not in order]


def equal_size(real: torch.Tensor, fake: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first m fakes and a seeded subset of m reals, m = min(N, M): k-NN radii shrink with set size,
    so metrics built on them compare equal-size sets. (N, D), (M, D) -> (m, D), (m, D)."""
    m = min(len(real), len(fake))
    keep = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:m].sort().values
    return real[keep], fake[:m]
