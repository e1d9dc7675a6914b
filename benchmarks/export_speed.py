"""Exported vs eager sampling speed on CPU, and the web export in Chromium.

    python benchmarks/export_speed.py                                   # the BENCHMARKS.md tables
    python benchmarks/export_speed.py --web-run runs/fashion --screenshot docs/gallery/web_export.png

Sampling: for each DCGAN preset the generator is built at the preset's size
(random weights: the cost does not depend on their values), exported to ONNX,
and ``generate`` is timed for batches of 1 and 64 latents with PyTorch eager
and with onnxruntime (CPU provider), both on one thread.  Reported: images
per CPU-second of the calling thread (what a shared machine does not
distort) and per wall-second, medians of 3 blocks of ``--repeats`` calls
after warm-up, the two models taking turns block by block.

Web: ``--web-run RUN`` exports RUN's generator as a web page, reports the
folder size and the time from navigation to the first drawn image in
headless Chromium (fresh profile each time, median of ``--page-loads``), and
saves a screenshot of the page for ``--screenshot``.  Results also go to
benchmarks/results/export_speed.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

import ganforge
from ganforge.api import GeneratorModel
from ganforge.export import browser, export
from ganforge.nets import build_generator
from ganforge.presets import load_config

from machine import cpu_name  # benchmarks/machine.py: the CPU every result names

# preset -> sample shape (C, H, W) of its data (the generator's output)
PRESETS = {"mnist-dcgan": (1, 28, 28), "fashion-dcgan": (1, 28, 28), "emoji-dcgan": (3, 64, 64)}
BATCHES = (1, 64)
RESULTS = Path(__file__).parent / "results" / "export_speed.json"


def preset_model(preset: str, folder: Path) -> Path:
    """A saved model directory holding the preset's generator (random weights, eval mode)."""
    cfg = load_config(preset, ["train.precision=fp32"], name=preset)
    spec = {"arch": cfg.model.arch, "shape": list(PRESETS[preset]), "z_dim": cfg.model.z_dim, "g": dict(cfg.model.g)}
    torch.manual_seed(0)
    meta = {"generator": spec, **spec, "recipe": cfg.recipe_name, "step": 0, "precision": "fp32",
            "class_names": None, "config": cfg.to_dict()}
    model = GeneratorModel(build_generator(spec), meta, folder / preset)
    return model.save_pretrained(folder / preset)


def images_per_s(models: dict, n: int, repeats: int, blocks: int = 3) -> dict[str, tuple[float, float]]:
    """name -> (images per CPU-second, images per wall-second) of ``model.generate`` on n latents; medians.

    On one thread, the calling thread's CPU time (``time.thread_time``) is the
    work itself, which a machine shared with other jobs does not inflate; wall
    time there grows with every time slice the process waits for.  The models
    take turns in ``blocks`` blocks of ``repeats`` calls (not call by call:
    switching between torch and onnxruntime on every call makes both slower).
    """
    z = next(iter(models.values())).latents(n, seed=0)
    cpu: dict[str, list[float]] = {name: [] for name in models}
    wall: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(blocks):
        for name, model in models.items():
            for rep in range(repeats + 3):
                start_cpu, start_wall = time.thread_time(), time.perf_counter()
                model.generate(z)
                if rep >= 3:  # the first calls of a block warm caches and kernels up
                    cpu[name].append(time.thread_time() - start_cpu)
                    wall[name].append(time.perf_counter() - start_wall)
    return {name: (n / statistics.median(cpu[name]), n / statistics.median(wall[name])) for name in models}


def sampling_rows(repeats: int, root: Path) -> list[dict]:
    import onnxruntime

    from ganforge.export.onnx_model import OnnxGenerator, OnnxGeneratorModel

    rows = []
    for preset in PRESETS:
        saved = preset_model(preset, root)
        eager = ganforge.load(saved)
        onnx_path = export(saved, "onnx", root / f"{preset}.onnx")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1  # runs on the calling thread
        session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        exported = OnnxGeneratorModel(OnnxGenerator(session), eager.meta, onnx_path)
        for n in BATCHES:
            speed = images_per_s({"eager": eager, "onnx": exported}, n, repeats)
            (e, e_wall), (o, o_wall) = speed["eager"], speed["onnx"]
            rows.append({"preset": preset, "batch": n, "eager_images_per_cpu_s": round(e, 1),
                         "onnx_images_per_cpu_s": round(o, 1), "speedup": round(o / e, 2),
                         "eager_images_per_wall_s": round(e_wall, 1), "onnx_images_per_wall_s": round(o_wall, 1)})
            print(f"{preset:<14} batch {n:>3}: eager {e:8.1f} img/CPU-s ({e_wall:8.1f} img/wall-s)   "
                  f"onnxruntime {o:8.1f} img/CPU-s ({o_wall:8.1f} img/wall-s)   x{o / e:.2f}", flush=True)
    return rows


def web_row(run: Path, page_loads: int, screenshot: Path | None, root: Path) -> dict:
    folder = export(run, "web", root / "web")
    size = sum(p.stat().st_size for p in folder.iterdir())
    first_image, wall = [], []
    for i in range(page_loads):
        with browser.serve(folder) as base, browser.chromium(root / f"profile{i}") as driver:
            driver.set_window_size(820, 560)  # the screenshot's size; the same for every load, so timings compare
            start = time.perf_counter()
            state = browser.open_page(driver, base + "index.html")
            wall.append(time.perf_counter() - start)
            if state != "ready":
                raise SystemExit(f"the page did not start ({state}): {driver.find_element('id', 'status').text}")
            first_image.append(driver.execute_script("return window.ganforge.firstImageMs") / 1000)
            if screenshot and i == 0:
                driver.save_screenshot(str(screenshot))
    row = {"run": str(run), "folder_bytes": size, "folder_mb": round(size / 1e6, 2),
           "first_image_s": round(statistics.median(first_image), 2), "navigation_to_ready_s": round(statistics.median(wall), 2)}
    print(f"web export of {run}: {row['folder_mb']} MB; first image {row['first_image_s']} s after the script starts, "
          f"{row['navigation_to_ready_s']} s from navigation (median of {page_loads})")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--web-run", type=Path, help="a trained run to export as a web page and time in Chromium")
    parser.add_argument("--page-loads", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, help="save the page's screenshot here (with --web-run)")
    parser.add_argument("--skip-sampling", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)  # thread CPU time measures the work only when the work runs on this thread
    result = {"cpu": cpu_name(), "threads": 1, "torch": torch.__version__}
    print(f"CPU: {result['cpu']}; 1 thread; torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sampling:
            result["sampling"] = sampling_rows(args.repeats, Path(tmp))
        if args.web_run:
            result["web"] = web_row(args.web_run, args.page_loads, args.screenshot, Path(tmp))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    earlier = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    RESULTS.write_text(json.dumps({**earlier, **result}, indent=2) + "\n")  # a --skip-sampling run keeps the sampling table
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
