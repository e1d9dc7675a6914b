"""Fashion-MNIST: 70,000 clothing images 28x28 grey, 10 classes (60k train / 10k test).

Read from the IDX files in ``data.data_dir`` (or its ``fashion-mnist/``
folder), else ``$GANFORGE_DATA/fashion-mnist``, ``~/.cache/ganforge/fashion-mnist``
or the Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``).
``$GANFORGE_DATA`` itself is not searched: MNIST uses the same file names there.
"""

from __future__ import annotations

from pathlib import Path

from ganforge.config import DataConfig
from ganforge.data.base import Dataset
from ganforge.data.idx import find_idx_split, read_idx_split, search_dirs
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
# Short command-line ids, in label order: T-shirt/top, Trouser, Pullover, Dress,
# Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
CLASS_NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


def _dirs(cfg: DataConfig) -> list[Path]:
    return search_dirs(cfg.data_dir, "fashion-mnist",
                       [Path.home() / ".cache" / "ganforge" / "fashion-mnist", SYSTEM_DIR], env_root=False)


def _files(cfg: DataConfig) -> list[Path]:
    """[images, labels, ...] for cfg.split, or a GanforgeError naming where it looked and the fix."""
    dirs = _dirs(cfg)
    files = find_idx_split(dirs, cfg.split)
    if files is None:
        where = ", ".join(str(d) for d in dirs)
        raise GanforgeError(f"Fashion-MNIST not found in {where}; install it with "
                            "`sudo apt-get install dataset-fashion-mnist` or put the IDX files in --data-dir DIR.")
    return files


@SOURCES.register("fashion-mnist")
@source_options(inputs=_files, mirror_invariant=True)
def load_fashion_mnist(cfg: DataConfig) -> Dataset:
    """Fashion-MNIST clothing 28x28 grey, 10 classes: Debian dataset-fashion-mnist or IDX files in data.data_dir."""
    files = _files(cfg)
    x, y = read_idx_split(files)
    return Dataset(x=x, y=y, class_names=list(CLASS_NAMES), info={"files": [str(f) for f in files]})
