"""Domain feature extractors: small classifiers whose penultimate layer is the feature space.

The standard FID needs Inception weights that cannot be fetched offline, so
ganforge trains a small CNN classifier per labelled data set and commits its
weights with a checksum (DESIGN.md, *Metrics*). FID / KID / precision-recall /
density-coverage are computed on its 128-d penultimate features, the
Inception-score analogue and class coverage on its class probabilities.
Numbers are comparable across runs and machines because the weights file is
fixed and verified by SHA-256 before use.

Files::

    src/ganforge/metrics/weights/manifest.json        # name -> sha256, data, accuracy, architecture, ...
    src/ganforge/metrics/weights/<name>.safetensors   # the committed weights (mnist, fashion-mnist)

A user's own extractor (``train_extractor("folder", out_dir, path=...)``)
is a folder with the same two kinds of file, given to :func:`load_extractor`
by path.

Architecture (:class:`DomainClassifier`), for input (N, C, H, W) in [-1, 1]::

    conv3x3(C->32) BN ReLU maxpool2      # (N, 32, H/2, W/2)
    conv3x3(32->64) BN ReLU maxpool2     # (N, 64, H/4, W/4)
    adaptive avg pool to P x P           # P = min(7, H/4): 7 for 28x28 inputs
    flatten, Linear(64 P^2 -> 128) BN ReLU  -> features (N, 128)
    dropout, Linear(128 -> K)            -> logits (N, K)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.errors import GanforgeError

MANIFEST = "manifest.json"
FEATURE_DIM = 128
EXTRACTOR_FORMAT = 1
# Training recipes per data set: (epochs, augmentation). Small data sets get
# more epochs and random shifts/rotations; see train_extractor.
DEFAULT_EPOCHS = {"mnist": 30, "fashion-mnist": 6, "digits": 60}
DEFAULT_EPOCHS_OTHER = 20
AUGMENT = {"mnist": True, "digits": True, "fashion-mnist": False}


def retrain_hint(name: str) -> str:
    return f"retrain it with `ganforge metrics train-extractor --dataset {name}`"


# ----------------------------------------------------------------------------
# the network


class DomainClassifier(nn.Module):
    """2-conv + 1-hidden-layer CNN classifier; ``features`` is its penultimate layer.

    Args:
        in_channels: C of the images (1 grey, 3 RGB).
        num_classes: K.
        resolution: H (= W) the network is trained at; sets the pooled size.
        width: channels of the first conv (the second has 2 * width).
        feature_dim: size of the hidden layer = the feature vector.
        dropout: dropout before the last layer (training only).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, resolution: int = 28, width: int = 32,
                 feature_dim: int = FEATURE_DIM, dropout: float = 0.3) -> None:
        super().__init__()
        self.pool_size = max(1, min(7, resolution // 4))
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.hidden = nn.Sequential(
            nn.Linear(2 * width * self.pool_size**2, feature_dim, bias=False), nn.BatchNorm1d(feature_dim),
            nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) in [-1, 1] -> (N, feature_dim) penultimate activations."""
        h = self.conv(x)  # (N, 2w, H/4, W/4)
        h = F.adaptive_avg_pool2d(h, self.pool_size).flatten(1)  # (N, 2w P^2)
        return self.hidden(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> logits (N, K)."""
        return self.head(self.dropout(self.features(x)))


# ----------------------------------------------------------------------------
# a loaded, verified extractor


@dataclass
class Extractor:
    """A verified domain classifier, ready to turn images into features and class probabilities.

    ``name``, ``sha256`` and ``entry`` (its manifest entry) identify the exact
    weights, so a metric can say which feature space it was computed in.
    """

    name: str
    net: DomainClassifier
    sha256: str
    entry: dict
    path: Path

    @property
    def feature_dim(self) -> int:
        return int(self.entry["feature_dim"])

    @property
    def num_classes(self) -> int:
        return int(self.entry["arch"]["num_classes"])

    @property
    def class_names(self) -> list[str] | None:
        return self.entry.get("class_names")

    @property
    def in_channels(self) -> int:
        return int(self.entry["arch"]["in_channels"])

    @property
    def resolution(self) -> int:
        return int(self.entry["arch"]["resolution"])

    def to(self, device: str | torch.device) -> "Extractor":
        self.net.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W), uint8 or float in [-1, 1] -> float in [-1, 1] at the extractor's C and H.

        Grey <-> RGB conversion and bilinear resizing are applied the same way
        to real and generated images, so both sides stay comparable.
        """
        if x.dim() != 4:
            raise GanforgeError(f"The {self.name} extractor needs images (N, C, H, W), got shape {tuple(x.shape)}.")
        x = x.float().div(127.5).sub(1.0) if x.dtype == torch.uint8 else x.float()
        c = x.shape[1]
        if c != self.in_channels:
            if c == 3 and self.in_channels == 1:
                x = (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
            elif c == 1 and self.in_channels == 3:
                x = x.expand(-1, 3, -1, -1)
            else:
                raise GanforgeError(f"The {self.name} extractor takes {self.in_channels}-channel images but got {c} "
                                    f"channels; use an extractor trained on this data (--extractor).")
        if x.shape[-2:] != (self.resolution, self.resolution):
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear", align_corners=False,
                              antialias=x.shape[-1] > self.resolution)
        return x.contiguous(memory_format=torch.channels_last)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (N, C, H, W) -> (features float32 (N, D), probabilities float32 (N, K)) on the CPU.

        Runs in fp32 and eval mode: features must not depend on the precision
        a machine happens to prefer.
        """
        was_training = self.net.training
        self.net.eval()
        feats, probs = [], []
        try:
            for chunk in x.split(batch_size):
                h = self.net.features(self.prepare(chunk.to(self.device)))  # (B, D)
                feats.append(h.float().cpu())
                probs.append(torch.softmax(self.net.head(h).float(), dim=1).cpu())
        finally:
            self.net.train(was_training)
        if not feats:
            raise GanforgeError("No images to extract features from; evaluate at least one sample.")
        return torch.cat(feats), torch.cat(probs)

    def features(self, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Images (N, C, H, W) -> (N, D) features."""
        return self(x, batch_size)[0]

    def probs(self, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Images (N, C, H, W) -> (N, K) class probabilities (rows sum to 1)."""
        return self(x, batch_size)[1]


# ----------------------------------------------------------------------------
# files: manifest, checksum, load


def weights_dir() -> Path:
    """The folder of the committed extractor weights inside the installed package."""
    return Path(str(resources.files("ganforge") / "metrics" / "weights"))


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder: Path | str) -> dict:
    """``folder/manifest.json`` as a dict (empty when the file does not exist)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GanforgeError(f"{path} is unreadable ({exc.__class__.__name__}); restore it or retrain the extractor.") from None
    if not isinstance(data, dict):
        raise GanforgeError(f"{path} must hold a mapping of extractor names; restore it or retrain the extractor.")
    return data


def available_extractors() -> dict[str, dict]:
    """The committed extractors: {name: manifest entry}."""
    return read_manifest(weights_dir())


def extractor_for_source(source: str) -> str | None:
    """The committed extractor trained on data source ``source``, or None."""
    for name, entry in available_extractors().items():
        if entry.get("source") == source:
            return name
    return None


def _resolve(name_or_path: str | Path) -> tuple[str, Path, dict]:
    """-> (name, weights file, manifest entry) for a committed name, a folder or a .safetensors file."""
    text = str(name_or_path)
    committed = available_extractors()
    if text in committed and not Path(text).exists():
        return text, weights_dir() / committed[text]["file"], committed[text]
    path = Path(text).expanduser()
    if path.is_dir():
        manifest = read_manifest(path)
        if len(manifest) != 1:
            raise GanforgeError(f"{path} holds no extractor ({MANIFEST} with one entry); train one with "
                                f"`ganforge metrics train-extractor --dataset folder --path IMAGES --out {path}`.")
        name, entry = next(iter(manifest.items()))
        return name, path / entry["file"], entry
    if path.is_file():
        manifest = read_manifest(path.parent)
        for name, entry in manifest.items():
            if entry.get("file") == path.name:
                return name, path, entry
        raise GanforgeError(f"{path} has no entry in {path.parent / MANIFEST}; keep the manifest written by "
                            "train-extractor beside the weights file.")
    names = ", ".join(sorted(committed)) or "none"
    raise GanforgeError(f"Unknown feature extractor {text!r}: not a committed extractor ({names}) nor an extractor "
                        f"folder; train one with `ganforge metrics train-extractor --dataset NAME --out DIR`.")


def load_extractor(name_or_path: str | Path = "mnist", device: str | torch.device = "cpu") -> Extractor:
    """Load a committed extractor by name ("mnist", "fashion-mnist") or a user extractor by path.

    The weights file's SHA-256 must equal the manifest's: an altered, truncated
    or stale file is refused with a GanforgeError saying how to retrain it.
    """
    from safetensors.torch import load_file

    name, file, entry = _resolve(name_or_path)
    if not file.is_file():
        raise GanforgeError(f"Extractor weights {file} are missing; {retrain_hint(entry.get('source', name))}.")
    actual = sha256_file(file)
    if actual != entry.get("sha256"):
        raise GanforgeError(f"Extractor weights {file} do not match their manifest (sha256 {actual[:12]}... "
                            f"instead of {str(entry.get('sha256'))[:12]}...): the file was altered or is stale; "
                            f"{retrain_hint(entry.get('source', name))}.")
    net = DomainClassifier(**entry["arch"])
    try:
        net.load_state_dict(load_file(str(file)))
    except Exception as exc:  # noqa: BLE001 -- any mismatch is the same user problem
        raise GanforgeError(f"Extractor weights {file} do not fit the architecture in the manifest "
                            f"({str(exc).splitlines()[0]}); {retrain_hint(entry.get('source', name))}.") from None
    # channels_last: ~2x faster convolutions on CPU (oneDNN), and fine on GPUs
    net.eval().requires_grad_(False).to(memory_format=torch.channels_last)
    return Extractor(name=name, net=net, sha256=actual, entry=entry, path=file).to(device)


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


@torch.no_grad()
def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``net`` on uint8 images x (N, C, H, W) with labels y (N,)."""
    was = net.training
    net.eval()
    correct = 0
    for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
        correct += int((net(xb.float().div(127.5).sub(1.0)).argmax(1) == yb).sum())
    net.train(was)
    return correct / max(len(y), 1)


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


def _write_atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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

    from ganforge.training.device import cpu_has_fast_bf16

    if name is None:
        name = Path(path).expanduser().resolve().name if dataset == "folder" and path else dataset
    if out_dir is None:
        if dataset not in ("mnist", "fashion-mnist") or path or data_dir:
            raise GanforgeError(f"Give an output folder (--out DIR) for the {name!r} extractor; only the committed "
                                "mnist / fashion-mnist extractors are written into the package.")
        out_dir = weights_dir()
    out_dir = Path(out_dir).expanduser()
    epochs = int(epochs if epochs is not None else DEFAULT_EPOCHS.get(dataset, DEFAULT_EPOCHS_OTHER))
    if epochs < 1:
        raise GanforgeError(f"epochs must be >= 1, got {epochs}.")
    augment = AUGMENT.get(dataset, True) if augment is None else augment
    if precision == "auto":
        precision = "bf16" if cpu_has_fast_bf16() else "fp32"
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
                xb = xtr[idx].float().div_(127.5).sub_(1.0)
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
        train_acc = accuracy(net, xtr, ytr)
        test_acc = accuracy(net, xte, yte)
    seconds = time.perf_counter() - start

    file = out_dir / f"{name}.safetensors"
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    meta = {"ganforge_extractor": json.dumps({"format": EXTRACTOR_FORMAT, "name": name, "arch": arch,
                                              "class_names": class_names})}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(file, lambda tmp: save_file(tensors, tmp, metadata=meta))
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
    _write_atomic(out_dir / MANIFEST, lambda tmp: Path(tmp).write_text(text))
    if log:
        log(f"[{name}] test accuracy {test_acc:.4f} on {len(xte)} images ({test_name}); wrote {file}")
    return {"name": name, **entry, "out_dir": str(out_dir)}
