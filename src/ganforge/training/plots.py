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
