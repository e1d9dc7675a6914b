"""Replay a run's metrics.jsonl through the health monitor (what ``ganforge doctor`` and report.html show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ganforge.errors import GanforgeError
from ganforge.health.diagnosis import Diagnosis
from ganforge.health.grids import grid_rows
from ganforge.health.monitor import HealthMonitor
from ganforge.training.plots import read_metrics

SAMPLE_SIGNAL = "health/diversity"


@dataclass
class HealthReport:
    """The diagnoses of one run in step order (``end`` None = still going at the last row) and its verdict."""

    diagnoses: list[Diagnosis]
    verdict: str
    rows: int
    last_step: int
    signals: list[str]  # the health-relevant keys the run logged
    notes: list[str] = field(default_factory=list)  # where signals came from when the run did not log them

    @property
    def healthy(self) -> bool:
        return not any(d.serious for d in self.diagnoses)


def read_config(run_dir: Path) -> dict:
    """A run's config.yaml as a dict ({} when it has none: the defaults then apply)."""
    path = run_dir / "config.yaml"
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def replay_rows(rows: list[dict], cfg: dict) -> HealthReport:
    """Feed ``rows`` (metrics.jsonl order) through a fresh monitor; health=off in the config is ignored."""
    cfg = {**cfg, "train": {**(cfg.get("train") or {}), "health": "warn"}}
    monitor = HealthMonitor(cfg)
    for row in rows:
        monitor.observe(row)
    keys = sorted({k for r in rows for k in r if k.startswith(("d/", "g/", "health/", "eval/")) or k == "nonfinite_steps"})
    last = rows[-1].get("step", 0) if rows else 0
    return HealthReport(monitor.timeline, verdict_text(monitor.timeline, last), len(rows), last, keys)


def replay_run(run_dir: Path | str) -> HealthReport:
    """Diagnose a run directory from its metrics.jsonl and config.yaml."""
    run_dir = Path(run_dir)
    if not (run_dir / "metrics.jsonl").is_file():
        raise GanforgeError(f"{str(run_dir)!r} has no metrics.jsonl; give a run directory that ganforge train wrote, "
                            "e.g. runs/demo.")
    rows = read_metrics(run_dir / "metrics.jsonl")
    if not rows:
        raise GanforgeError(f"{run_dir / 'metrics.jsonl'} holds no rows yet; let the run log a few steps first.")
    cfg = read_config(run_dir)
    logged = len(rows)
    rows, notes = with_grid_signals(run_dir, rows, cfg)
    report = replay_rows(rows, cfg)
    report.rows, report.notes = logged, notes
    return report


def with_grid_signals(run_dir: Path, rows: list[dict], cfg: dict) -> tuple[list[dict], list[str]]:
    """``rows`` as they are when they carry sample signals; else with those of the run's saved sample grids
    added (in step order), and a note saying so.  What doctor and report.html's health panel both judge."""
    if any(SAMPLE_SIGNAL in row for row in rows):
        return rows, []
    try:
        grids = grid_rows(run_dir, cfg)
    except GanforgeError as exc:  # e.g. its data set is not on this machine: judge from the losses alone
        return rows, [f"no sample signals logged, and the sample grids could not be read ({exc})"]
    if not grids:
        return rows, []
    merged = sorted(rows + grids, key=lambda row: row.get("step", 0))  # stable: a step's training row first
    return merged, [f"no sample signals logged: collapse judged from the {len(grids)} sample grids in samples/"]


def verdict_text(diagnoses: list[Diagnosis], last_step: int) -> str:
    """One sentence: healthy, or what went wrong first and whether it still held at the end."""
    serious = [d for d in diagnoses if d.serious]
    if not serious:
        notes = [d for d in diagnoses if not d.serious]
        extra = f" (with {len(notes)} warning{'s' * (len(notes) > 1)})" if notes else ""
        return f"healthy: no serious problem in {last_step} steps{extra}."
    first = serious[0]
    still = [d.name.replace("_", " ") for d in serious if d.end is None]
    state = f"still {', '.join(still)} at step {last_step}" if still else "recovered by the end"
    return f"unhealthy: {first.name.replace('_', ' ')} from step {first.step}; {state}."
