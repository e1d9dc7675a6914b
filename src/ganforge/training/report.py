"""``report.html``: one self-contained page per run (config, curves, samples over time)."""

from __future__ import annotations

import html
from pathlib import Path

from ganforge.training.plots import plot_losses, read_metrics

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ganforge run {name}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
img{{image-rendering:pixelated;max-width:100%}} .grid{{display:flex;flex-wrap:wrap;gap:1em}}
.grid figure{{margin:0}} pre{{background:#f4f4f4;padding:1em;overflow:auto}} td{{padding:0 1em 0 0}}</style>
</head><body>
<h1>Run <code>{name}</code></h1>
<table>{summary}</table>
<h2>Losses</h2>{losses}
{extra}
<h2>Samples over time</h2><div class="grid">{samples}</div>
<h2>Config</h2><pre>{config}</pre>
</body></html>
"""


def write_report(run_dir: Path, extra_sections: str = "") -> Path:
    """(Re)write ``run_dir/report.html`` and ``losses.png`` from what the run directory holds."""
    rows = read_metrics(run_dir / "metrics.jsonl")
    losses_png = plot_losses(rows, run_dir / "losses.png") if rows else None
    last = rows[-1] if rows else {}
    summary = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{v:.4g}</td></tr>" if isinstance(v, float) else
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in last.items())
    samples = sorted((run_dir / "samples").glob("step_*.png"))
    figures = "".join(
        f'<figure><img src="samples/{p.name}" alt="{p.stem}"><figcaption>{p.stem}</figcaption></figure>'
        for p in samples)
    config = (run_dir / "config.yaml").read_text() if (run_dir / "config.yaml").exists() else ""
    page = _PAGE.format(
        name=html.escape(run_dir.name),
        summary=summary,
        losses='<img src="losses.png" alt="loss curves">' if losses_png else "<p>No losses logged yet.</p>",
        extra=extra_sections,
        samples=figures or "<p>No samples yet.</p>",
        config=html.escape(config),
    )
    out = run_dir / "report.html"
    out.write_text(page)
    return out
