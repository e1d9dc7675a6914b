"""In-browser generation: ``ganforge export RUN --format web --out DIR`` writes a static page.

The folder holds ``index.html`` + ``app.js``, the generator as ``model.onnx``,
and onnxruntime-web (its wasm build, vendored: the page fetches nothing from
outside the folder, so it works offline).  Serve it with any static server,
e.g. ``python -m http.server -d DIR`` (browsers do not run wasm modules from
``file://``).

Seeds: ganforge draws z with torch's CPU generator, which JavaScript cannot
reproduce, so the export carries a *latent table*: row s of ``latents.bin``
(float32, little-endian, ``SEEDS`` x z_dim) is ``model.latents(1, s)``, and
for conditional runs ``meta.json`` lists each seed's own class
(``model.labels_for(1, None, s)``).  The page for seed s therefore draws what
``ganforge generate RUN --seed s --n 1`` draws.  Seeds outside 0..SEEDS-1 are
refused with a message.

onnxruntime-web ships inside ganforge (``web_assets/``): the ES-module
bundle (73 KB) and the SIMD wasm binary stored xz-compressed (2.2 MB;
14.2 MB once unpacked into the export).
"""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.export.onnx import OUTPUT_NAME, to_onnx_proto
from ganforge.export.prepare import metadata
from ganforge.export.registry import FORMATS, ExportFormat
from ganforge.files import atomic_folder

if TYPE_CHECKING:  # annotations only: ganforge.api imports this package lazily
    from ganforge.api import GeneratorModel

SEEDS = 1024
META_FILE = "meta.json"
PAGE_FILES = ("index.html", "app.js", "ort.wasm.bundle.min.mjs", "LICENSE-onnxruntime-web.txt")
ORT_WASM = "ort-wasm-simd-threaded.wasm"
ORT_WASM_SHA256 = "3398c10d07d229bd91b364548e130e0e51a8e5704b88c7c083ebbeb78842dee2"


def assets() -> Path:
    return Path(str(resources.files("ganforge.export") / "web_assets"))


def latent_table(model: GeneratorModel, seeds: int = SEEDS) -> np.ndarray:
    """(seeds, z_dim) float32: row s = ``model.latents(1, s)[0]``, the z of ``sample(1, seed=s)``."""
    return np.stack([model.latents(1, s)[0].numpy() for s in range(seeds)]).astype("<f4")


def page_meta(model: GeneratorModel, seeds: int = SEEDS) -> dict:
    """What app.js reads: shapes, the table size, classes and each seed's own class, titles, provenance."""
    meta = metadata(model)
    cfg = model.meta.get("config") or {}
    name = cfg.get("name") or meta["ganforge.run"].rsplit("/", 1)[-1]
    labels = [int(model.labels_for(1, None, s)[0]) for s in range(seeds)] if model.num_classes else None
    names = (model.class_names or [str(i) for i in range(model.num_classes)]) if model.num_classes else None
    return {"ganforge_web": 1, "title": f"{name}: {model.meta.get('recipe', 'GAN')} generator",
            "about": f"run {meta['ganforge.run']}, checkpoint {meta['ganforge.checkpoint']} "
                     f"(weights {meta['ganforge.fingerprint']}); seeds 0-{seeds - 1}; runs in this browser, offline.",
            "shape": list(model.shape), "z_dim": model.z_dim, "seeds": seeds, "output": OUTPUT_NAME,
            "class_names": names, "seed_labels": labels,
            "provenance": {k.removeprefix("ganforge."): v for k, v in meta.items() if k != "ganforge.model_json"}}


def _unpack_wasm(dest: Path) -> None:
    data = lzma.decompress((assets() / f"{ORT_WASM}.xz").read_bytes())
    if hashlib.sha256(data).hexdigest() != ORT_WASM_SHA256:
        raise GanforgeError("ganforge's vendored onnxruntime-web wasm is damaged; reinstall ganforge.")
    (dest / ORT_WASM).write_bytes(data)


def _check_target(out: Path) -> None:
    """The export replaces ``out`` wholesale, so it must be new, empty or an earlier web export."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / META_FILE).is_file())):
        raise GanforgeError(f"{str(out)!r} exists and is not an earlier web export; give --out a new folder name.")
    if (out / META_FILE).is_file():
        try:
            ours = "ganforge_web" in json.loads((out / META_FILE).read_text())
        except (OSError, ValueError):
            ours = False
        if not ours:
            raise GanforgeError(f"{str(out)!r} holds a meta.json that is not ganforge's; give --out a new folder name.")


def write_web(model: GeneratorModel, out: Path) -> Path:
    """Write the page folder ``out`` atomically (replacing an earlier web export there); returns it."""
    import onnx

    out = Path(out)
    if len(model.shape) != 3:
        raise GanforgeError(f"--format web draws images, but this model makes points of shape {tuple(model.shape)}; "
                            "use --format onnx.")
    _check_target(out)
    proto = to_onnx_proto(model)

    def fill(tmp: Path) -> None:
        onnx.save_model(proto, str(tmp / "model.onnx"))
        latent_table(model).tofile(tmp / "latents.bin")
        (tmp / META_FILE).write_text(json.dumps(page_meta(model)))
        for name in PAGE_FILES:
            shutil.copyfile(assets() / name, tmp / name)
        _unpack_wasm(tmp)

    return atomic_folder(out, fill)


def usage(model: GeneratorModel, path: Path) -> list[str]:
    return [f"# serve the folder, then open http://127.0.0.1:8000/ : python -m http.server -d {path.name} 8000",
            "import ganforge", "model = ganforge.load('model.onnx')  # the same model from Python",
            "images = model.sample(1, seed=42)  # what the page shows for seed 42"]


FORMATS.register("web")(ExportFormat(write_web, usage, "web-export/", view="view it: python -m http.server -d "
                                     "{path} 8000, then open http://127.0.0.1:8000/"))
