"""End-to-end training speed on a 64x64 image folder: in-memory tensors vs per-image decoding.

    python benchmarks/data_path.py --images 2000 --steps 30

Both paths train the same DCGAN (64x64 RGB, batch 64) on the same folder of
JPEGs.  "in-memory" decodes the folder once (timed separately: it is paid
once per run, then cached on disk) and gathers batches by index; "streaming"
is the straightforward per-image PIL DataLoader pipeline (``data.streaming``),
with 0 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.config import load_config
from ganforge.data import load_dataset
from ganforge.training.trainer import Trainer


def make_folder(root: Path, n: int) -> Path:
    """n photo-like 96x96 JPEGs (smooth random fields), resized to 64x64 on load like real photos."""
    rng = np.random.default_rng(0)
    for i in range(n):
        small = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        Image.fromarray(small).resize((96, 96), Image.BICUBIC).save(root / f"{i:05d}.jpg", quality=90)
    return root


def steps_per_second(folder: Path, streaming: bool, workers: int, steps: int, precision: str, cache: Path) -> float:
    cfg = load_config("mnist-dcgan", [
        "data.source=folder", f"data.path={folder}", "data.resolution=64", "data.channels=3", f"data.cache_dir={cache}",
        f"data.streaming={str(streaming).lower()}", f"data.workers={workers}", f"train.precision={precision}",
        "train.batch_size=64", "train.progress=false", "train.device=cpu"], name="bench")
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(cfg, run_dir=run_dir)
        for _ in range(3):
            trainer._train_step()
        start = time.perf_counter()
        for _ in range(steps):
            trainer._train_step()
        return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--precision", default="bf16")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "images").mkdir()
        folder = make_folder(Path(tmp) / "images", args.images)
        cache = Path(tmp) / "cache"
        start = time.perf_counter()
        load_dataset(load_config("mnist-dcgan", ["data.source=folder", f"data.path={folder}", "data.resolution=64",
                                                 "data.channels=3", f"data.cache_dir={cache}"]).data)
        print(f"# {args.images} JPEGs, one-time decode into memory: {time.perf_counter() - start:.1f} s; "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.precision}")
        print("| data path | steps/s | images/s | speed-up vs per-image PIL (0 workers) |")
        print("|---|---|---|---|")
        rows = [("in-memory uint8 tensor", False, 0), ("per-image PIL DataLoader, 0 workers", True, 0),
                ("per-image PIL DataLoader, 2 workers", True, 2)]
        results = {label: steps_per_second(folder, streaming, workers, args.steps, args.precision, cache)
                   for label, streaming, workers in rows}
        base = results["per-image PIL DataLoader, 0 workers"]
        for label, rate in results.items():
            print(f"| {label} | {rate:.2f} | {64 * rate:.0f} | {rate / base:.2f}x |")


if __name__ == "__main__":
    main()
