"""``ganforge doctor RUN``: the health timeline and verdict of a run, from what it logged.

    ganforge doctor runs/digits            # timeline of diagnoses, evidence, remedies, verdict
    ganforge doctor runs/digits --json     # the same as JSON (for scripts)

Works on any run directory with a metrics.jsonl, including runs trained
without the health monitor: it then uses the losses and D scores they logged,
and judges collapse from the sample grids saved in samples/ (images).  Exit status: 0 healthy, 1 a serious diagnosis, 2 an error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganforge.health.diagnosis import TITLES, Diagnosis
from ganforge.health.replay import HealthReport, replay_run

SAMPLE_SIGNALS = "health/diversity"


def format_report(run_dir: Path, report: HealthReport) -> str:
    """The doctor's text: header, one block per diagnosis, verdict."""
    lines = [f"Run {run_dir}: {report.last_step} steps, {report.rows} log rows."]
    lines += [f"  ({note})" for note in report.notes]
    if SAMPLE_SIGNALS not in report.signals and not report.notes:
        lines.append("  (no sample signals logged: collapse is judged from the losses alone; "
                     "train with train.health=warn to log them)")
    lines.append("Timeline:" if report.diagnoses else "Timeline: nothing to report.")
    lines += [line for d in report.diagnoses for line in _block(d, report.last_step)]
    lines.append(f"Verdict: {report.verdict}")
    return "\n".join(lines)


def _block(d: Diagnosis, last_step: int) -> list[str]:
    until = f"until step {d.end}" if d.end is not None else f"still at step {last_step}"
    kind = "" if d.serious else " [warning]"
    evidence = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.evidence.items())
    lines = [f"  step {d.step:>7}  {TITLES.get(d.name, d.name)}{kind}, {until}", f"                 evidence: {evidence}"]
    lines += [f"                 try: {remedy}" for remedy in d.remedies]
    return lines


def cmd_doctor(args: argparse.Namespace) -> int:
    run_dir = Path(args.run)
    report = replay_run(run_dir)
    if args.json:
        print(json.dumps({"run": str(run_dir), "verdict": report.verdict, "healthy": report.healthy,
                          "steps": report.last_step, "notes": report.notes, "diagnoses": [d.to_dict() for d in report.diagnoses]}, indent=1))
    else:
        print(format_report(run_dir, report))
    return 0 if report.healthy else 1


def add_commands(sub) -> None:
    """Register ``doctor`` on the ``ganforge`` sub-parsers."""
    p = sub.add_parser("doctor", help="diagnose a run's training health from its logs",
                       description="Replay a run's metrics.jsonl through the health detectors and print the timeline "
                                   "of diagnoses (mode collapse, overpowering D, divergence, ...) with remedies. "
                                   "Example: ganforge doctor runs/digits")
    p.add_argument("run", help="run directory (holds metrics.jsonl)")
    p.add_argument("--json", action="store_true", help="print the diagnoses as JSON")
    p.set_defaults(func=cmd_doctor)
