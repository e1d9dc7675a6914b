"""Checkpoints: safetensors weights + a weights-only state file, written atomically.

Layout of one checkpoint (a self-describing model directory)::

    checkpoints/step_000500/
        model.json           # architecture, z_dim, data shape, class names, step
        model.safetensors    # "G.*", "D.*" and "G_ema.*" tensors
        state.pt             # optimisers, step, RNG, sampler, fixed latents (tensors/dicts only)
    checkpoints/latest       # text: the name of the newest complete checkpoint
    checkpoints/best         # text: the checkpoint with the best FID (when evaluated)

Nothing here is unpickled with code: ``state.pt`` is read with
``torch.load(weights_only=True)``, so a checkpoint from the internet cannot run code.
A checkpoint directory is first written under a temporary name, fsynced, then
renamed (:func:`ganforge.files.atomic_folder`), so a crash or a full disk
mid-write never leaves a half checkpoint called "latest"; the temporary folder
is removed on failure, and one left by ``kill -9`` is swept when the run is
next opened (:func:`remove_partial_checkpoints`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganforge.errors import GanforgeError
from ganforge.registry import error_line
from ganforge.files import atomic_folder, write_text_atomic

WEIGHTS, STATE, META = "model.safetensors", "state.pt", "model.json"


def flatten_modules(modules: dict[str, torch.nn.Module]) -> dict[str, torch.Tensor]:
    """{"G": net, ...} -> {"G.layer.weight": tensor, ...}, contiguous CPU copies for safetensors."""
    flat = {}
    for prefix, module in modules.items():
        for key, value in module.state_dict().items():
            flat[f"{prefix}.{key}"] = value.detach().cpu().contiguous().clone()
    return flat


def unflatten(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    start = prefix + "."
    return {k[len(start):]: v for k, v in tensors.items() if k.startswith(start)}


def save_checkpoint(folder: Path, name: str, tensors: dict[str, torch.Tensor], state: dict, meta: dict,
                    keep: int | None = None, best: bool = False) -> Path:
    """Write ``folder/name/`` atomically, point ``latest`` (and ``best`` if asked) at it, prune to ``keep`` newest.

    A failure (e.g. a full disk) raises a one-line GanforgeError and leaves
    the previous checkpoints and pointers as they were.
    """
    folder.mkdir(parents=True, exist_ok=True)

    def fill(tmp: Path) -> None:
        save_file(tensors, str(tmp / WEIGHTS))
        torch.save(state, tmp / STATE)
        (tmp / META).write_text(json.dumps(meta, indent=2))

    try:
        final = atomic_folder(folder / name, fill)
    except RuntimeError as exc:  # torch.save / safetensors report a full disk as RuntimeError
        raise GanforgeError(f"Could not write checkpoint {str(folder / name)!r} ({error_line(exc)}); "
                            "is the disk full? The previous checkpoints are kept.") from None
    write_text_atomic(folder / "latest", name + "\n")
    if best:
        write_text_atomic(folder / "best", name + "\n")
    if keep:
        prune(folder, keep)
    return final


def remove_partial_checkpoints(folder: Path) -> int:
    """Remove checkpoint folders that an interrupted write of an older ganforge left (``.tmp-step_*``, ``.old-step_*``).

    Today's temporary names (``ganforge.files.TEMP_PREFIX``) are swept with
    the rest of the run directory by :func:`ganforge.files.remove_stale_temps`.
    """
    removed = 0
    if folder.is_dir():
        for path in list(folder.glob(".tmp-step_*")) + list(folder.glob(".old-step_*")):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("step_*") if p.is_dir() and (p / WEIGHTS).exists() and (p / STATE).exists())


def prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints; never the one named in ``best``."""
    protected = {read_pointer(folder, "best"), read_pointer(folder, "latest")}
    for path in list_checkpoints(folder)[:-keep]:
        if path.name not in protected:
            shutil.rmtree(path, ignore_errors=True)


def read_pointer(folder: Path, pointer: str) -> str | None:
    path = folder / pointer
    return path.read_text().strip() if path.is_file() else None


def checkpoint_name(which: str) -> str:
    """``latest`` / ``best`` / ``step_000500`` / ``500`` -> a checkpoint or pointer name (never a path)."""
    which = str(which).strip()
    if which.isdigit():
        return f"step_{int(which):06d}"
    if not which or "/" in which or "\\" in which or which.startswith("."):
        raise GanforgeError(f"Checkpoint {which!r} is not a checkpoint name; use latest, best, step_000500 or 500.")
    return which


def find_checkpoint(path: Path, which: str = "latest") -> Path:
    """Resolve a run directory, a checkpoints folder or a checkpoint directory to a checkpoint directory."""
    path = Path(path)
    if (path / WEIGHTS).exists():
        return path
    which = checkpoint_name(which)
    folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    name = read_pointer(folder, which) if which in ("latest", "best") else None
    if name and "/" not in name and (folder / name / WEIGHTS).exists():
        return folder / name
    found = list_checkpoints(folder)
    if which == "latest" and found:
        return found[-1]
    if which not in ("latest", "best") and (folder / which / WEIGHTS).exists():
        return folder / which
    have = ", ".join(p.name for p in found[-5:]) or "none"
    raise GanforgeError(f"No {which} checkpoint found in {str(path)!r} (checkpoints: {have}); "
                        "train first (ganforge train ...) or give a run directory.")


def load_weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(Path(checkpoint) / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as exc:
        raise GanforgeError(f"Checkpoint weights {str(checkpoint)!r} are unreadable ({exc}); resume from an earlier checkpoint.") from None


def load_state(checkpoint: Path, device: str | torch.device = "cpu") -> dict:
    try:
        return torch.load(Path(checkpoint) / STATE, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt / unsafe files
        raise GanforgeError(f"Checkpoint state {str(checkpoint)!r} is unreadable or unsafe ({exc.__class__.__name__}); "
                            "resume from an earlier checkpoint.") from None


def load_meta(checkpoint: Path) -> dict:
    try:
        return json.loads((Path(checkpoint) / META).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GanforgeError(f"{str(checkpoint)!r} has no readable {META} ({exc.__class__.__name__}); it is not a ganforge model.") from None
