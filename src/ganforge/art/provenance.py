"""Provenance: every image ganforge saves says how to make it again.

A saved PNG carries text chunks (GIFs: a JSON comment) naming the run, the
checkpoint, a fingerprint of its weights, the seed, the truncation and the
layout (n, nrow, index, padding, scale), plus the kind of picture:

``samples``      a grid of ``model.sample(n, seed)`` (or image ``index`` of it)
``latent-grid``  :func:`ganforge.art.latent.latent_grid` around ``seed``
``interpolation`` a walk between ``seeds`` (GIF / MP4)
``class-morph``  :func:`ganforge.art.latent.class_morph`: one ``seed``, class ids ``classes`` (GIF / MP4)
``translation`` ``ganforge translate``: ``direction`` and the input's name and SHA-256 (re-made from the input)

:func:`read_provenance` gets those fields back as typed values and
:func:`regenerate_from_png` re-creates the picture, pixel for pixel, from the
run directory; :func:`from_png_command` is ``ganforge generate --from-png``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from PIL import Image

from ganforge import __version__ as GANFORGE_VERSION  # noqa: N812
from ganforge import limits
from ganforge.art.grid import make_grid, save_image
from ganforge.errors import GanforgeError
from ganforge.files import sha256_file
from ganforge.modelcard import run_and_checkpoint  # noqa: F401 -- its home is below art/; re-exported
from ganforge.registry import Registry

FORMAT = "1"  # value of the "ganforge" key; bump if fields change meaning
# How each field is read back; anything else stays text.
_INTS = {"seed", "n", "nrow", "index", "padding", "scale", "steps", "step", "pad_value"}
_FLOATS = {"truncation", "spread", "fps"}
_OPTIONAL = {"truncation", "index", "label", "nrow"}  # "none" <-> None
_LISTS = {"seeds", "classes"}
_BOOLS = {"closed"}


def weights_fingerprint(checkpoint: Path) -> str:
    """First 16 hex digits of the SHA-256 of the checkpoint's weights file (or of an exported model file)."""
    from ganforge.training.checkpoint import WEIGHTS

    path = Path(checkpoint)
    return sha256_file(path if path.is_file() else path / WEIGHTS)[:16]


def provenance(model, kind: str, **fields) -> dict:
    """The metadata dict for a picture made from ``model``; values as Python types."""
    if kind not in KINDS:
        raise ValueError(f"unknown provenance kind {kind!r}")
    run, checkpoint = run_and_checkpoint(model)
    meta = {"ganforge": FORMAT, "ganforge_version": GANFORGE_VERSION, "kind": kind, "run": str(run),
            "checkpoint": checkpoint, "weights": weights_fingerprint(model.source)}
    step = model.meta.get("step")
    if step is not None:
        meta["step"] = int(step)
    meta.update(fields)
    return meta


def to_text(meta: dict) -> dict[str, str]:
    """Typed provenance -> PNG text values (None -> "none", lists -> "1,7,42")."""
    out = {}
    for key, value in meta.items():
        if value is None:
            out[key] = "none"
        elif isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)  # floats: repr, which round-trips exactly
    return out


def from_text(text: dict[str, str]) -> dict:
    """PNG text values -> typed provenance (inverse of :func:`to_text`)."""
    meta = {}
    for key, value in text.items():
        try:
            if key in _OPTIONAL and value == "none":
                meta[key] = None
            elif key in _INTS:
                meta[key] = int(value)
            elif key in _FLOATS:
                meta[key] = float(value)
            elif key in _LISTS:
                meta[key] = [int(v) for v in value.split(",") if v]
            elif key in _BOOLS:
                meta[key] = value == "true"
            else:
                meta[key] = value
        except ValueError:
            raise GanforgeError(f"Image metadata field {key}={value!r} is damaged; this file cannot be regenerated.") from None
    if meta.get("label") is not None and str(meta["label"]).lstrip("-").isdigit():
        meta["label"] = int(meta["label"])
    return meta


