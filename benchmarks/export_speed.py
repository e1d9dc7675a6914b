"""Exported vs eager sampling speed on CPU, and the web export in Chromium.

    python benchmarks/export_speed.py                                   # the BENCHMARKS.md tables
    python benchmarks/export_speed.py --web-run runs/fashion --screenshot docs/gallery/web_export.png

Sampling: for each DCGAN preset the generator is built at the preset's size
(random weights: the cost does not depend on their values), exported to ONNX,
and ``generate`` is timed for batches of 1 and 64 latents with PyTorch eager
and with onnxruntime (CPU provider), both on ``--threads`` threads (default
1, so the numbers do not depend on what else the machine runs).  Reported:
images/s from the median (and the best) of 3 blocks of ``--repeats`` timed
calls after warm-up, the two models taking turns block by block.

Web: ``--web-run RUN`` exports RUN's generator as a web page, reports the
folder size and the time from navigation to the first drawn image in
headless Chromium (fresh profile each time, median of ``--page-loads``), and
saves a screenshot of the page for ``--screenshot``.  Results also go to
benchmarks/results/export_speed.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch

import ganforge
from ganforge.api import GeneratorModel
from ganforge.export import browser, export
from ganforge.nets import build_generator
from ganforge.presets import load_config

# preset -> sample shape (C, H, W) of its data (the generator's output)
PRESETS = {"mnist-dcgan": (1, 28, 28), "fashion-dcgan": (1, 28, 28), "emoji-dcgan": (3, 64, 64)}
BATCHES = (1, 64)
RESULTS = Path(__file__).parent / "results" / "export_speed.json"


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown CPU"


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
    """name -> (median, best) images/s of ``model.generate`` on n latents.

    The models take turns in ``blocks`` blocks of ``repeats`` calls, so a
    burst of load from other processes slows both alike.  Not call by call:
    switching between torch and onnxruntime on every call makes both several
    times slower than either alone (caches and allocators are cold each time).
    """
    z = next(iter(models.values())).latents(n, seed=0)
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(blocks):
        for name, model in models.items():
            for rep in range(repeats + 3):
                start = time.perf_counter()
                model.generate(z)
                if rep >= 3:  # the first calls of a block warm caches and kernels up
                    times[name].append(time.perf_counter() - start)
    return {name: (n / statistics.median(t), n / min(t)) for name, t in times.items()}


def sampling_rows(threads: int, repeats: int, root: Path) -> list[dict]:
    import onnxruntime

    from ganforge.export.onnx_model import OnnxGenerator, OnnxGeneratorModel

    rows = []
    for preset in PRESETS:
        saved = preset_model(preset, root)
        eager = ganforge.load(saved)
        onnx_path = export(saved, "onnx", root / f"{preset}.onnx")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        exported = OnnxGeneratorModel(OnnxGenerator(session), eager.meta, onnx_path)
        for n in BATCHES:
            speed = images_per_s({"eager": eager, "onnx": exported}, n, repeats)
            (e, e_best), (o, o_best) = speed["eager"], speed["onnx"]
            rows.append({"preset": preset, "batch": n, "eager_images_per_s": round(e, 1), "onnx_images_per_s": round(o, 1),
                         "speedup": round(o / e, 2), "eager_best": round(e_best, 1), "onnx_best": round(o_best, 1)})
            print(f"{preset:<14} batch {n:>3}: eager {e:9.1f} img/s (best {e_best:9.1f})   "
                  f"onnxruntime {o:9.1f} img/s (best {o_best:9.1f})   x{o / e:.2f}", flush=True)
    return rows


def web_row(run: Path, page_loads: int, screenshot: Path | None, root: Path) -> dict:
    folder = export(run, "web", root / "web")
    size = sum(p.stat().st_size for p in folder.iterdir())
    first_image, wall = [], []
    for i in range(page_loads):
        with browser.serve(folder) as base, browser.chromium(root / f"profile{i}") as driver:
            start = time.perf_counter()
            state = browser.open_page(driver, base + "index.html")
            wall.append(time.perf_counter() - start)
            if state != "ready":
                raise SystemExit(f"the page did not start ({state}): {driver.find_element('id', 'status').text}")
            first_image.append(driver.execute_script("return window.ganforge.firstImageMs") / 1000)
            if screenshot and i == 0:
                driver.set_window_size(760, 420)
                driver.save_screenshot(str(screenshot))
    row = {"run": str(run), "folder_bytes": size, "folder_mb": round(size / 1e6, 2),
           "first_image_s": round(statistics.median(first_image), 2), "navigation_to_ready_s": round(statistics.median(wall), 2)}
    print(f"web export of {run}: {row['folder_mb']} MB; first image {row['first_image_s']} s after the script starts, "
          f"{row['navigation_to_ready_s']} s from navigation (median of {page_loads})")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--web-run", type=Path, help="a trained run to export as a web page and time in Chromium")
    parser.add_argument("--page-loads", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, help="save the page's screenshot here (with --web-run)")
    parser.add_argument("--skip-sampling", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {"cpu": cpu_name(), "threads": args.threads, "torch": torch.__version__}
    print(f"CPU: {result['cpu']}; {args.threads} thread(s); torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sampling:
            result["sampling"] = sampling_rows(args.threads, args.repeats, Path(tmp))
        if args.web_run:
            result["web"] = web_row(args.web_run, args.page_loads, args.screenshot, Path(tmp))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
