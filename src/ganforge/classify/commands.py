"""``ganforge classify`` and ``ganforge predict``.

Examples::

    ganforge classify --dataset mnist --labels 100 --method ssl-gan --seeds 3
    ganforge classify --dataset fashion-mnist --labels 1000 --method baseline --steps 2000 --out runs/fm-base
    ganforge classify --dataset fashion-mnist --labels 1000 --method ssl-gan --net arch=cnn   # the conv classifier
    ganforge classify --dataset mnist --labels 100 --method gan-augment --set gan_steps=1000 --set recipe=acgan
    ganforge predict runs/classify/mnist-100-ssl-gan/models/seed0 digits/      # path<TAB>class per image

``classify`` prints and writes (``result.json`` in the output folder) the
official-test-split accuracy, mean +- std over seeds 0..N-1, and the CPU time;
each seed's classifier is saved under ``models/seed<k>`` (``classifier.json``
+ ``model.safetensors``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.files import RunLock, write_text_atomic
from ganforge.outputs import output_folder

TEST_FRACTION = 0.2  # held out of a folder without --test-path: enough test images for a stable accuracy


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``classify`` and ``predict`` to the ``ganforge`` command's sub-commands."""
    from ganforge.classify.base import METHODS

    p = subparsers.add_parser("classify", help="compare GAN methods for classification with few labels",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="mnist", help="labelled data source with train/test splits (default mnist)")
    p.add_argument("--labels", type=int, default=100, help="labelled training images, a multiple of the class count (default 100)")
    p.add_argument("--method", default="ssl-gan", help=f"one of: {', '.join(METHODS.names())} (default ssl-gan)")
    p.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 and report mean +- std (default 1)")
    p.add_argument("--steps", type=int, default=None, help="classifier training steps (default: the method's)")
    p.add_argument("--cpu-budget", type=float, default=None, metavar="SECONDS",
                   help="CPU seconds per seed instead of a step count (--steps is then the most steps)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a method option, e.g. unsup_weight=0.5")
    p.add_argument("--net", action="append", default=[], metavar="KEY=VALUE",
                   help="a classifier setting: arch=mlp (default) or cnn; mlp: hidden=[1000,500,250,250,250], "
                        "input_noise=0.3, hidden_noise=0.5; cnn: channels=[16,32,64], input_noise=0.05, hidden_noise=0.15")
    p.add_argument("--out", default=None, help="output folder (default runs/classify/<dataset>-<labels>-<method>)")
    p.add_argument("--data-dir", default=None, help="folder with the data set's files (IDX for mnist / fashion-mnist)")
    p.add_argument("--data-path", default=None, metavar="DIR",
                   help="--dataset folder: a folder with one sub-folder of images per class")
    p.add_argument("--test-path", default=None, metavar="DIR",
                   help="--dataset folder: a folder of held-out test images with the same class sub-folders "
                        f"(default: a seeded {TEST_FRACTION:.0%}% of --data-path, never trained on)")  # %% : argparse formats help with %
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is fastest on a busy machine)")
    p.add_argument("--no-save", action="store_true", help="do not save the classifiers")
    p.set_defaults(func=cmd_classify)

    q = subparsers.add_parser("predict", help="classify image files with a saved classifier",
                              description="Print 'path<TAB>class' for an image file or every image in a folder.")
    q.add_argument("model", help="a classifier folder saved by `ganforge classify` (models/seed0)")
    q.add_argument("images", help="an image file or a folder of images (searched recursively)")
    q.set_defaults(func=cmd_predict)


def default_out(dataset: str, labels: int, method: str) -> Path:
    return Path("runs") / "classify" / f"{dataset}-{labels}-{method}"


