"""Matplotlib figures for a run: loss curves and toy2d scatter plots."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: training runs on servers without a display
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402


def read_metrics(path: Path) -> list[dict]:
    """The JSON lines of metrics.jsonl; a torn last line (killed mid-write) is skipped."""
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def plot_losses(rows: list[dict], out: Path) -> Path | None:
    """One panel per network (keys "d/..." and "g/...") against step."""
    series: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        for key, value in row.items():
            if "/" in key and isinstance(value, (int, float)):
                group = key.split("/")[0]
                series[group][key].append((row["step"], value))
    groups = [g for g in ("d", "g") if g in series] + sorted(set(series) - {"d", "g"})
    if not groups:
        return None
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5), squeeze=False)
    for ax, group in zip(axes[0], groups):
        for key, points in sorted(series[group].items()):
            steps, values = zip(*points)
            ax.plot(steps, values, label=key)
        ax.set_xlabel("step")
        ax.set_title({"d": "discriminator", "g": "generator"}.get(group, group))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_points(fake: torch.Tensor, real: torch.Tensor, out: Path, title: str = "") -> Path:
    """Scatter of generated (N, 2) over real (M, 2) points: the toy2d 'sample grid'."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(real[:, 0], real[:, 1], s=2, c="#bbbbbb", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="#d62728", label="generated")
    lim = float(real.abs().max()) * 1.3
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8, markerscale=4)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


# The health panel: which logged signals go in which panel (the first of each tuple that a run logged is used).
HEALTH_PANELS = (
    ("D's view", (("d/acc_real", "d/acc_fake", "d/sign_real"), ("d/logit_real", "d/logit_fake"),
                  ("d/real_score", "d/fake_score"))),
    ("gradient norms", (("d/grad_norm", "g/grad_norm"),)),
    ("samples", (("health/diversity", "health/class_kl_rel", "health/modes_rel"),)),
    ("losses", (("d/loss", "g/loss"),)),
)
SHADE = {"mode_collapse": "#d62728", "partial_collapse": "#ff9896", "d_overpowering": "#9467bd",
         "g_not_learning": "#8c564b", "divergence": "#000000", "oscillation": "#bcbd22"}


def _health_series(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """Numeric signals per key, plus class KL and modes as fractions of their maxima (so they share an axis)."""
    series: dict[str, list] = defaultdict(list)
    for row in rows:
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "step":
                series[key].append((row["step"], float(value)))
        if "health/class_kl" in row and row.get("health/class_kl_max"):
            series["health/class_kl_rel"].append((row["step"], row["health/class_kl"] / row["health/class_kl_max"]))
        if "health/modes" in row and row.get("health/modes_total"):
            series["health/modes_rel"].append((row["step"], row["health/modes"] / row["health/modes_total"]))
    return series


def plot_health(rows: list[dict], intervals: list[tuple[str, int, int]], out: Path) -> Path | None:
    """The health signals against step, one panel per group, with diagnosed intervals shaded.

    ``intervals``: (diagnosis name, first step, last step) triples.
    """
    series = _health_series(rows)
    panels = []
    for title, choices in HEALTH_PANELS:
        keys = next(([k for k in group if k in series] for group in choices if any(k in series for k in group)), [])
        if keys:
            panels.append((title, keys))
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.4 * len(panels)), sharex=True, squeeze=False)
    for ax, (title, keys) in zip(axes[:, 0], panels):
        for key in keys:
            steps, values = zip(*series[key])
            ax.plot(steps, values, label=key, lw=1.2)
        if title == "gradient norms":
            ax.set_yscale("log")
        _shade(ax, intervals)
        ax.set_title(title, fontsize=10, loc="left")
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def _shade(ax, intervals: list[tuple[str, int, int]]) -> None:
    labelled = set()
    for name, start, end in intervals:
        ax.axvspan(start, max(end, start + 1), color=SHADE.get(name, "#7f7f7f"), alpha=0.15,
                   label=None if name in labelled else name)
        labelled.add(name)
