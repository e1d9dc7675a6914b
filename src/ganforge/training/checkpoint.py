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
renamed, so a crash mid-write never leaves a half checkpoint called "latest".
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganforge.errors import GanforgeError

WEIGHTS, STATE, META = "model.safetensors", "state.pt", "model.json"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_text_atomic(path: Path, text: str) -> None:
    """Replace a small text file atomically (temp file + fsync + rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


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
    """Write ``folder/name/`` atomically, point ``latest`` (and ``best`` if asked) at it, prune to ``keep`` newest."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    tmp = folder / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    save_file(tensors, str(tmp / WEIGHTS))
    torch.save(state, tmp / STATE)
    (tmp / META).write_text(json.dumps(meta, indent=2))
    for file in (WEIGHTS, STATE, META):
        _fsync_file(tmp / file)
    _fsync_dir(tmp)
    if final.exists():  # same step saved twice (e.g. Ctrl-C right after a periodic save)
        old = folder / f".old-{name}-{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    _fsync_dir(folder)
    write_text_atomic(folder / "latest", name + "\n")
    if best:
        write_text_atomic(folder / "best", name + "\n")
    if keep:
        prune(folder, keep)
    return final


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


def find_checkpoint(path: Path, which: str = "latest") -> Path:
    """Resolve a run directory, a checkpoints folder or a checkpoint directory to a checkpoint directory."""
    path = Path(path)
    if (path / WEIGHTS).exists():
        return path
    folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    name = read_pointer(folder, which)
    if name and (folder / name / WEIGHTS).exists():
        return folder / name
    found = list_checkpoints(folder)
    if which == "latest" and found:
        return found[-1]
    if which not in ("latest", "best") and (folder / which / WEIGHTS).exists():
        return folder / which
    raise GanforgeError(f"No {which} checkpoint found in {str(path)!r}; train first (ganforge train ...) or give a run directory.")


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
