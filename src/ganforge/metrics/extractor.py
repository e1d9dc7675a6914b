"""Domain feature extractors: small classifiers whose penultimate layer is the feature space.

The standard FID needs Inception weights that cannot be fetched offline, so
ganforge trains a small CNN classifier per labelled data set and commits its
weights with a checksum (docs/architecture.md, *Metrics*). FID / KID / precision-recall /
density-coverage are computed on its 128-d penultimate features, the
Inception-score analogue and class coverage on its class probabilities.
Numbers are comparable across runs and machines because the weights file is
fixed and verified by SHA-256 before use.

Files::

    src/ganforge/metrics/weights/manifest.json        # name -> sha256, data, accuracy, architecture, ...
    src/ganforge/metrics/weights/<name>.safetensors   # the committed weights (mnist, fashion-mnist, emoji)

Training one (``train_extractor``) is :mod:`ganforge.metrics.extractor_training`.
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

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.data.base import from_uint8_images
from ganforge.errors import GanforgeError
from ganforge.registry import error_line
from ganforge.files import sha256_file  # noqa: F401 -- used below; tests import it from here

MANIFEST = "manifest.json"
FEATURE_DIM = 128
EXTRACTOR_FORMAT = 1
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


class HoldsNet:
    """A wrapper around a network ``self.net`` that moves with it (the domain classifier, Inception)."""

    def to(self, device: str | torch.device):
        self.net.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device


@dataclass
class Extractor(HoldsNet):
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

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W), uint8 or float in [-1, 1] -> float in [-1, 1] at the extractor's C and H.

        Grey <-> RGB conversion and bilinear resizing are applied the same way
        to real and generated images, so both sides stay comparable.
        """
        if x.dim() != 4:
            raise GanforgeError(f"The {self.name} extractor needs images (N, C, H, W), got shape {tuple(x.shape)}.")
        x = from_uint8_images(x)
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
    for name, entry in data.items():  # untrusted file: each entry's types before any use
        if not (isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("arch", {}), dict)):
            raise GanforgeError(f"{path}: entry {name!r} is not an extractor description; restore it or retrain the extractor.")
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
                            f"({error_line(exc)}); {retrain_hint(entry.get('source', name))}.") from None
    # channels_last: ~2x faster convolutions on CPU (oneDNN), and fine on GPUs
    net.eval().requires_grad_(False).to(memory_format=torch.channels_last)
    return Extractor(name=name, net=net, sha256=actual, entry=entry, path=file).to(device)
