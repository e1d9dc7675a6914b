"""Exporting a trained generator: ONNX, TorchScript and a static in-browser page.

    ganforge export runs/digits --format onnx --out digits.onnx
    ganforge export runs/digits --format torchscript --out digits.pt
    ganforge export runs/emoji --format web --out emoji-web/

:func:`export` is the one entry point: it loads the sampling generator
exactly as ``ganforge.load(run)`` does (EMA when kept, eval mode), writes the
format found by name in :data:`FORMATS`, and puts a model card (README.md)
beside it.  ``ganforge.load("x.onnx")`` samples from an exported file with the
same API (:mod:`ganforge.export.onnx_model`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ganforge.errors import GanforgeError
from ganforge.export.registry import FORMATS, ExportFormat
from ganforge.files import TEMP_PREFIX, os_error_message

# Importing the modules registers the formats.
from ganforge.export import onnx, torchscript, web  # noqa: E402,F401

if TYPE_CHECKING:  # annotations only: ganforge.api imports this package lazily
    from ganforge.api import GeneratorModel

__all__ = ["FORMATS", "ExportFormat", "export"]


def check_writable(folder: Path) -> None:
    """Fail early, in one line, when ``folder`` cannot take new files (read-only file system, permissions)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMP_PREFIX):
            pass
    except OSError as exc:
        raise GanforgeError(os_error_message(exc, folder)) from None


def export(source: GeneratorModel | Path | str, fmt: str, out: Path | str, checkpoint: str = "latest") -> Path:
    """Export the sampling generator of ``source`` (a run / checkpoint / saved-model path or a loaded model) to ``out``.

    Returns the path written (a file, or the folder for ``web``); a model card
    goes beside it (README.md, or MODEL_CARD.md next to a README that is not ours).
    """
    from ganforge.api import GeneratorModel, load
    from ganforge.art.provenance import run_and_checkpoint
    from ganforge.export.onnx_model import OnnxGeneratorModel
    from ganforge.modelcard import write_card

    kind, out = FORMATS.get(fmt), Path(out)
    model = source if isinstance(source, GeneratorModel) else load(source, checkpoint=checkpoint)
    if isinstance(model, OnnxGeneratorModel):
        raise GanforgeError(f"{str(model.source)!r} is already an export; export from the run directory it came from.")
    if not isinstance(model, GeneratorModel):  # e.g. a pix2pix / CycleGAN translator: images in, no latents
        raise GanforgeError(f"{str(source)!r} is not a latent generator ({type(model).__name__}); "
                            "ganforge export handles generators that map z (and class labels) to samples.")
    check_writable(out.parent)
    written = kind.write(model, out)
    folder = written if written.is_dir() else written.parent
    files = sorted(p.name for p in folder.iterdir() if p.is_file()) if written.is_dir() else [written.name]
    run, name = run_and_checkpoint(model)
    command = f"ganforge export {run} --checkpoint {name} --format {fmt} --out {out}"
    write_card(folder, model, files, [command], kind.usage(model, written))
    return written