def read_provenance(path: Path | str) -> dict:
    """The provenance fields of a PNG (text chunks) or GIF (JSON comment), typed; {} when it has none."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            if img.format == "GIF":
                return _gif_provenance(img.info.get("comment", b""))
            return from_text(dict(getattr(img, "text", {}) or {}))
    except FileNotFoundError:
        raise GanforgeError(f"{str(path)!r} does not exist; give a PNG that ganforge saved.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise GanforgeError(f"{str(path)!r} is not a readable image ({exc.__class__.__name__}); give a PNG that ganforge saved.") from None


def _gif_provenance(comment: bytes | str) -> dict:
    """A GIF comment -> provenance dict; {} for a comment that is not ours (any text, not JSON, not a mapping)."""
    try:
        meta = json.loads(comment.decode("utf-8") if isinstance(comment, bytes) else comment) if comment else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}  # fields are checked by check_provenance before any use


def check_provenance(meta: dict) -> dict:
    """Types and ranges of the fields read back from a file: untrusted input, bounded like a request.

    The checkpoint must be a name (latest, best, step_N), never a path: an
    image cannot point ganforge at ``../../elsewhere``.
    """
    limits.check_checkpoint_name(meta.get("checkpoint"), "checkpoint named in the image's metadata")
    for key, check in _FIELD_CHECKS.items():
        if meta.get(key) is not None:
            check(meta[key], f"The image's metadata field {key!r}")
    return meta


def _each(check):
    """A check of one value -> a check of a non-empty list of them (seeds, classes)."""
    def check_list(values, what: str) -> list:
        if not isinstance(values, list):
            raise GanforgeError(f"{what} must be a list, got {values!r}; this file cannot be regenerated.")
        limits.check_int(len(values), f"The length of {what}", 1, limits.MAX_FRAMES)
        return [check(v, what) for v in values]
    return check_list


def _text_or_int(value, what: str):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise GanforgeError(f"{what} must be a class id or name, got {value!r}; this file cannot be regenerated.")
    return value


_FIELD_CHECKS = {
    "seed": limits.check_seed,
    "n": limits.check_count,
    "nrow": limits.check_count,
    "index": lambda v, what: limits.check_int(v, what, 0, limits.MAX_SAMPLES - 1),
    "padding": lambda v, what: limits.check_int(v, what, 0, limits.MAX_PADDING),
    "scale": limits.check_scale,
    "steps": lambda v, what: limits.check_int(v, what, 1, limits.MAX_FRAMES),
    "seeds": _each(limits.check_seed),
    "classes": _each(lambda v, what: limits.check_int(v, what, 0, limits.MAX_CLASSES - 1)),
    "spread": lambda v, what: limits.check_number(v, what, 0, 10),
    "truncation": lambda v, what: limits.check_number(v, what, 0.01, 100),
    "fps": lambda v, what: limits.check_number(v, what, 0.01, 100),
    "label": _text_or_int,
    "run": lambda v, what: v if isinstance(v, str) else _not_a_path(v, what),
}


def _not_a_path(value, what: str):
    raise GanforgeError(f"{what} must be a folder path, got {value!r}; give the run with --run RUN_DIR.")


def _check_output_size(model, meta: dict) -> None:
    """The picture the metadata describes must fit the limits, checked before generating it."""
    if len(model.shape) != 3:
        return
    PICTURE_KINDS.get(meta["kind"]).check_size(model, meta, meta.get("padding", 2), meta.get("scale", 1))


def _grid_size(model, meta: dict, padding: int, scale: int) -> None:
    limits.check_grid(meta.get("n", 1), model.shape, meta.get("nrow"), padding, scale)


def _latent_grid_size(model, meta: dict, padding: int, scale: int) -> None:
    limits.check_int(meta.get("n", 8), "The image's metadata field 'n'", 1, limits.MAX_GRID_SIDE)
    limits.check_grid(meta.get("n", 8) ** 2, model.shape, meta.get("n", 8), padding, scale)


def _animation_size(model, meta: dict, padding: int, scale: int) -> None:
    keys = len(meta.get("seeds") or meta.get("classes") or [0, 0])
    steps = meta.get("steps", 1)
    limits.check_animation(steps * keys if meta.get("closed") else steps * (keys - 1) + 1, model.shape, 1)


# ---------------------------------------------------------------- making and remaking


def sample_images(model, n: int, seed: int, truncation: float | None = None, label=None) -> torch.Tensor:
    """uint8 (n, C, H, W) = ``model.sample_images(n, seed, ...)``; a class only for conditional models."""
    if label is not None:
        return model.sample_images(n, seed=seed, labels=label, truncation=truncation)
    return model.sample_images(n, seed=seed, truncation=truncation)


def save_samples(model, path: Path | str, n: int = 64, seed: int = 0, truncation: float | None = None,
                 nrow: int | None = None, padding: int = 2, scale: int = 1, label=None,
                 index: int | None = None) -> Path:
    """A PNG grid of ``n`` samples (or only image ``index`` of them) with full provenance."""
    images = sample_images(model, n, seed, truncation, label)
    meta = provenance(model, "samples", seed=seed, n=n, nrow=nrow, truncation=truncation, padding=padding,
                      scale=scale, index=index, label=label)
    return save_image(_layout(images, meta), path, to_text(meta), scale=scale)


def save_latent_grid(model, path: Path | str, seed: int, n: int = 8, spread: float = 0.5,
                     truncation: float | None = None, padding: int = 2, scale: int = 1, label=None) -> Path:
    """A PNG of :func:`latent_grid` (n x n) with full provenance."""
    from ganforge.art.latent import latent_grid

    images = latent_grid(model, seed, n=n, spread=spread, truncation=truncation, label=label)
    meta = provenance(model, "latent-grid", seed=seed, n=n, nrow=n, spread=float(spread), truncation=truncation,
                      padding=padding, scale=scale, label=label)
    return save_image(_layout(images, meta), path, to_text(meta), scale=scale)


def _layout(images: torch.Tensor, meta: dict) -> Image.Image:
    """The unscaled picture the metadata describes: one image (``index``) or a grid."""
    index = meta.get("index")
    if index is not None:
        if not 0 <= index < len(images):
            raise GanforgeError(f"Image index {index} is outside the {len(images)} generated images.")
        return make_grid(images[index : index + 1], nrow=1, padding=0)
    nrow = meta.get("nrow") or max(1, math.ceil(math.sqrt(len(images))))
    return make_grid(images, nrow=nrow, padding=meta.get("padding", 2))


def _regenerate_samples(model, meta: dict, label, truncation) -> torch.Tensor:
    return sample_images(model, meta["n"], meta["seed"], truncation, label)


def _regenerate_interpolation(model, meta: dict, label, truncation) -> torch.Tensor:
    from ganforge.art.latent import interpolate

    return interpolate(model, meta["seeds"], steps=meta["steps"], mode=meta.get("mode", "slerp"),
                       truncation=truncation, closed=bool(meta.get("closed", False)), label=label)


def _regenerate_latent_grid(model, meta: dict, label, truncation) -> torch.Tensor:
    from ganforge.art.latent import latent_grid

    return latent_grid(model, meta["seed"], n=meta["n"], spread=meta["spread"], truncation=truncation, label=label)


def _regenerate_class_morph(model, meta: dict, label, truncation) -> torch.Tensor:
    from ganforge.art.latent import class_morph

    return class_morph(model, meta["seed"], meta["classes"], steps=meta["steps"], truncation=truncation,
                       closed=bool(meta.get("closed", False)))


@dataclass(frozen=True)
class PictureKind:
    """One kind of picture ganforge saves, registered under the ``kind`` its provenance holds.

    ``needed``: the fields its provenance must hold besides run and checkpoint;
    ``remake(model, meta, label, truncation)``: its uint8 images (N, C, H, W) again;
    ``check_size(model, meta, padding, scale)``: refuses a picture over the limits before it is made;
    ``animation``: a GIF / MP4 (remade by ``ganforge interpolate``, not ``generate --from-png``);
    ``indexed``: ``index`` picks one image of the ``n`` remade.
    """

    needed: tuple[str, ...]
    remake: Callable[..., torch.Tensor]
    check_size: Callable[..., None] = _animation_size
    animation: bool = False
    indexed: bool = False


PICTURE_KINDS: Registry[PictureKind] = Registry("picture kind")
PICTURE_KINDS.register("samples")(PictureKind(("seed", "n"), _regenerate_samples, _grid_size, indexed=True))
PICTURE_KINDS.register("latent-grid")(PictureKind(("seed",), _regenerate_latent_grid, _latent_grid_size))
PICTURE_KINDS.register("interpolation")(PictureKind(("seeds",), _regenerate_interpolation, animation=True))
PICTURE_KINDS.register("class-morph")(PictureKind(("seed", "classes"), _regenerate_class_morph, animation=True))
PICTURE_KINDS.register("translation")(PictureKind(
    ("direction", "input_sha256"), lambda model, meta, label, truncation: _remake_translation(meta)))
KINDS = tuple(PICTURE_KINDS)
ANIMATIONS = tuple(k for k in KINDS if PICTURE_KINDS.get(k).animation)


def _remake_translation(meta: dict):
    """A translation (``ganforge translate``) depends on its input image, which the PNG does not hold."""
    raise GanforgeError(f"This image is a translation of {meta.get('input', 'an input image')!r} (SHA-256 "
                        f"{meta['input_sha256'][:16]}...); re-make it with `ganforge translate {meta['run']} INPUT "
                        f"--direction {meta['direction']} --out DIR`, the input is not stored in the PNG.")


def regenerate(meta: dict, run: Path | str | None = None, device: str = "cpu") -> tuple[torch.Tensor, dict]:
    """(uint8 images (N, C, H, W), meta) re-created from provenance fields; ``run`` overrides a moved run folder."""
    from ganforge.model import load_generator as load

    if meta.get("ganforge") != FORMAT or meta.get("kind") not in KINDS:
        raise GanforgeError("This image has no ganforge provenance (it was not saved by ganforge, or its metadata "
                            "was stripped); nothing to regenerate from.")
    kind = PICTURE_KINDS.get(meta["kind"])
    missing = [k for k in ("run", "checkpoint", *kind.needed) if k not in meta]
    if missing:
        raise GanforgeError(f"The image's provenance lacks {', '.join(missing)}; it cannot be regenerated.")
    check_provenance(meta)
    folder = Path(run) if run is not None else Path(meta["run"])
    model = load(folder, checkpoint=meta["checkpoint"], device=device)
    _check_output_size(model, meta)
    if meta.get("weights") and weights_fingerprint(model.source) != meta["weights"]:
        raise GanforgeError(f"The weights in {str(model.source)!r} are not the ones this image was made with "
                            "(the checkpoint was replaced or retrained); regenerating would give other pictures.")
    images = kind.remake(model, meta, meta.get("label"), meta.get("truncation"))
    return images, meta


def regenerate_from_png(path: Path | str, run: Path | str | None = None, device: str = "cpu") -> tuple[torch.Tensor, dict]:
    """Re-create the images of a ganforge PNG: (uint8 images (N, C, H, W), its provenance).

    For a single-image PNG (``index`` set) that one image is returned, (1, C, H, W).
    """
    meta = read_provenance(path)
    images, meta = regenerate(meta, run=run, device=device)
    index = meta.get("index")
    if index is not None and PICTURE_KINDS.get(meta["kind"]).indexed:
        images = images[index : index + 1]
    return images, meta


def from_png_command(png_path: Path | str, out_path: Path | str, run: Path | str | None = None,
                     device: str = "cpu") -> Path:
    """``ganforge generate --from-png FILE --out copy.png``: write the same picture again, same metadata."""
    meta = read_provenance(png_path)
    if meta.get("kind") in ANIMATIONS:
        raise GanforgeError(f"{str(png_path)!r} holds an animation's provenance; regenerate it with `ganforge interpolate`.")
    images, meta = regenerate(meta, run=run, device=device)
    return save_image(_layout(images, meta), out_path, to_text(meta), scale=meta.get("scale", 1))
