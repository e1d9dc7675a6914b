"""Image quality per CPU minute: train each preset for N seconds of its own CPU time, then evaluate it.

    python benchmarks/cpu_budget.py --presets fashion-dcgan fashion-best --cpu-seconds 360 --seeds 0 1 2
    python benchmarks/cpu_budget.py --presets "w32=fashion-dcgan,model.g.width=32,model.d.width=32" \\
        --cpu-seconds 120 --seeds 0 --out benchmarks/results/cpu_budget_screen.json

The protocol (issues 14 and 15), written down once here for every benchmark to import:

1. ``ganforge train --preset P`` runs as its own process with ONE thread
   (``OMP_NUM_THREADS=1``), seed S,
   ``train.steps`` set out of reach and no periodic checkpoints.
2. Every second the process's own CPU time (user + system of all its threads,
   from ``/proc/PID/stat``; imports and data loading included, about 5 s) is
   read; once it reaches the budget the process gets SIGINT, and the trainer
   writes a checkpoint at the step it reached and exits.  CPU time, not wall
   clock, so the budget is the same on a shared, oversubscribed machine.
3. ``ganforge eval RUN --n 10000 --metrics fid,kid,pr,dc`` (1 thread, not
   counted in the budget) scores the checkpoint's sampling net (the EMA of G)
   against the real **test** split in the source's domain feature space.
4. Each (run, seed) is one row of G steps, CPU s, FID, KID, precision,
   recall, density and coverage; the table gives mean ± std over seeds.

Results accumulate in ``--out`` (JSON, one record per run and seed); a
(run, seed, budget) already there is not trained again, so an interrupted
command can simply be repeated.  A run spec is ``NAME=PRESET[,key=value,...]``
or just a preset name.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_name  # noqa: E402 -- benchmarks/machine.py, also when a test loads this file

from ganforge.files import write_text_atomic  # noqa: E402

COLUMNS = ["step", "cpu_s", "fid", "kid_mean", "precision", "recall", "density", "coverage"]
METRICS = "fid,kid,pr,dc"
TICKS = os.sysconf("SC_CLK_TCK")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def parse_run(spec: str) -> tuple[str, str, list[str]]:
    """"name=preset,key=value,..." (or "preset") -> (name, preset, ["key=value", ...]).

    A comma splits only before ``key=``, so list, mapping and DiffAugment-policy values keep
    theirs: ``optim_d.betas=[0.0,0.99]``, ``recipe.diffaugment=color,translation``.
    """
    head, *sets = re.split(r",(?=[\w.]+=)", spec)
    name, _, preset = head.partition("=")
    return name, preset or name, sets


def parse_proc_stat(text: str) -> float:
    """User + system CPU seconds from the text of /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may contain spaces
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used so far (all its threads)."""
    return parse_proc_stat(Path(f"/proc/{pid}/stat").read_text())


def checkpoint_step(run: Path) -> int:
    """The G step of the run's latest checkpoint ("step_000150" in checkpoints/latest -> 150)."""
    return int((run / "checkpoints" / "latest").read_text().strip().removeprefix("step_"))


def train_command(preset: str, sets: list[str], name: str, out: Path, seed: int) -> list[str]:
    """The ``ganforge train`` command line of one budgeted run (the preset's own settings, then ``sets``)."""
    cmd = [sys.executable, "-m", "ganforge.cli", "train", "--preset", preset, "--name", name, "--overwrite",
           "--out-dir", str(out), "--set", "train.steps=10000000", "--set", "train.progress=false",
           "--set", f"train.seed={seed}", "--set", "train.checkpoint_every=10000000"]
    for item in sets:
        cmd += ["--set", item]
    return cmd


def wait_or_kill(proc: subprocess.Popen, name: str, timeout_s: float = 600) -> int:
    """Wait for a SIGINTed run to write its checkpoint and exit; kill it (and say so) if it does not.

    Why: a process that ignores SIGINT would otherwise keep burning a core after the benchmark gave up.
    """
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{name} did not stop within {timeout_s:g} s of SIGINT; it was killed") from None


