"""Image-to-image translation benchmark: the demo presets, trained and scored on held-out data, over seeds.

    python benchmarks/translation.py                      # every case, seeds 0,1,2
    python benchmarks/translation.py --cases edges2fashion,edges2fashion-l1 --seeds 0 --steps 300

Cases (each a preset, trained for ``--steps`` at the preset's batch size, one thread):

- ``edges2fashion``: pix2pix-edges2fashion; ``edges2fashion-l1``: the same U-Net with L1 only
  (recipe.adversarial_weight=0), same steps; plus the "edges" baseline (the input edge map as the output).
- ``edges2emoji``: pix2pix-edges2emoji (test split = base emoji never seen in training);
  ``edges2emoji-l1`` the L1-only baseline.  No committed feature extractor for emoji: no KID.
- ``fashion2inverted``: cyclegan-fashion2inverted, A -> B.  The B domain (inverted clothes) is viewed
  through the Fashion-MNIST extractor after un-inverting (an exact B-domain classifier, since inversion
  is a bijection): KID against real held-out B images, content preservation (the B-domain classifier's
  accuracy on translations vs on the untranslated inputs), cycle L1 through G_BA.

Metrics (ganforge.metrics.translation): L1 (in [0, 1] units), PSNR (dB), SSIM (Gaussian, Wang et al.
2004) against the aligned targets; KID (x 1000) of outputs vs real targets with the committed
Fashion-MNIST extractor: KID, not FID, because the test sets are ``--n-test`` images.

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
    """A benchmark case: a preset, extra overrides, how to score it and which baselines to add."""

    preset: str
    overrides: tuple[str, ...] = ()
    scoring: str = "paired"  # paired | unpaired
    extractor: str | None = "fashion-mnist"
    baselines: tuple[str, ...] = field(default_factory=tuple)


CASES = {
    "edges2fashion": Case("pix2pix-edges2fashion", baselines=("edges",)),
    "edges2fashion-l1": Case("pix2pix-edges2fashion", ("recipe.adversarial_weight=0",)),
    "edges2emoji": Case("pix2pix-edges2emoji", extractor=None, baselines=("edges",)),
    "edges2emoji-l1": Case("pix2pix-edges2emoji", ("recipe.adversarial_weight=0",), extractor=None),
    "fashion2inverted": Case("cyclegan-fashion2inverted", scoring="unpaired", baselines=("untranslated",)),
}


def test_pairs(cfg, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """(A, B, labels or None) of the first n held-out pairs of a run's data source, in model space."""
    from dataclasses import replace

    from ganforge.data import load_dataset
    from ganforge.data.paired import split_pair

    data = load_dataset(replace(cfg.data, split="test", limit=n))
    a, b = split_pair(data.to_model(data.x))
    return a, b, data.y


def scorers(case: Case):
    """(features, classify) callables for a case's target domain, or (None, None)."""
    if case.extractor is None:
        return None, None
    from ganforge.metrics.extractor import load_extractor

    fe = load_extractor(case.extractor)
    view = (lambda x: -x) if case.scoring == "unpaired" else (lambda x: x)  # un-invert the B domain
    return (lambda x: fe.features(view(x))), (lambda x: fe.probs(view(x)))


def score(case: Case, model, a, b, labels, seed: int) -> dict:
    from ganforge.metrics.translation import evaluate_translation

    features, classify = scorers(case)
    if case.scoring == "paired":
        return evaluate_translation(model.translate, a, b, paired=True, features=features, seed=seed)
    return evaluate_translation(lambda x: model.translate(x, "AtoB"), a, b, paired=False, features=features,
                                back=lambda x: model.translate(x, "BtoA"), classify=classify, labels=labels, seed=seed)


def score_baseline(case: Case, name: str, a, b, labels) -> dict:
    """The input itself as the output: the edge map (paired) or the untranslated image (unpaired)."""
    from ganforge.metrics.translation import evaluate_translation

    features, classify = scorers(case)
    identity = lambda x: x  # noqa: E731
    if case.scoring == "paired":
        return evaluate_translation(identity, a, b, paired=True, features=features)
    return evaluate_translation(identity, a, b, paired=False, features=features, classify=classify, labels=labels)


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
    start = time.perf_counter()
    Trainer(cfg, overwrite=True).fit()
    seconds = time.perf_counter() - start
    model = load(out_dir / cfg.name)
    a, b, labels = test_pairs(cfg, n_test)
    metrics = score(case, model, a, b, labels, seed)
    row = {"case": name, "seed": seed, "steps": cfg.train.steps, "batch_size": cfg.train.batch_size,
           "train_seconds": round(seconds, 1), "n_test": len(a), **metrics}
    print(json.dumps(row), flush=True)
    return row


def baselines(names: list[str], n_test: int) -> list[dict]:
    from ganforge.presets import load_config

    rows = []
    for name in names:
        case = CASES[name]
        for baseline in case.baselines:
            cfg = load_config(case.preset, ["train.device=cpu"])
            a, b, labels = test_pairs(cfg, n_test)
            rows.append({"case": f"{name.split('-')[0]}:{baseline}", "seed": None, **score_baseline(case, baseline, a, b, labels)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


COLUMNS = [("l1", 1, "L1"), ("psnr", 1, "PSNR dB"), ("ssim", 1, "SSIM"), ("kid", 1000, "KID x1e3"),
           ("cycle_l1", 1, "cycle L1"), ("content_acc", 1, "content acc"), ("content_acc_untranslated", 1, "acc untranslated")]


def table(rows: list[dict]) -> str:
    """Markdown: one line per case, mean +- std over seeds."""
    cases = list(dict.fromkeys(r["case"] for r in rows))
    used = [c for c in COLUMNS if any(c[0] in r for r in rows)]
    lines = ["| case | seeds | steps | train s | " + " | ".join(c[2] for c in used) + " |",
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
        secs = [r["train_seconds"] for r in seeded]
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
