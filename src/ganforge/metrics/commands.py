"""The ``ganforge eval`` and ``ganforge metrics ...`` commands.

``cli.py`` calls :func:`add_commands` with its sub-parsers; each command sets
``func=handler(args) -> exit code`` and raises GanforgeError for anything a
person can fix. Examples::

    ganforge eval runs/digits                                  # fid kid pr dc is classes, 10k samples -> eval.json
    ganforge eval runs/digits --metrics fid,classes --n 2000 --checkpoint best
    ganforge eval runs/digits --metrics inception-fid --inception-weights pt_inception-2015-12-05-6726825d.pth
    ganforge metrics list                                      # the committed feature extractors
    ganforge metrics floor --dataset fashion-mnist            # real train vs real test: the best reachable numbers
    ganforge metrics train-extractor --dataset folder --path my_images --out my_extractor
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganforge import limits
from ganforge.errors import GanforgeError
from ganforge.outputs import output_file


def _metric_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise GanforgeError("--metrics needs at least one name, e.g. --metrics fid,kid.")
    return names


def _positive(value: int, flag: str) -> int:
    if value < 2:
        raise GanforgeError(f"{flag} must be at least 2, got {value}.")
    return value


def cmd_eval(args: argparse.Namespace) -> int:
    from ganforge.metrics.evaluate import EVAL_FILE, evaluate_run, format_table

    run = Path(args.run)
    if not run.exists():
        raise GanforgeError(f"{str(run)!r} does not exist; give a run directory such as runs/demo.")
    limits.check_int(args.n, "--n", 2, limits.MAX_SAMPLES)
    limits.check_seed(args.seed)
    output_file(run / EVAL_FILE, "eval")  # check where eval.json goes before computing anything
    report = evaluate_run(run, metrics=_metric_list(args.metrics), n=_positive(args.n, "--n"),
                          checkpoint=args.checkpoint, extractor=args.extractor, seed=args.seed,
                          batch_size=_positive(args.batch_size, "--batch-size"), device=args.device,
                          inception_weights=args.inception_weights, data_dir=args.data_dir)
    print(format_table(report))
    print(f"Wrote {report['path']}")
    return 0


def cmd_metrics_list(args: argparse.Namespace) -> int:
    import ganforge.metrics  # noqa: F401 - registers every metric spec
    from ganforge.metrics.extractor import available_extractors, weights_dir
    from ganforge.metrics.registry import ordered_specs

    print("metrics (ganforge eval --metrics NAME,...; * = computed by default for that kind of data):")
    for spec in ordered_specs():
        kinds = ", ".join(k + ("*" if k in spec.default_for else "") for k in spec.applies_to)
        print(f"  {spec.name:<16} {', '.join(o + '<class>' if o.endswith('/') else o for o in spec.outputs):<44} on {kinds}")
    entries = available_extractors()
    if not entries:
        print(f"No committed extractors in {weights_dir()}.")
        return 0
    print("feature extractors (ganforge eval picks the one of the run's data source):")
    for name, e in entries.items():
        print(f"  {name:<16} {e.get('source')}: test accuracy {e.get('test_accuracy', float('nan')):.4f} on "
              f"{e.get('test_size')} images, {e.get('feature_dim')}-d features, sha256 {str(e.get('sha256'))[:12]}")
    return 0


def cmd_train_extractor(args: argparse.Namespace) -> int:
    from ganforge.metrics.extractor_training import train_extractor

    if args.epochs is not None and args.epochs < 1:
        raise GanforgeError(f"--epochs must be >= 1, got {args.epochs}.")
    entry = train_extractor(args.dataset, args.out, seed=args.seed, epochs=args.epochs, data_dir=args.data_dir,
                            path=args.path, resolution=args.resolution, channels=args.channels,
                            precision=args.precision, name=args.name)
    print(f"Extractor {entry['name']!r}: test accuracy {entry['test_accuracy']:.4f} on {entry['test_size']} images "
          f"({entry['test_split']}), trained on {entry['train_size']} in {entry['training']['seconds']} s.")
    print(f"Wrote {Path(entry['out_dir']) / entry['file']} (sha256 {entry['sha256']}) and its manifest.json")
    if args.out:  # without --out the extractor went into the package, where eval finds it by source
        print(f"Use it with: ganforge eval RUN --extractor {entry['out_dir']}")
    return 0


def cmd_floor(args: argparse.Namespace) -> int:
    from ganforge.config import DataConfig
    from ganforge.files import write_text_atomic
    from ganforge.metrics.evaluate import floor, format_table

    if args.json:
        output_file(args.json, "--json")  # before the minutes of computing
    data_cfg = DataConfig(source=args.dataset, data_dir=args.data_dir, path=args.path, variant=args.variant)
    result = floor(data_cfg, metrics=_metric_list(args.metrics), n=args.n, extractor=args.extractor,
                   seed=args.seed, device=args.device, inception_weights=args.inception_weights)
    print(format_table(result))
    if args.json:
        out = write_text_atomic(args.json, json.dumps({**result.info, "metrics": dict(result)}, indent=2) + "\n")
        print(f"Wrote {out}")
    return 0


def add_commands(subparsers) -> None:
    """Add ``eval`` and ``metrics`` (list, train-extractor, floor) to the ``ganforge`` sub-parsers."""
    p = subparsers.add_parser(
        "eval", help="measure a trained run (FID, KID, precision/recall, ...) into RUN/eval.json",
        description="Compare a run's samples with the real test split in the feature space of the data set's "
                    "committed classifier. Example: ganforge eval runs/digits --metrics fid,kid --n 10000")
    p.add_argument("run", help="run directory (or checkpoint / saved model directory)")
    # The names live in the METRICS registry: `ganforge metrics list` prints them with their defaults.
    p.add_argument("--metrics", help="comma-separated metric names, e.g. fid,kid (`ganforge metrics list` shows "
                                     "them all; default: those registered as defaults for the run's kind of data: "
                                     "images, points or pairs)")
    p.add_argument("--n", type=int, default=10_000, help="generated samples (default 10000)")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a name like step_000500")
    p.add_argument("--extractor", default="auto", help="auto (the data source's), a committed name, or a folder "
                                                        "written by `ganforge metrics train-extractor`")
    p.add_argument("--inception-weights", metavar="PATH", help="pt_inception-2015-12-05-6726825d.pth for "
                                                              "--metrics inception-fid")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    p.add_argument("--data-dir", help="folder with the data set's files, if not where the run found them")
    p.set_defaults(func=cmd_eval)

    p = subparsers.add_parser("metrics", help="feature extractors and reference numbers for the metrics")
    sub = p.add_subparsers(dest="metrics_command", required=True)

    q = sub.add_parser("list", help="list the committed feature extractors")
    q.set_defaults(func=cmd_metrics_list)

    q = sub.add_parser("train-extractor", help="train a domain classifier (feature extractor) on a labelled data set",
                       description="Example: ganforge metrics train-extractor --dataset folder --path my_images "
                                   "--out my_extractor")
    q.add_argument("--dataset", required=True, help="data source: mnist, fashion-mnist, digits, cifar10, folder, ...")
    q.add_argument("--out", help="output folder (default for mnist / fashion-mnist: the package's weights folder)")
    q.add_argument("--data-dir", help="folder with the data set's files (IDX files, ...)")
    q.add_argument("--path", help="the image folder (folder source; class sub-folders are labels) or cifar10 path")
    q.add_argument("--resolution", type=int, help="resize images to this square size")
    q.add_argument("--channels", type=int, choices=[1, 3])
    q.add_argument("--epochs", type=int, help="passes over the training split (default per data set)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    q.add_argument("--name", help="the extractor's name (default: the data set or folder name)")
    q.set_defaults(func=cmd_train_extractor)

    q = sub.add_parser("floor", help="real train split vs real test split: the best numbers a generator can reach",
                       description="Example: ganforge metrics floor --dataset fashion-mnist")
    q.add_argument("--dataset", required=True)
    q.add_argument("--metrics", help="comma-separated metric names (default: all that apply)")
    q.add_argument("--n", type=int, help="train samples standing in for generated ones (default: test split size)")
    q.add_argument("--extractor", default="auto")
    q.add_argument("--inception-weights", metavar="PATH")
    q.add_argument("--data-dir")
    q.add_argument("--path")
    q.add_argument("--variant", help="toy2d: ring8 or grid25")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--device", default="cpu")
    q.add_argument("--json", metavar="FILE", help="also write the numbers to this JSON file")
    q.set_defaults(func=cmd_floor)
