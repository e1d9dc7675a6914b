"""End-to-end training speed on a 64x64 image folder: in-memory tensors vs per-image decoding.

    python benchmarks/data_path.py --images 2000 --steps 30
    python benchmarks/data_path.py --photo-size 512 --widths 16 64

Both paths train the same DCGAN (64x64 RGB, batch 64, G/D width from
``--widths``) on the same folder of JPEGs of ``--photo-size`` pixels (user
photos are larger than the training resolution, so every image is decoded,
resized and centre-cropped).  "in-memory" decodes the folder once (timed separately: it is paid
once per run, then cached on disk) and gathers batches by index; "streaming"
is ganforge's per-image PIL DataLoader pipeline (``data.streaming``), with 0
and 2 worker processes; it already decodes JPEGs at reduced scale
(``Image.draft``).  "plain per-image PIL" is the same loader with the decode a
straightforward script does (torchvision ImageFolder + Resize + CenterCrop:
full-size decode, then resize), patched in for comparison.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.presets import load_config
from ganforge.data import load_dataset
from ganforge.training.trainer import Trainer


def make_folder(root: Path, n: int, size: int = 96) -> Path:
    """n photo-like size x size JPEGs (smooth random fields plus grain), resized to 64x64 on load like real photos."""
    rng = np.random.default_rng(0)
    for i in range(n):
        small = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        field = np.asarray(Image.fromarray(small).resize((size, size), Image.BICUBIC), dtype=np.int16)
        grain = rng.integers(-12, 13, field.shape, dtype=np.int16)  # JPEG size and decode cost like a photo's
        Image.fromarray(np.clip(field + grain, 0, 255).astype(np.uint8)).save(root / f"{i:05d}.jpg", quality=90)
    return root


def plain_decode(path: Path, size: int, channels: int) -> np.ndarray:
    """What a straightforward script does per image: full decode, resize the short side, centre-crop."""
    with Image.open(path) as img:
        img = img.convert("RGB" if channels == 3 else "L")
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
        left, top = (img.width - size) // 2, (img.height - size) // 2
        array = np.asarray(img.crop((left, top, left + size, top + size)), dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1).copy()


def steps_per_second(folder: Path, streaming: bool, workers: int, steps: int, precision: str, cache: Path,
                     width: int = 64) -> float:
    cfg = load_config("mnist-dcgan", [
        "data.source=folder", f"data.path={folder}", "data.resolution=64", "data.channels=3", f"data.cache_dir={cache}",
        f"data.streaming={str(streaming).lower()}", f"data.workers={workers}", f"train.precision={precision}",
        f"model.g.width={width}", f"model.d.width={width}",
        "train.batch_size=64", "train.progress=false", "train.device=cpu"], name="bench")
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(cfg, run_dir=run_dir)
        for _ in range(3):
            trainer.train_step()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--photo-size", type=int, default=256, help="side of the JPEGs in the folder")
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 64], help="DCGAN G/D widths to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "images").mkdir()
        folder = make_folder(Path(tmp) / "images", args.images, args.photo_size)
        cache = Path(tmp) / "cache"
        start = time.perf_counter()
        load_dataset(load_config("mnist-dcgan", ["data.source=folder", f"data.path={folder}", "data.resolution=64",
                                                 "data.channels=3", f"data.cache_dir={cache}"]).data)
        print(f"# {args.images} JPEGs of {args.photo_size}x{args.photo_size}, one-time decode into memory: "
              f"{time.perf_counter() - start:.1f} s; torch {torch.__version__}, {torch.get_num_threads()} threads, "
              f"{args.precision}")
        print("| DCGAN width | data path | steps/s | images/s | speed-up vs plain per-image PIL (0 workers) |")
        print("|---|---|---|---|---|")
        import ganforge.data.streaming as streaming_module

        rows = [("in-memory uint8 tensor", False, 0, None),
                ("ganforge streaming (draft decode), 0 workers", True, 0, None),
                ("ganforge streaming (draft decode), 2 workers", True, 2, None),
                ("plain per-image PIL, 0 workers", True, 0, plain_decode),
                ("plain per-image PIL, 2 workers", True, 2, plain_decode)]
        ganforge_decode = streaming_module.decode_image
        for width in args.widths:
            results = {}
            for label, streaming, workers, decode in rows:
                streaming_module.decode_image = decode or ganforge_decode  # workers fork after this
                try:
                    results[label] = steps_per_second(folder, streaming, workers, args.steps, args.precision, cache, width)
                finally:
                    streaming_module.decode_image = ganforge_decode
            base = results["plain per-image PIL, 0 workers"]
            for label, rate in results.items():
                print(f"| {width} | {label} | {rate:.2f} | {64 * rate:.0f} | {rate / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
