"""Plain-text tables of evaluation results (``ganforge eval``, ``ganforge metrics floor``)."""

from __future__ import annotations

import math

from ganforge.metrics.registry import direction

_HINTS = {"lower": "  (lower is better)", "higher": "  (higher is better)", None: ""}


def format_value(value: float) -> str:
    """A number as a table cell: integers bare, then 2, 4 or 3 significant digits by size."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.2f}"
    if abs(value) >= 0.01:
        return f"{value:.4f}"
    return f"{value:.3g}"


def _values_and_info(results: dict) -> tuple[dict, dict, str | None, str | None]:
    """(values, info, extractor name, sha256) of a MetricResults, an evaluate_run report or {name: float}."""
    if "metrics" in results and isinstance(results["metrics"], dict):
        extractor = results.get("extractor") or {}
        return results["metrics"], results, extractor.get("name"), extractor.get("sha256")
    info = getattr(results, "info", {})
    return dict(results), info, info.get("extractor"), info.get("extractor_sha256")


def _heading(info: dict, extractor: str | None, sha: str | None) -> str:
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
    return ", ".join(head)


def format_table(results: dict) -> str:
    """A plain-text table of an evaluation: MetricResults, a report from evaluate_run, or {name: float}.
    Each row says which way is better, as the metric's spec declares."""
    values, info, extractor, sha = _values_and_info(results)
    heading = _heading(info, extractor, sha)
    lines = [heading] if heading else []
    width = max([len(k) for k in values] + [6])
    lines.append(f"{'metric':<{width}}  {'value':>12}")
    for key, value in values.items():
        lines.append(f"{key:<{width}}  {format_value(float(value)):>12}{_HINTS[direction(key)]}")
    for name, why in (info.get("not_applicable") or {}).items():  # asked for, but says why it has no number here
        lines.append(f"{name:<{width}}  {'n/a':>12}  ({why})")
    if info.get("seconds") is not None:
        lines.append(f"({info['seconds']} s)")
    return "\n".join(lines)
