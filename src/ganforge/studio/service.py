"""What the studio does, as plain functions: no web framework here, so it is tested without a browser.

Everything that arrives from the browser is untrusted and checked here:

- a run name must be one plain folder name inside the runs root: no ``..``,
  no absolute path, no separator, and after resolving symlinks the run (and
  the checkpoint it points at) must still be inside the root;
- a checkpoint must be "latest", "best" or one of the run's own checkpoint names;
- seeds are whole numbers in [0, 2^31 - 1], at most :data:`MAX_IMAGES`
  images and :data:`MAX_FRAMES` animation frames per request, truncation off
  or in [0.05, 4];
- models are loaded with :func:`ganforge.load` (safetensors + JSON, never a
  pickle), on the CPU unless told otherwise; a run's kind (a generator, or an
  image-to-image translator: pix2pix / CycleGAN) is read from its model.json,
  so each tab lists and serves only its own kind;
- an uploaded or drawn image is checked by :mod:`ganforge.studio.uploads`
  (an image, within the pixel limit) before it is decoded.

Each failure is a :class:`StudioError` with one sentence the UI shows as is.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ganforge import limits
from ganforge.errors import GanforgeError
from ganforge.studio import uploads
from ganforge.studio.errors import StudioError

MAX_IMAGES = 64  # images per "Generate"
MAX_SEED = 2**31 - 1
MAX_STEPS = 120  # frames from one seed to the next
MAX_FPS = 50
KEEP_FILES = 200  # generated files kept in the output folder; older ones are deleted
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
_CHECKPOINT = re.compile(r"^step_\d{1,12}$")
GENERATOR, TRANSLATOR = "generator", "translator"  # the kinds of run, as model.json's generator "kind" names them
# What each kind is and which tab shows it, for the message when a run is asked for in the wrong tab.
_KIND_TEXT = {GENERATOR: "a generator run; open it in the Generate tab",
              TRANSLATOR: "an image-to-image translation run (pix2pix / CycleGAN); open it in the Translate tab"}


# ---------------------------------------------------------------- validation of plain values


def _whole(value, what: str) -> int:
    """An int from an int / integral float / digit string; StudioError otherwise."""
    if isinstance(value, bool) or value is None:
        raise StudioError(f"{what} must be a whole number, got {value!r}.")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[+-]?\d{1,20}", value):
            raise StudioError(f"{what} must be a whole number, got {value!r}.")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise StudioError(f"{what} must be a whole number, got {value!r}.")
        return int(value)
    if isinstance(value, int):
        return value
    raise StudioError(f"{what} must be a whole number, got {value!r}.")


def check_seed(seed, what: str = "Seed") -> int:
    seed = _whole(seed, what)
    if not 0 <= seed <= MAX_SEED:
        raise StudioError(f"{what} must be between 0 and {MAX_SEED}, got {seed}.")
    return seed


def check_count(n) -> int:
    n = _whole(n, "Number of images")
    if not 1 <= n <= MAX_IMAGES:
        raise StudioError(f"Number of images must be between 1 and {MAX_IMAGES} per request, got {n}.")
    return n


def check_steps(steps) -> int:
    steps = _whole(steps, "Steps")
    if not 1 <= steps <= MAX_STEPS:
        raise StudioError(f"Steps between the two seeds must be between 1 and {MAX_STEPS}, got {steps}.")
    return steps


def check_fps(fps) -> int:
    fps = _whole(fps, "Frames per second")
    if not 1 <= fps <= MAX_FPS:
        raise StudioError(f"Frames per second must be between 1 and {MAX_FPS}, got {fps}.")
    return fps


def check_truncation(value) -> float | None:
    """The slider's value: 0 / None / "" = off; else the one truncation check of ``ganforge.limits``."""
    if value is None or value == "" or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0):
        return None
    try:
        psi = float(value) if isinstance(value, str) else value
    except ValueError:
        raise StudioError(f"Truncation must be a number (0 = off), got {value!r}.") from None
    try:
        return limits.check_truncation(psi)
    except GanforgeError as exc:
        raise StudioError(f"{exc} (0 = off)") from None


