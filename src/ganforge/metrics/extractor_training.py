"""Training a domain feature extractor (``ganforge metrics train-extractor``): the committed ones and a user's own.

:func:`train_extractor` trains :class:`~ganforge.metrics.extractor.DomainClassifier`
on a labelled data set (seeded, deterministic kernels), measures its accuracy
on a held-out split and writes the weights plus a manifest entry atomically;
:mod:`ganforge.metrics.extractor` loads and verifies what it wrote.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganforge.data.base import from_uint8_images
from ganforge.errors import GanforgeError
from ganforge.files import atomic_write, write_text_atomic
from ganforge.metrics.accuracy import net_accuracy
from ganforge.metrics.extractor import (EXTRACTOR_FORMAT, FEATURE_DIM, MANIFEST, DomainClassifier, read_manifest,
                                        sha256_file, weights_dir)

# Training recipes per data set: (epochs, augmentation). Small data sets get
# more epochs and random shifts/rotations; see train_extractor.
DEFAULT_EPOCHS = {"mnist": 30, "fashion-mnist": 6, "digits": 60, "emoji": 15}
DEFAULT_EPOCHS_OTHER = 20
# Emoji: no warp, whose black padding would mark the white-background images.
AUGMENT = {"mnist": True, "digits": True, "fashion-mnist": False, "emoji": False}
COMMITTED_SOURCES = ("mnist", "fashion-mnist", "emoji")  # the extractors train_extractor may write into the package


# ----------------------------------------------------------------------------
# training


def _augment(x: torch.Tensor, gen: torch.Generator, max_shift: float = 2.0, max_deg: float = 10.0,
             scale: float = 0.1) -> torch.Tensor:
    """Random shift (pixels), rotation (degrees) and scale of a batch (B, C, H, W), one affine warp."""
    b, _, h, _ = x.shape
    angle = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(max_deg)
    s = 1.0 + (torch.rand(b, generator=gen) * 2 - 1) * scale
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * (2 * max_shift / h)  # in [-1, 1] grid units
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Background is -1 (black); pad with it rather than with zeros (mid grey).
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


def _holdout(y: torch.Tensor, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stratified train / test indices when a source has no test split (every class keeps >= 1 train sample)."""
    gen = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in torch.unique(y):
        idx = (y == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        k = min(len(idx) - 1, max(1, round(len(idx) * fraction))) if len(idx) > 1 else 0
        test.append(idx[:k])
        train.append(idx[k:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def _load_training_data(dataset: str, data_dir: str | None, path: str | None, resolution: int | None,
                        channels: int | None, seed: int):
    """-> (x_train, y_train, x_test, y_test, class_names, data description, test split name)."""
    from ganforge.config import DataConfig
    from ganforge.data import SOURCES, load_dataset

    loader = SOURCES.get(dataset)
    splits = getattr(loader, "splits", ("train", "test", "all"))
    common = dict(source=dataset, data_dir=data_dir, path=path, resolution=resolution, channels=channels)
    train = load_dataset(DataConfig(split="train", **common))
    if train.y is None or not train.is_image:
        raise GanforgeError(f"Data source {dataset!r} gives no labelled images, so a classifier cannot be trained on it; "
                            "use a folder with one sub-folder per class (--dataset folder --path DIR).")
    if "test" in splits:
        test = load_dataset(DataConfig(split="test", **common))
        xtr, ytr, xte, yte, test_name = train.x, train.y, test.x, test.y, "test"
    else:
        tr, te = _holdout(train.y, 0.1, seed)
        xtr, ytr, xte, yte = train.x[tr], train.y[tr], train.x[te], train.y[te]
        test_name = f"held-out 10% of train (stratified, seed {seed})"
    if train.num_classes < 2:
        raise GanforgeError(f"Data source {dataset!r} has {train.num_classes} class; a classifier needs at least 2 "
                            "class sub-folders.")
    info = train.info
    files = [Path(f) for f in info.get("files", [])]
    if info.get("subset"):
        described = f"{info['subset']} ({files[0]})" if files else info["subset"]
    elif files:
        described = f"{files[0].parent}: " + ", ".join(f.name for f in files[:4])
    else:
        described = f"{dataset} ({path})" if path else dataset
    names = train.class_names or [str(i) for i in range(train.num_classes)]
    return xtr, ytr, xte, yte, names, described, test_name


@contextlib.contextmanager
def _deterministic():
    """torch deterministic algorithms for the duration, then the caller's setting back."""
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


def train_extractor(dataset: str, out_dir: Path | str | None = None, seed: int = 0, epochs: int | None = None,
                    data_dir: str | None = None, path: str | None = None, resolution: int | None = None,
                    channels: int | None = None, batch_size: int = 128, lr: float = 2e-3,
                    augment: bool | None = None, precision: str = "auto", name: str | None = None,
                    log=print) -> dict:
    """Train a domain classifier on data source ``dataset`` and write it to ``out_dir``.

    Args:
        dataset: a labelled image source ("mnist", "fashion-mnist", "digits",
            "cifar10", "folder" with class sub-folders, ...).
        out_dir: folder for ``<name>.safetensors`` + ``manifest.json``
            (entries of other extractors there are kept). None = the
            package's weights folder, only for the committed data sets.
        seed: seeds the initialisation, the batch order and the augmentation.
        epochs: passes over the training split (default per data set).
        data_dir, path, resolution, channels: passed to the data source.
        augment: random shifts / rotations (default on for the small digit sets).
        precision: "bf16" autocast (about 2x faster convolutions on CPUs with
            AMX / AVX512-BF16), "fp32", or "auto" (bf16 where fast). Test
            accuracy is always measured in fp32, as the extractor is used.
        name: the extractor's name (default: the data set name, or the folder's name).

    Returns:
        The manifest entry written (sha256, accuracies, sizes, architecture, ...).
    """
    from safetensors.torch import save_file

    from ganforge.data.registry import source_trait
    from ganforge.training.device import resolve_precision

    if name is None:
        named_by_path = path and source_trait(dataset, "path_is_data")  # a user's folder: its own name
        name = Path(path).expanduser().resolve().name if named_by_path else dataset
    if out_dir is None:
        if dataset not in COMMITTED_SOURCES or path or data_dir:
            raise GanforgeError(f"Give an output folder (--out DIR) for the {name!r} extractor; only the committed "
                                f"{' / '.join(COMMITTED_SOURCES)} extractors are written into the package.")
        out_dir = weights_dir()
    out_dir = Path(out_dir).expanduser()
    epochs = int(epochs if epochs is not None else DEFAULT_EPOCHS.get(dataset, DEFAULT_EPOCHS_OTHER))
    if epochs < 1:
        raise GanforgeError(f"epochs must be >= 1, got {epochs}.")
    augment = AUGMENT.get(dataset, True) if augment is None else augment
    precision = resolve_precision(torch.device("cpu"), precision)  # the extractor trains on the CPU
    if precision not in ("bf16", "fp32"):
        raise GanforgeError(f"precision must be bf16, fp32 or auto, got {precision!r}.")

    start = time.perf_counter()
    xtr, ytr, xte, yte, class_names, described, test_name = _load_training_data(
        dataset, data_dir, path, resolution, channels, seed)
    arch = {"in_channels": int(xtr.shape[1]), "num_classes": len(class_names), "resolution": int(xtr.shape[-1]),
            "width": 32, "feature_dim": FEATURE_DIM, "dropout": 0.3}
    with _deterministic():
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        net = DomainClassifier(**arch).to(memory_format=torch.channels_last)  # faster CPU convs
        steps_per_epoch = math.ceil(len(xtr) / batch_size)
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                    pct_start=0.15)
        ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if precision == "bf16" else contextlib.nullcontext
        for epoch in range(epochs):
            net.train()
            perm = torch.randperm(len(xtr), generator=gen)
            total, seen = 0.0, 0
            for i in range(steps_per_epoch):
                idx = perm[i * batch_size : (i + 1) * batch_size]
                xb = from_uint8_images(xtr[idx])
                if augment:
                    xb = _augment(xb, gen)
                xb = xb.contiguous(memory_format=torch.channels_last)
                with ctx():
                    loss = F.cross_entropy(net(xb).float(), ytr[idx], label_smoothing=0.05)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
                seen += len(idx)
            if log:
                log(f"[{name}] epoch {epoch + 1}/{epochs}: loss {total / seen:.4f} "
                    f"({time.perf_counter() - start:.0f} s)")
        net.eval()
        train_acc = net_accuracy(net, xtr, ytr)
        test_acc = net_accuracy(net, xte, yte)
    seconds = time.perf_counter() - start

    file = out_dir / f"{name}.safetensors"
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    meta = {"ganforge_extractor": json.dumps({"format": EXTRACTOR_FORMAT, "name": name, "arch": arch,
                                              "class_names": class_names})}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(file, lambda tmp: save_file(tensors, str(tmp), metadata=meta))
    except OSError as exc:
        raise GanforgeError(f"Cannot write the extractor into {out_dir} ({exc.strerror or exc}); "
                            "give a writable folder with --out DIR.") from None
    entry = {
        "file": file.name,
        "sha256": sha256_file(file),
        "format": EXTRACTOR_FORMAT,
        "source": dataset,
        "data": described,
        "path": str(Path(path).expanduser().resolve()) if path else None,
        "train_size": int(len(xtr)),
        "test_size": int(len(xte)),
        "test_split": test_name,
        "train_accuracy": round(train_acc, 5),
        "test_accuracy": round(test_acc, 5),
        "arch": arch,
        "feature_dim": FEATURE_DIM,
        "class_names": class_names,
        "training": {"seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": "adamw+onecycle",
                     "augment": augment, "precision": precision, "label_smoothing": 0.05,
                     "seconds": round(seconds, 1), "torch": torch.__version__},
        "date": _dt.date.today().isoformat(),
    }
    manifest = read_manifest(out_dir)
    manifest[name] = entry
    text = json.dumps(dict(sorted(manifest.items())), indent=2) + "\n"
    write_text_atomic(out_dir / MANIFEST, text)
    if log:
        log(f"[{name}] test accuracy {test_acc:.4f} on {len(xte)} images ({test_name}); wrote {file}")
    return {"name": name, **entry, "out_dir": str(out_dir)}