def cmd_classify(args: argparse.Namespace) -> int:
    import torch

    from ganforge.classify.base import options_for
    from ganforge.classify.data import check_label_count, num_classes_of
    from ganforge.training.device import resolve_device

    opts = options_for(args.method, list(args.set), steps=args.steps, cpu_budget=args.cpu_budget)  # bad option: error first
    net = parse_net(args.net)
    if args.seeds < 1:
        raise GanforgeError(f"--seeds must be >= 1, got {args.seeds}.")
    if args.threads is not None:
        if args.threads < 1:
            raise GanforgeError(f"--threads must be >= 1, got {args.threads}.")
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    out = output_folder(Path(args.out) if args.out else default_out(args.dataset, args.labels, args.method))
    with RunLock(out, "classify"):  # one writer per output folder: two classify runs would mix their models
        train, test = load_splits(args, lambda train: check_label_count(args.labels, num_classes_of(train), len(train)))
        return _classify(args, opts, net, device, out, train, test)


def _classify(args: argparse.Namespace, opts, net: dict, device, out: Path, train, test) -> int:
    """Run the seeds, save the classifiers and result.json, print the summary."""
    import torch

    from ganforge.classify.experiment import run_seeds

    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    log(f"classify: {args.method} on {args.dataset} ({len(train)} train / {len(test)} test images), "
        f"{args.labels} labels, seeds 0-{args.seeds - 1}, "
        + (f"{opts.cpu_budget_s:g} CPU s each" if opts.cpu_budget_s else f"{opts.steps} steps") + f" -> {out}")
    started = time.time()
    summary, results = run_seeds(train, test, args.method, args.labels, args.seeds, opts, device,
                                 work_dir=out / "work", log=log, net=net)
    models = []
    if not args.no_save:
        for r in results:
            models.append(str(r.model.save(out / "models" / f"seed{r.seed}")))
    report = {"dataset": args.dataset, "train_images": len(train), "test_images": len(test), "net": net,
              "torch_threads": torch.get_num_threads(), "device": str(device), "started": started,
              "options": {k: v for k, v in vars(opts).items()}, "models": models, **summary}
    write_text_atomic(out / "result.json", json.dumps(report, indent=2) + "\n")
    print(format_summary(args.dataset, summary))
    print(f"results: {out / 'result.json'}")
    if models:
        print(f"classifiers: {out / 'models'}/seed<k> (try: ganforge predict {models[0]} IMAGES)")
    return 0


def load_splits(args: argparse.Namespace, check_train) -> tuple:
    """(train, test) Datasets; ``check_train(train)`` runs before the test split is loaded (fail fast).

    A source with a test split (mnist, ...) gives both.  A folder (``--data-path``)
    has none: ``--test-path`` gives it, else a seeded random TEST_FRACTION of the
    folder is held out (chosen by index, without reading any label).
    """
    from ganforge.config import DataConfig
    from ganforge.data import SOURCES, load_dataset
    from ganforge.data.registry import DEFAULT_SPLITS, source_trait

    path_is_data = source_trait(args.dataset, "path_is_data")
    if path_is_data and not args.data_path:
        raise GanforgeError(f"--dataset {args.dataset} needs --data-path DIR: a folder with one sub-folder of images "
                            "per class.")
    if args.data_path and not path_is_data:
        takers = [n for n in SOURCES.names() if source_trait(n, "path_is_data")]
        raise GanforgeError(f"--data-path is for --dataset {' or '.join(takers)}; {args.dataset!r} reads its own "
                            "files (see --data-dir).")
    config = lambda split, path=args.data_path: DataConfig(source=args.dataset, split=split,  # noqa: E731
                                                           data_dir=args.data_dir, path=path)
    if "test" in getattr(SOURCES.get(args.dataset), "splits", DEFAULT_SPLITS):
        train = load_dataset(config("train"))
        check_train(train)
        return train, load_dataset(config("test"))
    data = load_dataset(config("train"))
    if args.test_path:
        check_train(data)
        test = load_dataset(config("train", args.test_path))
        if test.class_names != data.class_names:
            raise GanforgeError(f"--test-path has classes {test.class_names} but --data-path has {data.class_names}; "
                                "give both the same class sub-folders.")
        return data, test
    train, test = hold_out(data, TEST_FRACTION)
    check_train(train)
    return train, test