def check_run_name(name) -> str:
    """A plain folder name: no path separators, no "..", not absolute, not hidden."""
    if not isinstance(name, str) or not name.strip():
        raise StudioError("Choose a run from the list.")
    name = name.strip()
    if os.path.isabs(name) or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise StudioError(f"Run {name!r} is an absolute path; choose a run from the list (a folder inside the runs folder).")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise StudioError(f"Run {name!r} is not a plain folder name; paths and '..' are not allowed, choose a run from the list.")
    if not _NAME.match(name):
        raise StudioError(f"Run {name!r} is not a valid run name; choose a run from the list.")
    return name


# ---------------------------------------------------------------- runs on disk


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def find_model_dir(run: Path, root: Path, which: str = "latest") -> Path | None:
    """The checkpoint directory ``which`` of ``run`` if it is complete and inside ``root``, else None."""
    from ganforge.training import checkpoint as ckpt

    try:
        folder = ckpt.find_checkpoint(run, which)
    except (GanforgeError, OSError, ValueError):
        return None
    if not _inside(folder, root) or not (folder / ckpt.META).is_file():
        return None
    return folder


def model_kind(folder: Path) -> str:
    """TRANSLATOR when checkpoint ``folder``'s model.json describes a translator, else GENERATOR (no weights read).

    An unreadable model.json counts as a generator: the run stays listed where
    it always was and loading it gives the one-line reason.
    """
    from ganforge.training import checkpoint as ckpt

    try:
        spec = ckpt.load_meta(folder).get("generator")
    except (GanforgeError, AttributeError):
        return GENERATOR
    return TRANSLATOR if isinstance(spec, dict) and spec.get("kind") == TRANSLATOR else GENERATOR


def check_direction(model, direction) -> str:
    """The translator's first direction when none is given, else one of ``model.directions``."""
    if direction is None or direction == "":
        return model.directions[0]
    if not isinstance(direction, str) or direction not in model.directions:
        raise StudioError(f"This run translates {' and '.join(model.directions)}, not {direction!r}; choose one of those.")
    return direction


@dataclass(frozen=True)
class Translation:
    """The files of one translation: the input as the model saw it and the output, both upscaled for the page,
    and the output at the model's size with provenance (what ``ganforge translate`` writes) to download."""

    input_view: Path
    output_view: Path
    download: Path
    direction: str


def is_run(path: Path, root: Path) -> bool:
    """A folder (not hidden, inside ``root`` after symlinks) with a loadable checkpoint or saved model."""
    return (path.is_dir() and not path.name.startswith(".") and _inside(path, root)
            and find_model_dir(path, root) is not None)


