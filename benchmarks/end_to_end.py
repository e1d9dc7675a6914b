"""End to end on one folder of 64x64 PNGs: ganforge's trainer vs pytorch/examples' dcgan/main.py.

    python benchmarks/end_to_end.py --folder /tmp/folder64 --images 20000 --steps 800 --device cuda \
        --variant fp32=train.precision=fp32,train.cuda_graphs=false,train.data_on_device=false \
        --variant fast=train.precision=auto,train.channels_last=true --peer

The same model on both sides (64x64 DCGAN, nz 100, width 64, batch 64, Adam
2e-4), the same folder (random PNGs in one class sub-folder, written once).
ganforge: the real trainer with its default sample and checkpoint cadence;
steady-state images/s from the metrics rows after the first log interval
(the folder is decoded once at the start, like any run).  The peer
(``../shared/peers/pytorch_examples_dcgan_main.py``, per-image PIL loading in
DataLoader workers, a host sync every step) prints one line per step; its
images/s is timed over the lines after the first 20.  The peer needs
torchvision; where it does not import, its row says so.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
PEER_NAME = "pytorch_examples_dcgan_main.py"
#: where the peer script may be: $PEER_SCRIPT, ../shared/peers beside the checkout, or shared/peers inside it
PEER_PLACES = [Path(os.environ.get("PEER_SCRIPT", "/nonexistent")), HERE.parent.parent / "shared" / "peers" / PEER_NAME,
               HERE.parent / "shared" / "peers" / PEER_NAME]
PEER_SKIP = 20  # first step lines not timed (worker start-up, cuDNN selection)
CASE = ["data.source=folder", "data.resolution=64", "data.channels=3", "model.z_dim=100", "model.g.width=64",
        "model.d.width=64", "train.batch_size=64", "train.progress=false"]


def make_folder(root: Path, n: int) -> Path:
    """``n`` random 64x64 RGB PNGs in ``root/class0`` (ImageFolder needs a class folder); kept if already there."""
    images = root / "class0"
    if images.is_dir() and len(list(images.glob("*.png"))) >= n:
        return root
    images.mkdir(parents=True, exist_ok=True)

    def write(i: int) -> None:
        pixels = np.random.default_rng(i).integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(images / f"{i:05d}.png")

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(write, range(n)))
    return root


def ganforge_rate(folder: Path, steps: int, device: str, extra: list[str]) -> float:
    """Steady-state images/s of ``ganforge train`` on the folder (rows after the first log interval)."""
    from ganforge.presets import load_config
    from ganforge.training.plots import read_metrics
    from ganforge.training.trainer import Trainer

    log_every = max(1, steps // 8)
    overrides = CASE + [f"data.path={folder}", f"train.device={device}", f"train.steps={steps}", f"train.log_every={log_every}",
                        *extra]
    with tempfile.TemporaryDirectory() as run_dir:
        cfg = load_config("mnist-dcgan", overrides, name="e2e")
        trainer = Trainer(cfg, run_dir=run_dir)
        print(f"# {' '.join(extra) or 'defaults'}: {trainer.precision} ({trainer.precision_reason}); {trainer.speed_line}")
        rows = [r for r in read_metrics(trainer.fit() / "metrics.jsonl") if "time_s" in r]
    first, last = rows[0], rows[-1]
    if len(rows) < 2:
        return first["step"] * cfg.train.batch_size / max(first["time_s"], 1e-9)
    return (last["step"] - first["step"]) * cfg.train.batch_size / max(last["time_s"] - first["time_s"], 1e-9)


def peer_rate(folder: Path, steps: int, device: str, workers: int, batch: int = 64) -> float | str:
    """Steady-state images/s of pytorch/examples' dcgan/main.py, or why it did not run."""
    peer = next((p for p in PEER_PLACES if p.is_file()), None)
    if peer is None:
        return f"not run: {PEER_NAME} not found (set PEER_SCRIPT)"
    if subprocess.run([sys.executable, "-c", "import torchvision"], capture_output=True).returncode:
        return "not run: torchvision does not import here"
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-u", str(peer), "--dataset", "folder", "--dataroot", str(folder), "--niter", "1",
                   "--workers", str(workers), "--batchSize", str(batch), "--outf", out, "--manualSeed", "0"]
        command += ["--accel"] if device.startswith("cuda") else []
        times = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
            for line in proc.stdout:
                if line.startswith("[0/1]["):
                    times.append(time.perf_counter())
                    if len(times) >= steps:
                        break
            proc.kill()
    timed = times[min(PEER_SKIP, len(times) - 2):] if len(times) >= 2 else []
    if len(timed) < 2:
        return f"not run: only {len(times)} step lines"
    return (len(timed) - 1) * batch / (timed[-1] - timed[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True, help="where the PNGs are (written if missing)")
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--steps", type=int, default=800, help="training steps per ganforge run / peer step lines")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--variant", action="append", default=[], help="LABEL=key=value,key=value (repeatable)")
    parser.add_argument("--peer", action="store_true", help="also run pytorch/examples' dcgan/main.py")
    parser.add_argument("--workers", type=int, default=8, help="the peer's DataLoader workers")
    args = parser.parse_args()
    folder = make_folder(args.folder, args.images)
    print(f"# end to end, 64x64 DCGAN batch 64, {args.images} PNGs, {args.steps} steps, device {args.device}")
    print("| trainer | variant | images/s (steady state) |")
    print("|---|---|---|")
    for text in args.variant or ["default="]:
        label, _, rest = text.partition("=")
        rate = ganforge_rate(folder, args.steps, args.device, [p for p in rest.split(",") if p])
        print(f"| ganforge | {label} | {rate:.0f} |", flush=True)
    if args.peer:
        rate = peer_rate(folder, args.steps, args.device, args.workers)
        print(f"| pytorch/examples dcgan | workers={args.workers} | {rate if isinstance(rate, str) else f'{rate:.0f}'} |")


if __name__ == "__main__":
    main()
