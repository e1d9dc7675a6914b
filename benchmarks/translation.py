"""Image-to-image translation benchmark: the demo presets, trained and scored on held-out data, over seeds.

    python benchmarks/translation.py                      # every case, seeds 0,1,2
    python benchmarks/translation.py --cases edges2fashion,edges2fashion-l1 --seeds 0 --steps 300

Cases (each a preset, trained for ``--steps`` at the preset's batch size, one thread):

- ``edges2fashion``: pix2pix-edges2fashion; ``edges2fashion-l1``: the same U-Net with L1 only
  (recipe.adversarial_weight=0), same steps; plus the "edges" baseline (the input edge map as the output).
- ``edges2emoji``: pix2pix-edges2emoji (test split = base emoji never seen in training);
  ``edges2emoji-l1`` the L1-only baseline.  KID in the committed emoji extractor's feature space.
- ``fashion2inverted``: cyclegan-fashion2inverted, A -> B, plus the "untranslated" baseline (the
  input as the output).  The B domain (inverted clothes) is read by the Fashion-MNIST extractor
  after un-inverting (an exact B-domain classifier, since inversion is a bijection).

Scores come from ``ganforge.metrics.evaluate.evaluate`` with the translation specs (metrics/translation.py),
exactly what ``ganforge eval RUN`` computes: pixel (L1 in [0, 1] units, PSNR dB, SSIM), target_kid
(KID of outputs vs real held-out targets: KID, not FID, because the test sets are ``--n-test`` images),
cycle (cycle L1), content (the target classifier's accuracy on translations vs on the untranslated inputs).
Training time is the process's CPU seconds (``time.process_time``, one thread), not wall time.

Writes a JSON of every run and prints a markdown table of mean +- std over the seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from machine import cpu_name  # benchmarks/machine.py: the CPU every result names


@dataclass(frozen=True)
class Case:
    """A benchmark case: a preset, extra overrides and which baselines to add."""

    preset: str
    overrides: tuple[str, ...] = ()
    baselines: tuple[str, ...] = field(default_factory=tuple)


CASES = {
    "edges2fashion": Case("pix2pix-edges2fashion", baselines=("edges",)),
    "edges2fashion-l1": Case("pix2pix-edges2fashion", ("recipe.adversarial_weight=0",)),
    "edges2emoji": Case("pix2pix-edges2emoji", baselines=("edges",)),
    "edges2emoji-l1": Case("pix2pix-edges2emoji", ("recipe.adversarial_weight=0",)),
    "fashion2inverted": Case("cyclegan-fashion2inverted", baselines=("untranslated",)),
}


class InputAsOutput:
    """The baseline translator: the input itself (the edge map, or the untranslated image)."""

    directions, device = ["AtoB"], torch.device("cpu")

    def translate(self, x, direction="AtoB"):
        return x.clone()


def score(model, cfg, n_test: int, seed: int) -> dict:
    """Every translation metric that applies, on the first ``n_test`` held-out pairs (see the docstring)."""
    from ganforge.metrics.evaluate import evaluate

    result = evaluate(model, cfg.data, metrics=["pixel", "target_kid", "cycle", "content"], n=n_test,
                      seed=seed, n_real=None)
    return {**result, "n_test": result.info["n"]}


def run_case(name: str, seed: int, steps: int | None, n_test: int, out_dir: Path) -> dict:
    from ganforge.api import load
    from ganforge.presets import load_config
    from ganforge.training.trainer import Trainer

    case = CASES[name]
    overrides = [*case.overrides, f"train.seed={seed}", "train.progress=false", "train.device=cpu",
                 f"out_dir={out_dir}", "train.health=off"]
    if steps:
        overrides.append(f"train.steps={steps}")
    cfg = load_config(case.preset, overrides, name=f"{name}-s{seed}")
    start = time.process_time()
    Trainer(cfg, overwrite=True).fit()
    cpu_seconds = time.process_time() - start
    row = {"case": name, "seed": seed, "steps": cfg.train.steps, "batch_size": cfg.train.batch_size,
           "train_cpu_s": round(cpu_seconds, 1), **score(load(out_dir / cfg.name), cfg, n_test, seed)}
    print(json.dumps(row), flush=True)
    return row


def baselines(names: list[str], n_test: int) -> list[dict]:
    from ganforge.presets import load_config

    rows = []
    for name in names:
        for baseline in CASES[name].baselines:
            cfg = load_config(CASES[name].preset, ["train.device=cpu"])
            rows.append({"case": f"{name.split('-')[0]}:{baseline}", "seed": None, **score(InputAsOutput(), cfg, n_test, 0)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


COLUMNS = [("l1", 1, "L1"), ("psnr", 1, "PSNR dB"), ("ssim", 1, "SSIM"), ("target_kid", 1000, "KID x1e3"),
           ("cycle_l1", 1, "cycle L1"), ("content_acc", 1, "content acc"), ("content_acc_untranslated", 1, "acc untranslated")]


def table(rows: list[dict]) -> str:
    """Markdown: one line per case, mean +- std over seeds."""
    cases = list(dict.fromkeys(r["case"] for r in rows))
    used = [c for c in COLUMNS if any(c[0] in r for r in rows)]
    lines = ["| case | seeds | steps | train CPU s | " + " | ".join(c[2] for c in used) + " |",
             "|---" * (4 + len(used)) + "|"]
    for case in cases:
        group = [r for r in rows if r["case"] == case]
        cells = []
        for key, scale, _ in used:
            values = [r[key] * scale for r in group if key in r]
            if not values:
                cells.append("")
            elif len(values) == 1:
                cells.append(f"{values[0]:.3f}")
            else:
                cells.append(f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}")
        seeded = [r for r in group if r["seed"] is not None]
        secs = [r["train_cpu_s"] for r in seeded]
        head = [case, str(len(seeded) or "-"), str(group[0].get("steps", "-")), f"{statistics.mean(secs):.0f}" if secs else "-"]
        lines.append("| " + " | ".join(head + cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {', '.join(CASES)}")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=None, help="override the presets' train.steps")
    parser.add_argument("--n-test", type=int, default=1000, help="held-out pairs scored per run")
    parser.add_argument("--out", default="benchmarks/results/translation.json")
    parser.add_argument("--runs", default=None, help="folder for the runs (default: a temporary folder)")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SystemExit(f"Unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}.")
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = Path(args.runs or tempfile.mkdtemp(prefix="ganforge-translation-"))
    rows = baselines(names, args.n_test)
    rows += [run_case(name, seed, args.steps, args.n_test, runs) for name in names for seed in seeds]
    report = {"cpu": cpu_name(), "threads": torch.get_num_threads(), "torch": torch.__version__, "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from ganforge.files import write_text_atomic

    write_text_atomic(out, json.dumps(report, indent=1))
    print(f"\nCPU: {report['cpu']}, {report['threads']} thread(s)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