def hold_out(data, fraction: float, seed: int = 0) -> tuple:
    """Split a Dataset into (train, test) by a seeded random permutation of indices; labels are not read."""
    import torch

    from ganforge.data.base import Dataset

    n_test = int(len(data) * fraction)
    if n_test < 1 or n_test >= len(data):
        raise GanforgeError(f"The folder has {len(data)} images, too few to hold out a test set; add images "
                            "or give --test-path DIR.")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    parts = order[n_test:].sort().values, order[:n_test].sort().values
    return tuple(Dataset(x=data.x[i], y=data.y[i] if data.y is not None else None, class_names=data.class_names,
                         source=data.source, info={**data.info, "held_out": fraction}) for i in parts)


def parse_net(items: list[str]) -> dict:
    """["arch=cnn", "channels=[32,64]", ...] -> {"arch": "cnn", "channels": [32, 64]}, checked.

    The settings allowed are those the chosen kind reads (``NETS[arch].SETTINGS``): ``hidden`` is
    the MLP's, ``channels`` the CNN's, the noise levels both's; a setting of the other kind is an error.
    """
    from ganforge.classify.net import NETS, NetSpec
    from ganforge.presets import parse_override

    values = {}
    for text in items:
        path, value = parse_override(text)
        values[".".join(path)] = value
    arch = values.get("arch", NetSpec.arch)
    if not isinstance(arch, str):
        raise GanforgeError(f"--net arch must be a classifier kind name like cnn, got {arch!r}.")
    settings = NetSpec(arch=arch).settings()  # an unknown arch: the registry's one-line error
    unknown = set(values) - {"arch", *settings}
    if unknown:
        raise GanforgeError(f"Unknown --net setting(s) {', '.join(sorted(unknown))} for arch={arch}; "
                            f"valid: {', '.join(sorted(settings))} (and arch: {', '.join(NETS.names())}).")
    for key in ("hidden", "channels"):
        if key in values and not (isinstance(values[key], list) and values[key]
                                  and all(isinstance(h, int) and not isinstance(h, bool) for h in values[key])):
            raise GanforgeError(f"--net {key} must be a list of layer sizes like [64,128], got {values[key]!r}.")
    for key in ("input_noise", "hidden_noise"):
        if key in values and (isinstance(values[key], bool) or not isinstance(values[key], (int, float))):
            raise GanforgeError(f"--net {key} must be a number, got {values[key]!r}.")
    NetSpec.with_defaults(values).check()
    return values


def format_summary(dataset: str, s: dict) -> str:
    n = len(s["seeds"])
    return (f"{s['method']} on {dataset}, {s['labels']} labels, {n} seed{'s' if n > 1 else ''}: "
            f"test accuracy {s['test_accuracy_mean']:.4f} ± {s['test_accuracy_std']:.4f} "
            f"(error {100 * s['test_error_mean']:.2f}%), CPU {s['cpu_s_mean']:.0f} ± {s['cpu_s_std']:.0f} s per seed, "
            f"steps {', '.join(str(r['steps']) for r in s['runs'])}")


def cmd_predict(args: argparse.Namespace) -> int:
    from ganforge.classify.model import ClassifierModel, image_paths

    model = ClassifierModel.load(args.model)
    predictions, skipped = model.predict_files(image_paths(args.images))
    for path, name in predictions:
        print(f"{path}\t{name}")
    for path, why in skipped:
        print(f"ganforge: skipped {path}: {why}", file=sys.stderr)
    if not predictions:
        raise GanforgeError(f"No readable image in {args.images} ({len(skipped)} skipped).")
    return 1 if skipped else 0
