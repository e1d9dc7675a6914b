"""CIFAR-10: 60,000 colour images 32x32, 10 classes (50k train / 10k test).

Read from the standard python batches given by ``data.path``: the
``cifar-10-batches-py`` folder (``data_batch_1..5``, ``test_batch``,
``batches.meta``), a folder containing it, or ``cifar-10-python.tar.gz``
(read in memory, nothing extracted).

The batches are pickles, and unpickling can run code.  They are read with
:class:`SafeUnpickler`, which refuses every global except the handful numpy
needs to rebuild an array, so a malicious file raises a GanforgeError instead
of executing anything.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
BATCHES["all"] = BATCHES["train"] + BATCHES["test"]
FOLDER = "cifar-10-batches-py"
HOW = ("download cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and give it with "
       "--set data.path=/path/to/cifar-10-batches-py (the folder or the .tar.gz)")

# (module, name) globals a numpy array pickle needs; numpy 1 and numpy 2 spellings.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),  # protocol-5 arrays
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy's array-rebuilding globals, nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        if module.startswith("numpy.core."):  # numpy 2 moved numpy.core to numpy._core
            module = "numpy._core." + module[len("numpy.core."):]
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):  # numpy 1 has no numpy._core
            return super().find_class(module.replace("numpy._core.", "numpy.core."), name)


def safe_unpickle(raw: bytes, where: str) -> dict:
    """Unpickle a CIFAR batch with :class:`SafeUnpickler` -> dict with str keys."""
    try:
        obj = SafeUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # refused global, truncation, garbage: all one answer
        raise GanforgeError(f"{where} is not a valid CIFAR-10 batch ({exc}); replace it with the original file.") from None
    if not isinstance(obj, dict):
        raise GanforgeError(f"{where} is not a valid CIFAR-10 batch (no dictionary inside); replace it with the original file.")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _batch_arrays(batch: dict, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch dict -> (uint8 (N, 3, 32, 32), int64 (N,)); rows are 1024 R, 1024 G, 1024 B."""
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 \
            or labels is None or len(labels) != len(data):
        raise GanforgeError(f"{where} is not a valid CIFAR-10 batch (expected uint8 data (N, 3072) and N labels); "
                            "replace it with the original file.")
    x = torch.from_numpy(np.ascontiguousarray(data)).view(-1, 3, 32, 32).clone()
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    return x, y


def _locate(cfg: DataConfig) -> Path:
    """The batches folder or the tar.gz named by ``cfg.path``; a GanforgeError with the fix if absent."""
    if not cfg.path:
        raise GanforgeError(f"CIFAR-10 needs data.path; {HOW}.")
    path = Path(cfg.path).expanduser()
    if path.is_dir() and not (path / "test_batch").exists() and (path / FOLDER).is_dir():
        path = path / FOLDER
    if path.is_file() or (path.is_dir() and (path / "test_batch").is_file()):
        return path
    raise GanforgeError(f"CIFAR-10 batches not found at {path}; {HOW}.")


def _inputs(cfg: DataConfig) -> list[Path]:
    path = _locate(cfg)
    if path.is_file():
        return [path]
    return [path / n for n in BATCHES[cfg.split] + ["batches.meta"] if (path / n).is_file()]


def _read_members(path: Path, names: list[str]) -> dict[str, bytes]:
    """{name: bytes} of the wanted batch files, from a folder or (in memory) a tar archive."""
    if path.is_dir():
        return {n: (path / n).read_bytes() for n in names if (path / n).is_file()}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in names:
                    found[base] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise GanforgeError(f"{path} is not a readable CIFAR-10 archive ({exc.__class__.__name__}); {HOW}.") from None
    return found


@SOURCES.register("cifar10")
@source_options(inputs=_inputs, mirror_invariant=True)
def load_cifar10(cfg: DataConfig) -> Dataset:
    """CIFAR-10 colour 32x32, 10 classes: the python batches or cifar-10-python.tar.gz given by data.path."""
    path = _locate(cfg)
    wanted = BATCHES[cfg.split]
    raw = _read_members(path, wanted + ["batches.meta"])
    missing = [n for n in wanted if n not in raw]
    if missing:
        raise GanforgeError(f"{path} lacks {', '.join(missing)}; {HOW}.")
    xs, ys = zip(*(_batch_arrays(safe_unpickle(raw[n], f"{path}/{n}"), f"{path}/{n}") for n in wanted))
    return Dataset(x=torch.cat(xs), y=torch.cat(ys), class_names=_class_names(raw.get("batches.meta"), path),
                   info={"files": [str(path)]})


def _class_names(meta: bytes | None, path: Path) -> list[str]:
    """Names from batches.meta (``label_names``), else the standard ten."""
    if meta is None:
        return list(CLASS_NAMES)
    names = safe_unpickle(meta, f"{path}/batches.meta").get("label_names")
    if not isinstance(names, list) or len(names) != 10:
        return list(CLASS_NAMES)
    return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names]