class Studio:
    """The studio's state: a runs root, an output folder, a small cache of loaded models."""

    def __init__(self, root: Path | str, out_dir: Path | str | None = None, device: str = "cpu", cache_size: int = 2) -> None:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise StudioError(f"Runs folder {str(root)!r} does not exist; give the folder your runs are in, e.g. runs/.")
        self.root = root.resolve()
        self.owns_out_dir = out_dir is None  # a temporary folder of our own, removed by close()
        self.out_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="ganforge-studio-"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.device, self.cache_size = device, cache_size
        self._models: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Forget loaded models; delete the output folder if the studio made it."""
        import shutil

        self._models.clear()
        if self.owns_out_dir:
            shutil.rmtree(self.out_dir, ignore_errors=True)

    # -- runs and checkpoints

    def list_runs(self, kind: str | None = GENERATOR) -> list[str]:
        """Names of the sub-folders of the root that are runs (or saved models) of ``kind`` (None: any), sorted."""
        try:
            entries = sorted(self.root.iterdir(), key=lambda p: p.name)
        except OSError:
            return []
        runs = [p for p in entries if _NAME.match(p.name) and is_run(p, self.root)]
        return [p.name for p in runs if kind is None or model_kind(find_model_dir(p, self.root)) == kind]

    def resolve_run(self, name) -> Path:
        """A run name from the browser -> its folder, or StudioError."""
        name = check_run_name(name)
        path = self.root / name
        if not _inside(path, self.root):
            raise StudioError(f"Run {name!r} points outside the runs folder; only runs inside {self.root.name}/ are served.")
        if not path.is_dir():
            raise StudioError(f"There is no run {name!r} in the runs folder; choose one from the list.")
        if find_model_dir(path, self.root) is None:
            raise StudioError(f"{name!r} is not a trained run (no complete checkpoint); choose another run.")
        return path

    def list_checkpoints(self, name) -> list[str]:
        """"latest", "best" (when the run has one), then the run's checkpoints newest first."""
        from ganforge.training import checkpoint as ckpt

        run = self.resolve_run(name)
        names = ["latest"]
        if find_model_dir(run, self.root, "best") is not None and ckpt.read_pointer(run / "checkpoints", "best"):
            names.append("best")
        names += [p.name for p in reversed(ckpt.list_checkpoints(run / "checkpoints")) if _inside(p, self.root)]
        return names

    def check_checkpoint(self, name, checkpoint) -> tuple[Path, str]:
        """(run folder, checkpoint name) after checking the name is one this run has."""
        run = self.resolve_run(name)
        checkpoint = (checkpoint or "latest") if isinstance(checkpoint, (str, type(None))) else checkpoint
        if not isinstance(checkpoint, str) or not (checkpoint in ("latest", "best") or _CHECKPOINT.match(checkpoint)):
            raise StudioError(f"Checkpoint {checkpoint!r} is not valid; choose latest, best or a step_NNNNNN from the list.")
        if find_model_dir(run, self.root, checkpoint) is None:
            raise StudioError(f"Run {run.name!r} has no checkpoint {checkpoint!r}; choose one from the list.")
        return run, checkpoint

    def model(self, name, checkpoint="latest", kind: str = GENERATOR):
        """The loaded model, a generator or a translator as ``kind`` asks (cached: the last ``cache_size`` used)."""
        from ganforge.api import load

        run, checkpoint = self.check_checkpoint(name, checkpoint)
        folder = find_model_dir(run, self.root, checkpoint)
        if (found := model_kind(folder)) != kind:
            raise StudioError(f"Run {run.name!r} is {_KIND_TEXT[found]}.")
        stamp = (folder / "model.safetensors").stat().st_mtime_ns
        key = (str(folder), stamp)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            model = load(folder, device=self.device)
            self._models[key] = model
            while len(self._models) > self.cache_size:
                self._models.popitem(last=False)
            return model

    def run_info(self, name, checkpoint="latest") -> dict:
        """What the UI shows about a run: shape, step, classes."""
        model = self.model(name, checkpoint)
        num_classes = int(getattr(model, "num_classes", 0) or 0)
        names = model.class_names if num_classes else None
        return {"run": Path(name).name, "checkpoint": model.source.name, "shape": list(model.shape),
                "z_dim": model.z_dim, "step": model.meta.get("step"), "num_classes": num_classes,
                "class_names": list(names) if names else ([str(i) for i in range(num_classes)] if num_classes else None)}

    def check_class(self, model, value):
        """None for unconditional models; a valid class id for conditional ones."""
        num_classes = int(getattr(model, "num_classes", 0) or 0)
        if not num_classes:
            return None  # the UI hides the class control; ignore a stale value
        if value is None or value == "":
            raise StudioError("This run is conditional: choose a class.")
        try:
            return model.class_index(value)  # the one class check (ganforge.model.class_index)
        except GanforgeError as exc:
            raise StudioError(str(exc)) from None

    def translator_info(self, name, checkpoint="latest") -> dict:
        """What the Translate tab shows about a translation run: step, image size and channels, directions."""
        model = self.model(name, checkpoint, kind=TRANSLATOR)
        return {"run": Path(name).name, "checkpoint": model.source.name, "step": model.meta.get("step"),
                "translator": model.meta["generator"]["translator"], "size": model.size,
                "channels": model.channels, "directions": model.directions}

    # -- making pictures

    def _out(self, stem: str, suffix: str) -> Path:
        self._prune()
        return self.out_dir / f"{stem}-{uuid.uuid4().hex[:8]}{suffix}"

    def _prune(self) -> None:
        files = sorted(self.out_dir.glob("*.*"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - KEEP_FILES + 1)]:
            old.unlink(missing_ok=True)

    def generate(self, name, checkpoint="latest", seed=0, n=16, truncation=None, label=None) -> Path:
        """A PNG grid of ``n`` samples (with provenance); returns its path."""
        from ganforge.art.provenance import save_samples

        seed, n, psi = check_seed(seed), check_count(n), check_truncation(truncation)
        model = self.model(name, checkpoint)
        if len(model.shape) != 3:
            raise StudioError("This run makes 2-D points, not images; the studio shows image runs only.")
        label = self.check_class(model, label)
        path = self._out(f"{check_run_name(name)}-seed{seed}", ".png")
        return save_samples(model, path, n=n, seed=seed, truncation=psi, label=label, scale=_scale(model))

    def interpolate(self, name, checkpoint="latest", seed_a=0, seed_b=1, steps=30, truncation=None, label=None,
                    fps=15) -> Path:
        """A looping GIF walking from ``seed_a`` to ``seed_b`` (slerp); returns its path."""
        from ganforge.art.animate import save_gif
        from ganforge.art.latent import interpolate
        from ganforge.art.provenance import provenance

        seed_a, seed_b = check_seed(seed_a, "First seed"), check_seed(seed_b, "Second seed")
        steps, fps, psi = check_steps(steps), check_fps(fps), check_truncation(truncation)
        model = self.model(name, checkpoint)
        if len(model.shape) != 3:
            raise StudioError("This run makes 2-D points, not images; the studio shows image runs only.")
        label = self.check_class(model, label)
        frames = interpolate(model, [seed_a, seed_b], steps=steps, truncation=psi, label=label)
        meta = provenance(model, "interpolation", seeds=[seed_a, seed_b], steps=steps, mode="slerp",
                          truncation=psi, closed=False, fps=float(fps), label=label)
        return save_gif(frames, self._out(f"walk-{seed_a}-{seed_b}", ".gif"), fps=fps, metadata=meta)


    def translate(self, name, checkpoint="latest", image=None, direction=None) -> Translation:
        """Translate an uploaded file or a drawn sketch (see :func:`uploads.image_file`) with a translation run.

        The input is decoded like ``ganforge translate`` decodes a file (the
        model's channels, centre square, its size) and translated exactly as
        ``TranslatorModel.translate_images`` does; the download is written by
        the CLI's own :func:`ganforge.translate.commands.save_translation`.
        """
        import torch

        from ganforge.art.grid import make_grid, save_image
        from ganforge.translate.commands import save_translation

        model = self.model(name, checkpoint, kind=TRANSLATOR)
        direction = check_direction(model, direction)
        self._prune()
        source = uploads.image_file(image, self.out_dir)
        x = torch.from_numpy(uploads.decode(source, model.size, model.channels))[None]  # uint8 (1, C, size, size)
        y = model.translate_images(x, direction)  # uint8 (1, C, size, size)
        stem, scale = f"{check_run_name(name)}-{direction}", _scale(model)
        return Translation(
            input_view=save_image(make_grid(x, nrow=1, padding=0), self._out(f"{stem}-input", ".png"), scale=scale),
            output_view=save_translation(model, y, self._out(f"{stem}-view", ".png"), direction, source, scale),
            download=save_translation(model, y, self._out(stem, ".png"), direction, source),
            direction=direction)


def _scale(model) -> int:
    """Upscale small images in grids so 28x28 digits are visible in the page (nearest)."""
    h = model.shape[-1]
    return 4 if h <= 32 else 2 if h <= 64 else 1
