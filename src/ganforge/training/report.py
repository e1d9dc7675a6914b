"""``report.html``: one self-contained page per run (config, curves, samples over time)."""

from __future__ import annotations

import html
from pathlib import Path

from ganforge.files import write_text_atomic
from ganforge.training.plots import plot_health, plot_losses, read_metrics

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ganforge run {name}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
img{{image-rendering:pixelated;max-width:100%}} .grid{{display:flex;flex-wrap:wrap;gap:1em}}
.grid figure{{margin:0}} .bad{{color:#b00}} .ok{{color:#070}} pre{{background:#f4f4f4;padding:1em;overflow:auto}} td{{padding:0 1em 0 0}}</style>
</head><body>
<h1>Run <code>{name}</code></h1>
<table>{summary}</table>
<h2>Losses</h2>{losses}
<h2>Health</h2>{health}
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
        health=health_section(run_dir, rows, samples),
        extra=extra_sections,
        samples=figures or "<p>No samples yet.</p>",
        config=html.escape(config),
    )
    return write_text_atomic(run_dir / "report.html", page)


def health_section(run_dir: Path, rows: list[dict], samples: list[Path]) -> str:
    """The health panel: verdict, diagnoses with evidence and remedies, the signal curves with the
    diagnosed intervals shaded (``health.png``), and the sample grid at each diagnosis.  A run that logged
    no sample signals is judged, like ``ganforge doctor`` does, from those of its saved sample grids."""
    from ganforge.health.replay import read_config, replay_rows, with_grid_signals  # health imports training.plots

    if not rows:
        return "<p>No rows logged yet.</p>"
    cfg = read_config(run_dir)
    rows, notes = with_grid_signals(run_dir, rows, cfg)
    report = replay_rows(rows, cfg)
    intervals = [(d.name, d.step, d.end if d.end is not None else report.last_step) for d in report.diagnoses]
    plot = plot_health(rows, intervals, run_dir / "health.png")
    css = "ok" if report.healthy else "bad"
    parts = [f'<p class="{css}"><b>{html.escape(report.verdict)}</b> (<code>ganforge doctor {html.escape(str(run_dir))}</code>)</p>']
    parts += [f"<p><i>{html.escape(note)}</i></p>" for note in notes]
    if plot:
        parts.append('<img src="health.png" alt="health signals with diagnosed intervals shaded">')
    parts += [_diagnosis_html(d, _grid_at(samples, d.step)) for d in report.diagnoses]
    return "\n".join(parts)


def _grid_at(samples: list[Path], step: int) -> Path | None:
    """The first sample grid saved at or after ``step`` (what the run looked like when it was diagnosed)."""
    later = [p for p in samples if int(p.stem.split("_")[-1]) >= step]
    return later[0] if later else (samples[-1] if samples else None)


def _diagnosis_html(d, grid: Path | None) -> str:
    until = f"until step {d.end}" if d.end is not None else "to the end"
    evidence = ", ".join(f"{html.escape(k)}={v:.3g}" if isinstance(v, float) else f"{html.escape(k)}={html.escape(str(v))}"
                         for k, v in d.evidence.items())
    remedies = "".join(f"<li>{html.escape(r)}</li>" for r in d.remedies)
    image = (f'<figure><img src="samples/{grid.name}" alt="{grid.stem}" style="max-width:260px">'
             f"<figcaption>{grid.stem}</figcaption></figure>") if grid else ""
    return (f'<div class="grid"><div><h3>{html.escape(d.name.replace("_", " "))} at step {d.step}, {until}'
            f'{"" if d.serious else " (warning)"}</h3><p>{evidence}</p><ul>{remedies}</ul></div>{image}</div>')
