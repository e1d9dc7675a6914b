"""Does the health monitor diagnose broken GAN runs, and stay quiet on healthy ones?

    python benchmarks/health.py                       # train every case x 3 seeds, then score (CPU, 1 thread)
    python benchmarks/health.py --cases ring8-minimax --seeds 1
    python benchmarks/health.py --score-only          # re-score runs already in --out (e.g. after a threshold change)

A labelled set of short runs that fail in known ways (the minimax MLP GAN
on toy2d, whose one-mode blob hops round the ring (oscillation) and
collapses, the MLP GAN on MNIST collapsing, a generator starved by a
saturated minimax loss, an overpowering discriminator, divergence) and runs
of healthy presets.  Each run is trained with the health signals logged
(sample signals every ``HEALTH_EVERY`` steps, D's accuracy / logits per
step, grad norms), then replayed through the same detector ``ganforge
doctor`` uses, at ``--every`` (default 100, ``train.health_every``'s
default).  Printed: per diagnosis precision / recall over runs, the step
each expected diagnosis fired, its reference onset (see
``reference_onset``), for healthy runs the closest call (the longest run of
holding checks of a serious detector that never fired, against its
patience) and the run's process CPU seconds.  Results go to ``--out/results.json``; a run
already in ``--out`` (its bench.json written) is kept, not retrained.

Where a recipe does not log D's signals itself (a d_step that does not call
``d_signals``), this script attaches them around the recipe's D step (see
``_attach_signals``).  Every run logs grad norms (``train.grad_clip=1e12``
clips nothing).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganforge.presets import load_config
from ganforge.health.signals import d_signals
from ganforge.training.plots import read_metrics

from machine import cpu_name  # benchmarks/machine.py: the CPU every result names

SAMPLE_EVERY = 100  # sample grids (PNGs) for the eye and for doctor's grid fallback
LOG_EVERY = 25
HEALTH_EVERY = 25  # the runs log sample signals every 25 steps; score() replays them at --every (default 100)


@dataclass
class Case:
    """One labelled kind of run: a preset, overrides, and what the detector should say about it."""

    name: str
    preset: str
    steps: int
    expect: str  # the diagnosis a correct detector reports ("healthy" = no serious diagnosis)
    overrides: list[str] = field(default_factory=list)
    seeds: int = 3
    also: tuple[str, ...] = ()  # other diagnoses that are also right for this run (e.g. a minimax G starved by a strong D)
    requires: tuple[str, ...] = ()  # diagnoses the run must ALSO get (a hopping G is collapsed too): counted in their recall
    labels: dict = field(default_factory=dict)  # {seed: expect} where seeds of one setting end differently (grids viewed)


DCGAN_SMALL = ["model.g.width=32", "model.d.width=32", "train.precision=fp32"]
HIGH_LR = ["optim_g.lr=0.005", "optim_d.lr=0.005", "optim_g.schedule=constant", "optim_d.schedule=constant"]
STARVED = ("d_overpowering", "mode_collapse", "partial_collapse")
COLLAPSE = ("mode_collapse", "partial_collapse")
HOPS = ("oscillation",)  # Metz et al. 2017: a collapsed G's samples may hop from mode to mode
CASES = [
    # oscillation AND collapse: the minimax MLP GAN at its preset (Metz et al. 2017's standard GAN, fig. 1): one
    # blob that moves around the ring, the top class changing at most checks (3 -> 0 -> 7 -> 0 -> 4 -> 5 at steps
    # 100-600 in seed 0) with >= 90% of the samples in it; seed 2 a wider cloud beside the ring (~45% in one class)
    Case("ring8-minimax", "toy2d-ring8-gan", 1000, "oscillation", requires=("mode_collapse",), also=COLLAPSE),
    # collapse: the same GAN on grid25, and the MLP GAN on MNIST
    Case("grid25-minimax", "toy2d-grid25-gan", 1000, "mode_collapse", seeds=2, also=HOPS),
    Case("mnist-mlp-gan", "mnist-gan", 1000, "mode_collapse", seeds=2),
    # G not learning: the minimax loss against a D with 10x G's learning rate: D wins within ~100 steps,
    # log(1 - D(G(z))) saturates and G's gradient vanishes (Goodfellow et al. 2014, section 3).  D overpowering G
    # is the same event seen from D, and a G that stops learning keeps its early samples (collapse): also right.
    Case("dcgan-minimax-dlr10", "mnist-dcgan", 300, "g_not_learning",
         DCGAN_SMALL + ["optim_d.lr=0.002", "recipe.loss=minimax"], seeds=2, also=STARVED),
    # an oscillation candidate that did not oscillate: the batch-norm non-saturating preset at lr 5e-3 (5x) without
    # its decay draws the whole ring, its 8 clusters a little off the modes (4-7 counted), from step 300 on
    Case("ring8-bn-lr5e-3", "toy2d-ring8-nonsaturating", 1000, "healthy", HIGH_LR, seeds=2),
    # divergence: Adam at lr 2.0 (10,000x): losses reach 1e15 within 25 steps.  Both learning rates 100x (the
    # issue's case) do NOT diverge here: judged from the grids, the toy2d run thrashes for ~300 steps then spreads
    # over the square without collapsing, and the DCGAN draws digits by step 300; they are labelled healthy.
    Case("grid25-lr1e4", "toy2d-grid25-nonsaturating", 300, "divergence", ["optim_g.lr=2.0", "optim_d.lr=2.0"], seeds=2),
    # healthy presets, short (the DCGAN runs 600 steps: partial collapse needs 3 checks, i.e. 300 steps, to fire)
    Case("ring8-sngan", "toy2d-ring8-hinge", 1000, "healthy"),
    Case("grid25-wgan-gp", "toy2d-grid25-wgan-gp", 400, "healthy"),
    Case("grid25-lr100", "toy2d-grid25-nonsaturating", 1000, "healthy", ["optim_g.lr=0.02", "optim_d.lr=0.02"], seeds=2),
    Case("dcgan", "mnist-dcgan", 600, "healthy", DCGAN_SMALL),
    Case("dcgan-lr100", "mnist-dcgan", 300, "healthy", DCGAN_SMALL + ["optim_g.lr=0.02", "optim_d.lr=0.02"], seeds=2),
    # overpowering: D 10x G's learning rate, or 5 D steps per G step without a penalty
    Case("dcgan-dlr10", "mnist-dcgan", 300, "d_overpowering", DCGAN_SMALL + ["optim_d.lr=0.002"], seeds=2),
    Case("dcgan-ncritic5", "mnist-dcgan", 150, "d_overpowering", DCGAN_SMALL + ["train.n_critic=5"], seeds=2),
]
# Dropped: "ring8-fast-g" / "grid25-fast-g" (G lr 10x D's on toy2d-*-gan).  Since the toy2d-*-gan presets took
# Metz et al.'s nets (z of 2 dims, batch 512), G lr 1e-3 flings the samples off the data (diversity 12-14x the
# data's from step 400 / 950 in 2 ring8 seeds, exploration runs): a divergence, no longer a collapse case.
BY_NAME = {c.name: c for c in CASES}


# ------------------------------------------------------------------ training


def _attach_signals(trainer) -> None:
    """Log d_signals from this script where the recipe does not (yet) do it."""
    if not _recipe_logs_d_signals(trainer.recipe):
        _wrap_d_step(trainer.recipe)


def _recipe_logs_d_signals(recipe) -> bool:
    return "d_signals" in inspect.getsource(sys.modules[type(recipe).d_step.__module__])


def _wrap_d_step(recipe) -> None:
    d_step, discriminate = recipe.d_step, recipe.discriminate
    seen: list[torch.Tensor] = []

    def recording_discriminate(x, labels):
        out = discriminate(x, labels)
        seen.append(out)
        return out

    def d_step_with_signals(real, labels, *args):
        seen.clear()
        recipe.discriminate = recording_discriminate
        try:
            out = d_step(real, labels, *args)
        finally:
            recipe.discriminate = discriminate
        # the GAN recipes call D on the reals, then on the fakes (then on interpolates for WGAN-GP)
        return {**out, **d_signals(seen[0], seen[1], threshold=0.5 if "lsgan" in str(recipe.opts) else 0.0)}

    recipe.d_step = d_step_with_signals


def train_case(case: Case, seed: int, out: Path, max_steps: int | None = None) -> Path:
    from ganforge.training.trainer import Trainer

    name = f"{case.name}-s{seed}"
    steps = min(case.steps, max_steps or case.steps)
    cfg = load_config(case.preset, [*case.overrides, f"train.steps={steps}", f"train.seed={seed}",
                                    "train.progress=false", "train.device=cpu", f"train.log_every={LOG_EVERY}",
                                    f"train.sample_every={SAMPLE_EVERY}", f"train.health_every={HEALTH_EVERY}",
                                    f"train.checkpoint_every={steps}",
                                    "train.grad_clip=1e12", "train.eval_every=0"], name=name)
    cfg.out_dir = str(out)
    trainer = Trainer(cfg, out / name, overwrite=True)
    _attach_signals(trainer)
    start, cpu = time.perf_counter(), time.process_time()
    trainer.fit()
    (out / name / "bench.json").write_text(json.dumps({"case": case.name, "seed": seed, "expect": case.expect,
                                                        "seconds": time.perf_counter() - start,
                                                        "cpu_seconds": time.process_time() - cpu}))
    return out / name


# ------------------------------------------------------------------- scoring


def reference_onset(run: Path, expect: str) -> int | None:
    """The step a person reading the sample grids would name, written as a rule so it can be recomputed.

    Each is the first row from which the condition holds for 4 rows in a row
    (or to the end of the run).  collapse: the samples sit on at most a
    quarter of the classes' worth of mass (effective classes K exp(-class_kl)
    <= K / 4: <= 2 of the 8 ring clusters, <= 6 of 25, <= 2.5 of 10 digits)
    and are less than half as spread as the data (diversity < 0.5);
    overpowering: D's accuracy >= 0.95 on real and on fake; divergence: a
    loss non-finite or above 1e3, or samples non-finite or spread > 4x the
    data; G not learning: the minimax G loss log(1 - D(G(z))) above -0.01
    (D(G(z)) < 1%, where that loss's gradient vanishes) or G's gradient norm
    below 1e-3 (the samples stop moving; learning runs here stay >= 0.1);
    oscillation: the first hop (:func:`_first_hop`).  The check at step 0 (G at
    init, one blob in every run) is not an onset.  None: the run never shows
    it.  The rules were checked by viewing the scatter plots / grids of the
    runs named in BENCHMARKS.md.
    """
    rows = [r for r in read_metrics(run / "metrics.jsonl") if r.get("step", 0) > 0]
    if expect in ("mode_collapse", "partial_collapse"):
        return _first_lasting([r for r in rows if "health/diversity" in r], _collapsed)
    if expect == "g_not_learning":
        return _first_lasting([r for r in rows if "g/grad_norm" in r], _starved)
    if expect == "d_overpowering":
        train = [r for r in rows if "d/acc_real" in r]
        return _first_lasting(train, lambda r: r["d/acc_real"] >= 0.95 and r["d/acc_fake"] >= 0.95)
    if expect == "divergence":
        return _first_lasting([r for r in rows if "d/loss" in r or "health/diversity" in r], _diverged)
    if expect == "oscillation":
        return _first_hop([r for r in rows if "health/top_class" in r])
    return None


def _first_hop(rows: list[dict], share: float = 0.5, hold: int = 2) -> int | None:
    """Step at which the samples, after sitting on one class (>= half of them) for ``hold`` rows, first sit on
    another class for ``hold`` rows: the blob has moved to another mode (what the scatter plots show)."""
    segments = []  # [class, first step, rows] of consecutive concentrated rows on one class
    for row in rows:
        top = row["health/top_class"] if row["health/top_share"] >= share else None
        if segments and segments[-1][0] == top:
            segments[-1][2] += 1
        else:
            segments.append([top, row["step"], 1])
    held = [seg for seg in segments if seg[0] is not None and seg[2] >= hold]
    moved = [seg for seg in held[1:] if seg[0] != held[0][0]]
    return moved[0][1] if moved else None


def _starved(row: dict) -> bool:
    norm, loss = row["g/grad_norm"], row.get("g/loss")
    saturated = isinstance(loss, (int, float)) and -0.01 < loss <= 0  # minimax: D(G(z)) < 0.01 on average
    return saturated or (isinstance(norm, (int, float)) and norm < 1e-3)  # "nan" / "inf" are text


def _collapsed(row: dict) -> bool:
    classes = math.exp(row["health/class_kl_max"] - row["health/class_kl"]) if "health/class_kl" in row else None
    few = classes is not None and classes <= math.exp(row["health/class_kl_max"]) / 4
    return (few or classes is None) and row["health/diversity"] < 0.5


def _diverged(row: dict) -> bool:
    losses = [row.get(k) for k in ("d/loss", "g/loss")]
    exploded = any(isinstance(v, str) or (v is not None and abs(v) > 1e3) for v in losses)  # "nan" / "inf" or huge
    return exploded or "health/nonfinite_samples" in row or row.get("health/diversity", 1.0) > 4.0


def _first_lasting(rows: list[dict], condition, hold: int = 4) -> int | None:
    """Step of the first row from which ``condition`` holds for ``hold`` rows in a row (or to the end of the run)."""
    start, count = None, 0
    for row in rows:
        if condition(row):
            start, count = (row["step"] if count == 0 else start), count + 1
            if count >= hold:
                return start
        else:
            start, count = None, 0
    return start


def replay(run: Path, every: int):
    """The run's rows through the detector as if trained with ``train.health_every=every``.

    The runs log sample signals every ``HEALTH_EVERY`` steps (in the log
    rows; runs trained before the trainer did that have rows of their own
    from step 0); the trainer at ``every`` adds them to the log rows at
    multiples of ``every`` (no step 0), which is what this keeps.  Training is
    the same at any cadence (the checks only render the fixed latents).
    Returns the monitor and, per serious detector that never fired, the
    longest run of checks that held (how close it came: ``patience`` fires).
    """
    from ganforge.health.monitor import HealthMonitor
    from ganforge.health.replay import read_config

    rows = [r for r in map(lambda row: _at_cadence(row, every), read_metrics(run / "metrics.jsonl")) if len(r) > 1]
    cfg = read_config(run)
    monitor = HealthMonitor({**cfg, "train": {**(cfg.get("train") or {}), "health": "warn"}})
    closest: dict[str, int] = {}
    for row in rows:
        monitor.observe(row)
        for d in monitor.detectors:
            if d.serious and d.name not in {t.name for t in monitor.timeline}:
                closest[d.name] = max(closest.get(d.name, 0), monitor.streak.get(d.name, 0))
    return monitor, closest


def _closest_call(monitor, closest: dict[str, int]) -> str:
    """The serious detector that came nearest to firing without firing, as "held/patience name" ("" if none held)."""
    patience = {d.name: d.patience for d in monitor.detectors}
    fired = {d.name for d in monitor.timeline}
    closest = {n: held for n, held in closest.items() if n not in fired}  # counted before it fired
    name = max(closest, key=lambda n: closest[n] / patience[n], default=None)
    return f"{closest[name]}/{patience[name]} {name}" if name and closest[name] else ""


def _at_cadence(row: dict, every: int) -> dict:
    """``row`` without its sample signals unless its step is a multiple of ``every`` (the trainer checks from step
    ``every`` on); a row that held only sample signals is then just {"step"} (dropped by the caller)."""
    if row.get("step", 0) % every == 0 and row.get("step", 0) > 0:
        return row
    return {k: v for k, v in row.items() if not k.startswith("health/")}


def score(runs: list[Path], every: int = 100) -> dict:
    """Replay every run through the detector; precision / recall per diagnosis over runs."""
    from ganforge.health.replay import verdict_text

    results = []
    for run in runs:
        meta = json.loads((run / "bench.json").read_text())
        case = BY_NAME.get(meta["case"])
        if case is not None:  # the labels of the current case list (labels are revised after viewing grids)
            meta["expect"], meta["also"] = case.labels.get(meta["seed"], case.expect), list(case.also)
            meta["requires"] = list(case.requires)
        monitor, closest = replay(run, every)
        serious = [d for d in monitor.timeline if d.serious]
        expected = [meta["expect"], *meta.get("requires", [])]
        fired = {name: next((d.step for d in monitor.timeline if _family(d.name) == _family(name)), None)
                 for name in expected if name != "healthy"}
        results.append({**meta, "run": run.name, "diagnosed": sorted({d.name for d in serious}) or ["healthy"],
                        "fired": fired, "fired_step": fired.get(meta["expect"]),
                        "warnings": sorted({d.name for d in monitor.timeline if not d.serious}),
                        "reference_onset": {name: reference_onset(run, name) for name in expected},
                        "closest_call": _closest_call(monitor, closest),
                        "verdict": verdict_text(monitor.timeline, monitor.history.step)})
    return {"runs": results, "per_diagnosis": _precision_recall(results), "health_every": every}


def _family(name: str) -> str:
    return "mode_collapse" if name in ("mode_collapse", "partial_collapse") else name


def _precision_recall(results: list[dict]) -> dict:
    def truths(r):
        return {r["expect"], *r.get("requires", [])}

    names = sorted(set().union(*(truths(r) for r in results)) |
                   {_family(n) for r in results for n in r["diagnosed"] + r["warnings"]})
    table = {}
    for name in names:
        said = [r for r in results if name in {_family(n) for n in r["diagnosed"] + r.get("warnings", [])}]
        truth = [r for r in results if name in truths(r)]
        hits = [r for r in said if name in truths(r) | set(r.get("also", []))]  # a co-diagnosis the case allows is right
        found = [r for r in truth if r in said]
        table[name] = {"runs": len(truth), "diagnosed": len(said),
                       "precision": len(hits) / len(said) if said else None,
                       "recall": len(found) / len(truth) if truth else None}
    return table


def print_tables(scores: dict) -> None:
    print("| case | seed | expected | diagnosed (serious; warnings) | fired at step | reference onset | closest call "
          "(healthy) | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    dash = lambda v: "-" if v is None else str(v)  # noqa: E731
    for r in scores["runs"]:
        said = ", ".join(r["diagnosed"]) + (f"; {', '.join(r['warnings'])}" if r.get("warnings") else "")
        expected = [r["expect"], *r.get("requires", [])]
        fired = " / ".join(dash(r["fired"].get(n)) for n in expected if n != "healthy") or "-"
        onset = " / ".join(dash(r["reference_onset"].get(n)) for n in expected if n != "healthy") or "-"
        print(f"| {r['case']} | {r['seed']} | {' + '.join(expected)} | {said} | {fired} | {onset} | "
              f"{(r['expect'] == 'healthy' and r.get('closest_call')) or '-'} | {r.get('cpu_seconds', 0):.0f} |")
    print("\n| diagnosis | runs | diagnosed | precision | recall |\n|---|---|---|---|---|")
    for name, s in scores["per_diagnosis"].items():
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"| {name} | {s['runs']} | {s['diagnosed']} | {fmt(s['precision'])} | {fmt(s['recall'])} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=[c.name for c in CASES], choices=list(BY_NAME))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("runs/health-bench"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--score-only", action="store_true", help="do not train; score the runs already in --out")
    parser.add_argument("--max-steps", type=int, help="cap every case's steps (a quick smoke run, not the benchmark)")
    parser.add_argument("--every", type=int, default=100, help="replay the sample signals at this train.health_every "
                        f"(a multiple of {HEALTH_EVERY}; default 100, the config default)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    for case in (BY_NAME[n] for n in args.cases):
        for seed in range(min(args.seeds, case.seeds)):
            run = args.out / f"{case.name}-s{seed}"
            if not args.score_only and not (run / "bench.json").exists():  # a finished run is kept: delete it to retrain
                print(f"training {run.name} ...", file=sys.stderr, flush=True)
                train_case(case, seed, args.out, args.max_steps)
            if (run / "bench.json").exists():
                runs.append(run)
    scores = score(runs, args.every)
    scores["cpu"], scores["threads"] = cpu_name(), args.threads
    (args.out / "results.json").write_text(json.dumps(scores, indent=1))
    print(f"CPU: {scores['cpu']}, {args.threads} thread(s); replayed at health_every={args.every}\n")
    print_tables(scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
