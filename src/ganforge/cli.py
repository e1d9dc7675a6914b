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
import os
import sys
import warnings
from pathlib import Path


from ganforge import limits
from ganforge.art.sample_formats import SAMPLE_FORMATS, choose_format
from ganforge.errors import GanforgeError
from ganforge.registry import first_line
from ganforge.files import os_error_message
from ganforge.outputs import output_file, output_folder



# ---------------------------------------------------------------- commands


def cmd_train(args: argparse.Namespace) -> int:
    from ganforge.config import to_yaml
    from ganforge.presets import config_from_dict, load_config, apply_overrides
    from ganforge.training.trainer import Trainer

    overrides = list(args.set or [])
    if args.data_dir:
        overrides.append(f"data.data_dir={args.data_dir}")
    if args.device:
        overrides.append(f"train.device={args.device}")
    if args.resume:
        run_dir = Path(args.resume)
        from ganforge.presets import read_run_config  # a missing or damaged config.yaml: one line naming it
        cfg = config_from_dict(apply_overrides(read_run_config(run_dir), overrides))
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
    if args.checkpoint and not args.resume:
        raise GanforgeError("--checkpoint picks where a resumed run continues from; use it with --resume RUN_DIR.")
    output_folder(run_dir if args.resume else run_dir.parent, "--resume" if args.resume else "--out-dir")  # before any work
    trainer = Trainer(cfg, run_dir, resume=bool(args.resume), overwrite=args.overwrite,
                      checkpoint=args.checkpoint or "latest")
    out = trainer.fit()
    if trainer.stop.exit_code:  # stopped by Ctrl-C / SIGTERM: unfinished, say so in the exit status
        return trainer.stop.exit_code
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

    if args.from_png:
        out = provenance.from_png_command(args.from_png, output_file(args.out or "regenerated.png"), run=args.run,
                                          device=args.device or "cpu")
        print(f"Regenerated {args.from_png} -> {out}")
        return 0
    if not args.run:
        raise GanforgeError("Give a run directory (e.g. ganforge generate runs/demo) or --from-png FILE.")
    limits.check_count(args.n)
    limits.check_seed(args.seed)
    if args.per_class is not None:
        limits.check_count(args.per_class, "--per-class")
    else:
        limits.check_nrow(args.nrow, args.n)
    fmt = choose_format(args.format, args.out)
    out = Path(args.out or fmt.default_out)
    out = output_folder(out) if fmt.folder else output_file(out)  # before any work
    model = load(args.run, checkpoint=args.checkpoint, device=args.device or "cpu")
    n, labels, nrow = _layout(args, model)
    if fmt.images_only and len(model.shape) != 3:
        raise GanforgeError("This model makes points, not images; use --format npy.")
    limits.check_samples(n, model.shape, "--per-class x classes" if args.per_class else "--n")
    if fmt.grid:
        limits.check_grid(n, model.shape, nrow)
    make = lambda: model.sample(n, seed=args.seed, labels=labels, truncation=args.truncation)  # noqa: E731
    fmt.write(args, model, make, out, nrow)
    print(f"Wrote {n} samples to {out}")
    return 0


def _layout(args: argparse.Namespace, model) -> tuple[int, object, int | None]:
    """(number of samples, labels, images per row): --per-class makes one row per class."""
    if args.per_class is None:
        return args.n, args.class_, args.nrow
    if not model.num_classes:
        from ganforge.recipes.base import conditional_recipes

        raise GanforgeError(f"--per-class needs a conditional run ({conditional_recipes()}).")
    n = limits.check_count(args.per_class * model.num_classes, f"--per-class ({args.per_class}) x {model.num_classes} classes")
    from ganforge.data.base import class_blocks

    return n, class_blocks(model.num_classes, args.per_class), args.per_class