def train_for_cpu(cmd: list[str], budget_s: float, log: Path, poll_s: float = 1.0) -> dict:
    """Run ``cmd`` at one thread and SIGINT it at ``budget_s`` CPU seconds -> {"cpu_s", "wall_s"}."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=dict(os.environ, **ONE_THREAD), stdout=out, stderr=subprocess.STDOUT)
        began, used = time.time(), 0.0
        while proc.poll() is None:
            used = cpu_seconds(proc.pid)
            if used >= budget_s:
                proc.send_signal(signal.SIGINT)  # the trainer checkpoints at this step and exits
                break
            time.sleep(poll_s)
        wait_or_kill(proc, str(log))
    if proc.returncode not in (0, 130) or used < budget_s:
        raise RuntimeError(f"training stopped on its own (exit {proc.returncode}) before the budget; see {log}")
    return {"cpu_s": round(used, 1), "wall_s": round(time.time() - began, 1)}


def evaluate(run: Path, n: int) -> dict:
    """``ganforge eval RUN --n N`` at one thread -> its metrics {"fid": ..., ...}."""
    subprocess.run([sys.executable, "-m", "ganforge.cli", "eval", str(run), "--n", str(n), "--metrics", METRICS],
                   env=dict(os.environ, **ONE_THREAD), check=True, stdout=subprocess.DEVNULL)
    return json.loads((run / "eval.json").read_text())["metrics"]


def load_results(path: Path) -> list[dict]:
    """The records written so far ([] before the first)."""
    return json.loads(path.read_text()) if path.exists() else []


def append_record(path: Path, record: dict) -> None:
    """Add ``record`` to the results file, keeping every record another process wrote meanwhile.

    A run takes ~20 minutes, so two commands sharing one ``--out`` would each
    write back the list they read before their run and drop the other's record:
    read and write happen under one exclusive lock, just before writing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        write_text_atomic(path, json.dumps(load_results(path) + [record], indent=1) + "\n")


def done(results: list[dict], name: str, seed: int, budget_s: float) -> bool:
    """Whether (run, seed, budget) already has a record, so a repeated command skips it."""
    return any(r["run"] == name and r["seed"] == seed and r["budget_s"] == budget_s for r in results)


def mean_std(values: list[float]) -> tuple[float, float]:
    """(mean, sample standard deviation; 0 for one value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(results: list[dict], budget_s: float) -> dict[str, dict]:
    """{run: {"seeds": [...], column: (mean, std)}} over the records at ``budget_s``, in first-seen order."""
    by_run: dict[str, list[dict]] = {}
    for r in results:
        if r["budget_s"] == budget_s:
            by_run.setdefault(r["run"], []).append(r)
    summary = {}
    for name, rows in by_run.items():
        flat = [{"step": r["step"], "cpu_s": r["cpu_s"], **r["metrics"]} for r in rows]
        summary[name] = {"seeds": [r["seed"] for r in rows]}
        summary[name].update({c: mean_std([f[c] for f in flat]) for c in COLUMNS if all(c in f for f in flat)})
    return summary


def cell(column: str, mean: float, std: float) -> str:
    """"mean ± std" with the digits that column's differences need."""
    digits = 0 if column in ("step", "cpu_s") else (4 if column == "kid_mean" else 3 if column != "fid" else 2)
    return f"{mean:,.{digits}f} ± {std:,.{digits}f}"


def table(summary: dict[str, dict]) -> str:
    """Markdown: one row per run, mean ± std of each column over its seeds."""
    head = ["run", "seeds", "G steps", "CPU s", "FID ↓", "KID ↓", "precision ↑", "recall ↑", "density ↑", "coverage ↑"]
    rows = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name, s in summary.items():
        cells = [cell(c, *s[c]) if c in s else "—" for c in COLUMNS]
        rows.append(f"| {name} | {', '.join(map(str, s['seeds']))} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def run_one(spec: str, seed: int, args: argparse.Namespace) -> dict:
    """Train one (run, seed) for the budget and evaluate it -> its result record."""
    name, preset, sets = parse_run(spec)
    out = Path(args.runs_dir)
    out.mkdir(parents=True, exist_ok=True)
    run_name = f"{name}-s{seed}"
    timing = train_for_cpu(train_command(preset, sets, run_name, out, seed), args.cpu_seconds, out / f"{run_name}.log")
    run = out / run_name
    return {"run": name, "preset": preset, "sets": sets, "seed": seed, "budget_s": args.cpu_seconds,
            "step": checkpoint_step(run), **timing, "metrics": evaluate(run, args.n), "eval_n": args.n,
            "cpu": cpu_name()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--presets", nargs="+", required=True, help="NAME=PRESET[,key=value,...] or PRESET")
    p.add_argument("--cpu-seconds", type=float, default=360.0, help="CPU seconds of training per run (1 thread)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--n", type=int, default=10000, help="generated samples for ganforge eval")
    p.add_argument("--out", default="benchmarks/results/cpu_budget.json", help="results file (accumulates)")
    p.add_argument("--runs-dir", default="runs/cpu-budget", help="where the run directories go")
    args = p.parse_args()
    out = Path(args.out)
    for seed in args.seeds:  # seed-major: a partial command still gives every run its first seed
        for spec in args.presets:
            if done(load_results(out), parse_run(spec)[0], seed, args.cpu_seconds):
                continue
            record = run_one(spec, seed, args)
            append_record(out, record)
            print(f"{record['run']} seed {seed}: step {record['step']}, {record['cpu_s']} CPU s, "
                  f"FID {record['metrics']['fid']:.3f}, recall {record['metrics']['recall']:.3f}", flush=True)
    print(f"# {args.cpu_seconds:g} CPU s of training per run at 1 thread on {cpu_name()}; ganforge eval --n {args.n}")
    print(table(summarise(load_results(out), args.cpu_seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
