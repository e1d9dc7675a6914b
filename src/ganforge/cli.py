"""The ``ganforge`` command.

Examples::

    ganforge train --preset mnist-dcgan --set train.steps=2000 --name digits
    ganforge train --resume runs/digits --set train.steps=4000
    ganforge generate runs/digits --n 64 --seed 0 --out grid.png
    ganforge generate runs/mnist-cgan --class 7 --n 16 --out sevens.png
    ganforge generate runs/fashion-acgan --per-class 8 --out classes.png
    ganforge list
    ganforge data list
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from ganforge.errors import GanforgeError

FORMATS = ("png", "png-dir", "npy")


# ---------------------------------------------------------------- commands


def cmd_train(args: argparse.Namespace) -> int:
    from ganforge.config import config_from_dict, load_config, apply_overrides, to_yaml
    from ganforge.training.trainer import Trainer
    import yaml

    overrides = list(args.set or [])
    if args.data_dir:
        overrides.append(f"data.data_dir={args.data_dir}")
    if args.device:
        overrides.append(f"train.device={args.device}")
    if args.resume:
        run_dir = Path(args.resume)
        saved = run_dir / "config.yaml"
        if not saved.is_file():
            raise GanforgeError(f"{str(run_dir)!r} is not a run directory (no config.yaml); give the folder a run was trained into.")
        cfg = config_from_dict(apply_overrides(yaml.safe_load(saved.read_text()), overrides))
    else:
        if not args.preset:
            raise GanforgeError("Give --preset NAME (see `ganforge list`) or --resume RUN_DIR.")
        cfg = load_config(args.preset, overrides, name=args.name)
        if args.out_dir:
            cfg.out_dir = args.out_dir
        run_dir = Path(cfg.out_dir) / cfg.name
    if args.dry_run:
        print(to_yaml(cfg), end="")
        print(f"# dry run: config is valid; would train into {run_dir}")
        return 0
    out = Trainer(cfg, run_dir, resume=bool(args.resume), overwrite=args.overwrite).fit()
    samples = sorted((out / "samples").glob("*.png"))
    print(f"Run directory: {out}")
    if samples:
        print(f"  latest samples: {samples[-1]}")
    print(f"  loss plot:      {out / 'losses.png'}")
    print(f"  report:         {out / 'report.html'}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from ganforge.api import load
    from ganforge.art import provenance
    from ganforge.art.grid import make_grid, save_image
    from ganforge.data.base import to_uint8_images

    if args.from_png:
        out = provenance.from_png_command(args.from_png, args.out or "regenerated.png", run=args.run,
                                          device=args.device or "cpu")
        print(f"Regenerated {args.from_png} -> {out}")
        return 0
    if not args.run:
        raise GanforgeError("Give a run directory (e.g. ganforge generate runs/demo) or --from-png FILE.")
    if args.n < 1 or args.n > 100_000:
        raise GanforgeError(f"--n must be between 1 and 100000, got {args.n}.")
    model = load(args.run, checkpoint=args.checkpoint, device=args.device or "cpu")
    labels, nrow = args.class_, args.nrow
    if args.per_class is not None:
        if not model.num_classes:
            raise GanforgeError("--per-class needs a conditional run (recipe cgan, acgan or projection).")
        if args.per_class < 1:
            raise GanforgeError(f"--per-class must be >= 1, got {args.per_class}.")
        args.n, nrow = args.per_class * model.num_classes, args.per_class
        labels = torch.arange(model.num_classes).repeat_interleave(args.per_class)
    samples = model.sample(args.n, seed=args.seed, labels=labels, truncation=args.truncation)
    out = Path(args.out or _default_out(args.format))
    if args.format == "npy":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, samples.numpy())
    elif len(model.shape) != 3:
        raise GanforgeError("This model makes points, not images; use --format npy.")
    elif args.format == "png":
        if args.per_class is not None:  # a class-per-row grid: provenance records the seed and layout
            meta = {"run": str(args.run), "checkpoint": model.source.name, "seed": args.seed, "per_class": args.per_class}
            save_image(make_grid(to_uint8_images(samples), nrow=nrow), out, meta)
        else:
            provenance.save_samples(model, out, n=args.n, seed=args.seed, truncation=args.truncation, nrow=nrow,
                                    label=args.class_)
    else:
        images = to_uint8_images(samples)
        out.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            meta = provenance.provenance(model, "samples", seed=args.seed, n=args.n, nrow=None, padding=0, scale=1,
                                         truncation=args.truncation, index=i, label=args.class_)
            save_image(make_grid(image[None], nrow=1, padding=0), out / f"{i:05d}.png", provenance.to_text(meta))
    print(f"Wrote {args.n} samples to {out}")
    return 0


def _default_out(fmt: str) -> str:
    return {"png": "samples.png", "png-dir": "samples", "npy": "samples.npy"}[fmt]


def cmd_list(args: argparse.Namespace) -> int:
    from ganforge.config import preset_dict, preset_names
    from ganforge.data.registry import describe_sources
    from ganforge.losses import LOSSES
    from ganforge.nets import ARCHS
    from ganforge.recipes import RECIPES

    sections = {
        "presets": [(n, preset_dict(n).get("description", "")) for n in preset_names()],
        "recipes": [(n, _first_line(RECIPES.get(n).__doc__)) for n in RECIPES.names()],
        "losses": [(n, _first_line(LOSSES.get(n).__doc__)) for n in LOSSES.names()],
        "architectures": [(n, _first_line(__import__(ARCHS.get(n).generator.__module__, fromlist=["_"]).__doc__)) for n in ARCHS.names()],
        "data": describe_sources(),
    }
    wanted = [args.what] if args.what else list(sections)
    for what in wanted:
        print(f"{what}:")
        for name, text in sections[what]:
            print(f"  {name:<20} {text}")
    return 0


def cmd_data_list(args: argparse.Namespace) -> int:
    args.what = "data"
    return cmd_list(args)


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganforge", description="Train, watch, measure and use GANs.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a preset", description="Train a GAN. Example: ganforge train --preset mnist-dcgan --set train.steps=2000")
    p.add_argument("--preset", help="preset name (ganforge list presets) or a YAML file")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting, e.g. train.steps=500 (repeatable)")
    p.add_argument("--name", help="run name: the run goes to runs/NAME")
    p.add_argument("--out-dir", help="folder holding run directories (default runs)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--data-dir", help="folder with the data set's files (e.g. MNIST IDX files); same as --set data.data_dir=DIR")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory of the same name")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and stop")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", help="sample from a trained run", description="Example: ganforge generate runs/demo --n 64 --seed 0 --out grid.png")
    p.add_argument("run", nargs="?", help="run directory, checkpoint directory or saved model directory")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out")
    p.add_argument("--format", choices=FORMATS, default="png", help="png grid, png-dir (one file per image) or npy")
    p.add_argument("--nrow", type=int, default=None, help="images per grid row")
    p.add_argument("--truncation", type=float, default=None, help="truncation psi in (0, 1]: sharper, less varied samples")
    p.add_argument("--from-png", metavar="FILE", help="regenerate a PNG ganforge saved, exactly, from its metadata")
    p.add_argument("--class", dest="class_", help="conditional runs: a class id or name, e.g. 3 or sneaker")
    p.add_argument("--per-class", type=int, help="conditional runs: a grid with one row per class, this many per row")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a name like step_000500")
    p.add_argument("--device", default=None)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("list", help="list presets, recipes, losses, architectures and data sources")
    p.add_argument("what", nargs="?", choices=["presets", "recipes", "losses", "architectures", "data"])
    p.set_defaults(func=cmd_list)

    from ganforge.art.commands import add_commands as add_art_commands
    from ganforge.classify.commands import add_commands as add_classify_commands
    from ganforge.metrics.commands import add_commands as add_metric_commands

    add_metric_commands(sub)  # eval, metrics train-extractor / floor / list
    add_art_commands(sub)  # interpolate, studio
    add_classify_commands(sub)  # classify, predict

    p = sub.add_parser("data", help="data sources")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    d = data_sub.add_parser("list", help="list the data sources")
    d.set_defaults(func=cmd_data_list)
    return parser


def _show_notices_plainly() -> None:
    """Data notices (e.g. "using the 5k MNIST subset") print as one plain line, not a warning dump."""
    from ganforge.data.registry import DataNotice

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DataNotice):
            print(f"ganforge: note: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _show_notices_plainly()
    try:
        return args.func(args)
    except GanforgeError as exc:
        print(f"ganforge: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
