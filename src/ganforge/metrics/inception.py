"""The standard FID Inception-v3, in plain torch (no torchvision), for the real FID.

This is the network of pytorch-fid (``pt_inception-2015-12-05-6726825d.pth``,
the TensorFlow FID graph of Heusel et al. ported to PyTorch): torchvision's
Inception-v3 layout with 1008 classes, no auxiliary head, and the FID patches:
the average pools inside Mixed_5b-d, 6b-e and 7b do not count the zero
padding (TensorFlow's behaviour), and Mixed_7c's pool branch is a *max* pool.
Features are the 2048-d output of the final average pool; input images are
resized to 299 x 299 bilinearly (align_corners=False) and scaled to [-1, 1],
as pytorch-fid does. Module names match torchvision's, so the weights file's
state-dict keys load unchanged.

The weights cannot be downloaded here (docs/architecture.md: nothing is fetched at run
time), so the file must be on disk: ``--inception-weights PATH``,
``$GANFORGE_INCEPTION_WEIGHTS`` or the torch hub cache
(``~/.cache/torch/hub/checkpoints/``, ``$TORCH_HOME/hub/checkpoints/``). It is
verified by its SHA-256 (the published hash of the pytorch-fid release file,
whose first 8 hex digits are the ``6726825d`` in its name, the torch hub
convention) and read with ``torch.load(weights_only=True)``, so it can never
run code.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganforge.data.base import from_uint8_images
from ganforge.errors import GanforgeError
from ganforge.files import sha256_file
from ganforge.metrics.extractor import HoldsNet

WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + WEIGHTS_NAME
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
WEIGHTS_BYTES = 95_628_359
ENV = "GANFORGE_INCEPTION_WEIGHTS"
FEATURE_DIM = 2048
NUM_CLASSES = 1008  # the 2015 TensorFlow graph's 1008 outputs (1000 ImageNet classes + unused)


class BasicConv2d(nn.Module):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU."""

    def __init__(self, cin: int, cout: int, **kw) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