def cmd_list(args: argparse.Namespace) -> int:
    from ganforge.presets import preset_dict, preset_names
    from ganforge.data.registry import describe_sources
    from ganforge.losses import LOSSES
    from ganforge.nets import ARCHS
    from ganforge.recipes import RECIPES

    sections = {
        "presets": [(n, preset_dict(n).get("description", "")) for n in preset_names()],
        "recipes": [(n, first_line(RECIPES.get(n).__doc__)) for n in RECIPES.names()],
        "losses": [(n, first_line(LOSSES.get(n).__doc__)) for n in LOSSES.names()],
        "architectures": [(n, first_line(__import__(ARCHS.get(n).generator.__module__, fromlist=["_"]).__doc__)) for n in ARCHS.names()],
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


# ------------------------------------------------------------------ parser


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line like every other ganforge error (sub-parsers inherit it)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="ganforge", description="Train, watch, measure and use GANs.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a preset", description="Train a GAN. Example: ganforge train --preset mnist-dcgan --set train.steps=2000")
    p.add_argument("--preset", help="preset name (ganforge list presets) or a YAML file")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting, e.g. train.steps=500 (repeatable)")
    p.add_argument("--name", help="run name: the run goes to runs/NAME")
    p.add_argument("--out-dir", help="folder holding run directories (default runs)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--data-dir", help="folder with the data set's files (e.g. MNIST IDX files); same as --set data.data_dir=DIR")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    p.add_argument("--checkpoint", metavar="NAME", help="with --resume: continue from this checkpoint (e.g. step_000500 or 500)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory of the same name")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and stop")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", help="sample from a trained run", description="Example: ganforge generate runs/demo --n 64 --seed 0 --out grid.png")
    p.add_argument("run", nargs="?", help="run directory, checkpoint directory or saved model directory")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out")
    p.add_argument("--format", choices=SAMPLE_FORMATS.names(), default=None,
                   help="png grid, png-dir (one file per image) or npy; default: what --out ends in (.npy, .png), else png")
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
    from ganforge.export.commands import add_commands as add_export_commands
    from ganforge.health.commands import add_commands as add_health_commands
    from ganforge.metrics.commands import add_commands as add_metric_commands
    from ganforge.studio.commands import add_commands as add_studio_commands
    from ganforge.translate.commands import add_commands as add_translate_commands

    add_metric_commands(sub)  # eval, metrics train-extractor / floor / list
    add_art_commands(sub)  # interpolate
    add_studio_commands(sub)  # studio
    add_classify_commands(sub)  # classify, predict
    add_export_commands(sub)  # export (onnx, torchscript, web)
    add_translate_commands(sub)  # translate (pix2pix / CycleGAN runs)
    add_health_commands(sub)  # doctor

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


def _check_int_arguments(args: argparse.Namespace) -> None:
    """No whole-number argument may overflow the C integers behind torch (e.g. --seed 99999999999999999999).

    Each command checks its own ranges; this catches any argument it does not.
    """
    for name, value in vars(args).items():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limits.MAX_SEED:
            raise GanforgeError(f"--{name.rstrip('_').replace('_', '-')} {value} is too large; "
                                f"whole-number arguments must be below {limits.MAX_SEED:,}.")


def _fail(message: str, code: int) -> int:
    """Print one line on stderr (a message's own line breaks folded) and return the exit status."""
    print("ganforge: error: " + " ".join(str(message).split()), file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """The one error boundary: every failure is one line on stderr and a non-zero status.

    GanforgeError (bad input, with its fix) -> 2; OSError (disk full, permission) -> 1
    with :func:`ganforge.files.os_error_message`; Ctrl-C -> 130; MemoryError and any
    other exception -> 1 ("internal error"). ``GANFORGE_DEBUG=1`` re-raises for the traceback.
    """
    debug = os.environ.get("GANFORGE_DEBUG", "") not in ("", "0")
    try:
        args = build_parser().parse_args(argv)
        _check_int_arguments(args)
        _show_notices_plainly()
        return args.func(args)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the one boundary: a bug is one line too
        if debug:
            raise
        return _fail(*_explain(exc))


def _explain(exc: BaseException) -> tuple[str, int]:
    """(one-line message, exit status) for a failure that reached the boundary."""
    if isinstance(exc, GanforgeError):
        return str(exc), 2
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C).", 130
    if isinstance(exc, OSError):
        return os_error_message(exc), 1
    if isinstance(exc, MemoryError):
        return ("out of memory; ask for fewer samples, a smaller batch or a smaller model "
                "(rerun with GANFORGE_DEBUG=1 for the traceback).", 1)
    first = first_line(str(exc))[:200]
    return f"internal error: {exc.__class__.__name__}: {first}; rerun with GANFORGE_DEBUG=1 for the traceback.", 1

if __name__ == "__main__":
    sys.exit(main())