def _avg_pool_tf(x: torch.Tensor) -> torch.Tensor:
    """3x3 / stride 1 average pool that ignores the zero padding, as TensorFlow's."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(nn.Module):
    """Mixed_5b/c/d: 1x1, 5x5, double 3x3 and pool branches -> 224 + pool_features channels."""

    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_avg_pool_tf(x))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    """Mixed_6a: grid reduction 35 -> 17, 288 -> 768 channels."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class FIDInceptionC(nn.Module):
    """Mixed_6b-e: factorised 7x7 branches, 768 -> 768 channels."""

    def __init__(self, cin: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = layer(bd)
        bp = self.branch_pool(_avg_pool_tf(x))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    """Mixed_7a: grid reduction 17 -> 8, 768 -> 1280 channels."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, b7, bp], 1)


class FIDInceptionE(nn.Module):
    """Mixed_7b (average pool, padding not counted) and Mixed_7c (max pool): -> 2048 channels."""

    def __init__(self, cin: int, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        # The FID graph uses a max pool in the last block (pytorch-fid: "likely an error" of that port's
        # source graph, kept because every published FID used it).
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg_pool_tf(x)
        return torch.cat([b1, b3, bd, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """Inception-v3 as in pytorch-fid's ``fid_inception_v3``: (N, 3, H, W) in [-1, 1] -> (N, 2048).

    ``input_size`` is the side inputs are resized to: 299 for the standard
    FID; anything >= 75 runs (the tests use 75 to stay fast).
    """

    def __init__(self, input_size: int = 299) -> None:
        super().__init__()
        self.input_size = input_size
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, max_pool=False)
        self.Mixed_7c = FIDInceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, NUM_CLASSES)  # in the weights file; unused for FID

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, 3, H, W) in [-1, 1] (any H, W) -> pool features (N, 2048)."""
        x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # (N, 64, 147, 147)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, 64, 73, 73)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # (N, 192, 71, 71)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, 192, 35, 35)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)  # ... (N, 768, 17, 17) ... (N, 2048, 8, 8)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)  # (N, 2048)


# ----------------------------------------------------------------------------
# finding and loading the weights


def candidate_paths() -> list[Path]:
    """Where the weights file is looked for when no path is given, in order."""
    out = []
    if os.environ.get(ENV):
        out.append(Path(os.environ[ENV]).expanduser())
    hub = Path(os.environ["TORCH_HOME"]).expanduser() if os.environ.get("TORCH_HOME") else None
    if hub is None:
        xdg = os.environ.get("XDG_CACHE_HOME")
        hub = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "torch"
    out.append(hub / "hub" / "checkpoints" / WEIGHTS_NAME)
    return out


def find_weights(path: str | Path | None = None) -> Path:
    """The weights file: ``path`` if given, else the first existing candidate; GanforgeError if absent."""
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise GanforgeError(f"Inception weights file {p} does not exist; the standard FID needs {WEIGHTS_NAME} "
                                f"(download it from {WEIGHTS_URL} on a machine that is online).")
        return p
    for p in candidate_paths():
        if p.is_file():
            return p
    where = " or ".join(str(p) for p in candidate_paths())
    raise GanforgeError(f"The standard Inception FID needs the weights file {WEIGHTS_NAME}, which is not on disk; "
                        f"download it from {WEIGHTS_URL} and put it at {where} (or pass --inception-weights PATH / "
                        f"set ${ENV}), or use the domain-extractor FID (--metrics fid).")


def load_state_dict(path: str | Path, check_sha: bool = True) -> dict[str, torch.Tensor]:
    """Verify (SHA-256) and read the weights file with ``torch.load(weights_only=True)``."""
    path = Path(path)
    if check_sha:
        actual = sha256_file(path)
        if actual != WEIGHTS_SHA256:
            raise GanforgeError(f"{path} is not the standard FID Inception weights file (sha256 {actual[:12]}... "
                                f"instead of {WEIGHTS_SHA256[:12]}...); download {WEIGHTS_NAME} again from {WEIGHTS_URL}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 -- corrupt or unsafe file: one message
        raise GanforgeError(f"{path} is unreadable or unsafe ({exc.__class__.__name__}); download {WEIGHTS_NAME} "
                            f"again from {WEIGHTS_URL}.") from None
    if not isinstance(state, dict):
        raise GanforgeError(f"{path} does not hold a state dict; download {WEIGHTS_NAME} again from {WEIGHTS_URL}.")
    return state


def check_state_dict(net: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Same keys (BatchNorm's num_batches_tracked counters may be absent) and shapes as ``net``, else GanforgeError."""
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    extra = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if missing or extra or wrong:
        first = (missing or extra or wrong)[0]
        raise GanforgeError(f"The Inception weights do not fit the FID Inception-v3 ({len(missing)} missing, "
                            f"{len(extra)} unexpected, {len(wrong)} mis-shaped tensors, e.g. {first!r}); "
                            f"use the file {WEIGHTS_NAME}.")


class InceptionExtractor(HoldsNet):
    """Standard FID features: images (N, C, H, W), uint8 or float in [-1, 1] -> (N, 2048) float32."""

    name = "inception-v3-fid"
    feature_dim = FEATURE_DIM

    def __init__(self, net: FIDInceptionV3, sha256: str, path: Path | None) -> None:
        self.net, self.sha256, self.path = net.eval().requires_grad_(False), sha256, path

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch_size: int = 50) -> torch.Tensor:
        out = []
        for chunk in x.split(batch_size):
            chunk = chunk.to(self.device)
            chunk = from_uint8_images(chunk)
            if chunk.shape[1] == 1:  # grey -> RGB, as every FID tool does
                chunk = chunk.expand(-1, 3, -1, -1)
            elif chunk.shape[1] != 3:
                raise GanforgeError(f"The Inception FID needs grey or RGB images, got {chunk.shape[1]} channels.")
            out.append(self.net(chunk).float().cpu())
        return torch.cat(out)


def load_inception(path: str | Path | None = None, device: str | torch.device = "cpu") -> InceptionExtractor:
    """Find, verify and load the standard FID Inception weights (see the module docstring)."""
    file = find_weights(path)
    state = load_state_dict(file)
    net = FIDInceptionV3()
    check_state_dict(net, state)
    net.load_state_dict(state, strict=False)  # only absent num_batches_tracked counters may be missing
    return InceptionExtractor(net, WEIGHTS_SHA256, file).to(device)
