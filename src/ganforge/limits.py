"""Every size a user, a file or a request can set, bounded in one place.

A number that arrives from outside (a config value, a CLI argument, a field of
an image's provenance, a model.json, a studio request) decides how much memory
and time a command takes.  Unbounded, ``interpolate --scale 100000`` asks for
22 GB and a model.json with ``width: 100000`` for 6.6 GB per request.  So each
such number is checked here, where it enters, against a named limit with its
reason, and a value out of range raises :class:`GanforgeError` with one
sentence naming the value and the valid range.

Metadata read back from files is treated exactly like a request: untrusted.

The limits are generous for real use (the largest presets, 100k-sample
evaluations, 128-px grids) and small enough that the worst accepted request
fits in a few GB of memory on a laptop.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Iterable

from ganforge.errors import GanforgeError

# ---------------------------------------------------------------- the limits

#: Seeds: torch generators take < 2^63, and ganforge adds small offsets to a seed (e.g. for labels).
MAX_SEED = 2**62
#: Samples per command (generate --n, --per-class x classes, eval --n, train.eval_n): 100k is a full FID set.
MAX_SAMPLES = 100_000
#: Bytes of float samples held at once: 100k 28x28 digits fit; 100k 128x128 RGB (19 GB) do not.
MAX_SAMPLE_BYTES = 2**31
#: Pixels of one written picture (grid or frame) after upscaling: 100 Mpx is an 8-GB-machine-safe PNG.
MAX_PICTURE_PIXELS = 100_000_000
#: Bytes of all the frames of one animation after upscaling (held in memory while encoding).
MAX_ANIMATION_BYTES = 2**30
#: Frames of one animation (interpolate --steps x legs); a 4-minute GIF at 20 fps.
MAX_FRAMES = 5000
#: Nearest-neighbour upscaling factor (--scale, provenance "scale"): 28 px x 64 = 1792 px already.
MAX_SCALE = 64
#: Padding between grid images, in pixels.
MAX_PADDING = 64
#: Latent grid side (--grid-around --n): n x n images.
MAX_GRID_SIDE = 32
#: Training images per side (data.resolution): the largest architecture makes 256 px.
MAX_RESOLUTION = 1024
#: Image channels a model may produce (grey, RGB, RGBA, or a paired A|B image of two RGBs).
MAX_CHANNELS = 16
#: Latent size (model.z_dim).
MAX_Z_DIM = 4096
#: Any width-like network option (width, max_channels, hidden sizes, embed_dim).
MAX_NET_WIDTH = 4096
#: Any count-like network option (extra_layers, blocks): depth, not width.
MAX_NET_DEPTH = 64
#: Parameters of one network rebuilt from a model.json (counted without allocating): 200M = 800 MB fp32.
MAX_PARAMETERS = 200_000_000
#: Classes of a conditional model.
MAX_CLASSES = 10_000
#: Images per optimiser step (train.batch_size).
MAX_BATCH = 65_536
#: Images in a training sample grid (train.grid_size).
MAX_GRID_IMAGES = 1024
#: A run name is one folder name: file systems allow 255 bytes; 100 characters keeps paths readable.
MAX_NAME_CHARS = 100

_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f]+$")
_CHECKPOINT = re.compile(r"^(latest|best|step_\d{1,12})$")


# ---------------------------------------------------------------- plain values


def check_int(value, what: str, low: int, high: int, hint: str = "") -> int:
    """``value`` as an int in [low, high]; bools, fractions, NaN and text are refused."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GanforgeError(f"{what} must be a whole number between {low} and {high}, got {value!r}.{hint}")
    if not low <= value <= high:
        raise GanforgeError(f"{what} must be between {low:,} and {high:,}, got {value:,}.{hint}")
    return value


def check_number(value, what: str, low: float, high: float) -> float:
    """``value`` as a finite float in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise GanforgeError(f"{what} must be a number between {low} and {high}, got {value!r}.")
    return float(value)


def check_seed(seed, what: str = "--seed") -> int:
    return check_int(seed, what, 0, MAX_SEED)


def check_seeds(seeds: Iterable, what: str = "--seeds") -> list[int]:
    seeds = list(seeds)
    check_int(len(seeds), f"The number of {what}", 1, MAX_FRAMES)
    return [check_seed(s, what) for s in seeds]


def check_count(n, what: str = "--n", high: int = MAX_SAMPLES) -> int:
    return check_int(n, what, 1, high)


def check_scale(scale, what: str = "--scale") -> int:
    return check_int(scale, what, 1, MAX_SCALE)


def check_nrow(nrow, n: int, what: str = "--nrow") -> int | None:
    """None = automatic; else 1..n images per row (more than n would only add empty columns)."""
    if nrow is None:
        return None
    return check_int(nrow, what, 1, max(1, n), " Leave it out for a square grid.")


def check_name(name, what: str = "Run name") -> str:
    """One folder name: printable, UTF-8, no separators, not "." / "..", at most MAX_NAME_CHARS."""
    if not isinstance(name, str) or not name.strip():
        raise GanforgeError(f"{what} must be a non-empty folder name, got {name!r}.")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise GanforgeError(f"{what} {name.encode('utf-8', 'backslashreplace').decode()!r} is not valid UTF-8 text; "
                            "use plain letters, digits, '-' and '_'.") from None
    if len(name) > MAX_NAME_CHARS:
        raise GanforgeError(f"{what} is {len(name)} characters long; use at most {MAX_NAME_CHARS}.")
    if name in (".", "..") or not _NAME.match(name):
        raise GanforgeError(f"{what} {name!r} must be a plain folder name without '/', '\\' or control characters.")
    return name


def check_checkpoint_name(name, what: str = "checkpoint") -> str:
    """latest, best or step_N: never a path (provenance and requests may not point elsewhere)."""
    if not isinstance(name, str) or not _CHECKPOINT.match(name):
        raise GanforgeError(f"The {what} {name!r} is not latest, best or a step_NNNNNN name; it cannot be used.")
    return name


# ---------------------------------------------------------------- pictures


def check_samples(n: int, shape: tuple[int, ...], what: str = "--n") -> int:
    """n samples of ``shape`` held as float32 must fit MAX_SAMPLE_BYTES (and n <= MAX_SAMPLES)."""
    check_count(n, what)
    per_sample = 4 * math.prod(shape)
    most = max(1, MAX_SAMPLE_BYTES // per_sample)
    if n > most:
        raise GanforgeError(f"{what} asks for {n:,} samples of shape {tuple(shape)}; at most {most:,} fit in memory at "
                            "once, so ask for fewer (several commands with other seeds make more).")
    return n


def grid_size(count: int, height: int, width: int, nrow: int | None = None, padding: int = 2) -> tuple[int, int]:
    """(height, width) in pixels of ``count`` images laid out ``nrow`` per row (default ~sqrt) with padding."""
    nrow = nrow or max(1, math.ceil(math.sqrt(count)))
    rows = math.ceil(count / nrow)
    return rows * (height + padding) + padding, nrow * (width + padding) + padding


def check_picture(height: int, width: int, scale: int = 1, what: str = "The picture",
                  fix: str = "use a smaller --scale or fewer images", error: type[GanforgeError] = GanforgeError) -> None:
    """One picture of height x width, upscaled by ``scale``, must stay under MAX_PICTURE_PIXELS.

    ``fix`` and ``error`` let each front end (CLI, studio upload) phrase the remedy its user can act on.
    """
    check_scale(scale)
    pixels = height * width * scale * scale
    if pixels > MAX_PICTURE_PIXELS:
        raise error(f"{what} would be {width * scale:,} x {height * scale:,} pixels, over the "
                    f"{MAX_PICTURE_PIXELS:,}-pixel limit; {fix}.")


def check_grid(count: int, shape: tuple[int, ...], nrow: int | None = None, padding: int = 2, scale: int = 1) -> None:
    """A grid of ``count`` images of ``shape`` (C, H, W): samples fit and the picture fits."""
    check_samples(count, shape)
    check_int(padding, "padding", 0, MAX_PADDING)
    check_picture(*grid_size(count, shape[-2], shape[-1], nrow, padding), scale=scale, what="The grid")


def check_animation(frames: int, shape: tuple[int, ...], scale: int = 1) -> None:
    """``frames`` frames of ``shape`` (C, H, W) upscaled by ``scale`` must fit MAX_FRAMES and MAX_ANIMATION_BYTES."""
    check_int(frames, "The number of frames", 1, MAX_FRAMES)
    check_picture(shape[-2], shape[-1], scale, "Each frame")
    size = frames * shape[-2] * shape[-1] * scale * scale * 3
    if size > MAX_ANIMATION_BYTES:
        raise GanforgeError(f"The animation would hold {size / 2**30:.1f} GiB of frames (limit "
                            f"{MAX_ANIMATION_BYTES / 2**30:.0f} GiB); use a smaller --scale or fewer --steps.")


# ---------------------------------------------------------------- networks


def check_net_options(cls: type, options: dict, where: str) -> None:
    """Type and range of every option given to network class ``cls``, read from its signature.

    Generic, so a new architecture is covered without a list here: int options
    are widths (1..MAX_NET_WIDTH) unless their name says they count layers or
    blocks (0..MAX_NET_DEPTH); list[int] options are layer widths; floats are
    finite; bools and text must be bools and text.  Unknown names are left to
    :func:`ganforge.nets.check_kwargs`, which lists the valid ones.
    """
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # noqa: BLE001 - unresolvable annotations: nothing to check against
        return
    for key, value in options.items():
        if key in hints:
            _check_option(value, hints[key], f"{where}.{key}", key)


def _check_option(value, hint, what: str, key: str) -> None:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # "int | None": None allowed, check the int
        if value is None and type(None) in typing.get_args(hint):
            return
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    base = typing.get_origin(hint) or hint
    if base is bool:
        if not isinstance(value, bool):
            raise GanforgeError(f"{what} must be true or false, got {value!r}.")
    elif base is int:
        depth = any(word in key for word in ("layers", "blocks", "depth"))
        check_int(value, what, 0 if depth else 1, MAX_NET_DEPTH if depth else MAX_NET_WIDTH)
    elif base is float:
        check_number(value, what, -1e6, 1e6)
    elif base in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise GanforgeError(f"{what} must be a list of layer sizes like [256, 512], got {value!r}.")
        check_int(len(value), f"The length of {what}", 1, MAX_NET_DEPTH)
        for item in value:
            check_int(item, f"Each size in {what}", 1, MAX_NET_WIDTH)
    elif base is str and not isinstance(value, str):
        raise GanforgeError(f"{what} must be text, got {value!r}.")


def check_parameter_count(build, what: str) -> None:
    """Build a network with ``build()`` on the meta device (no memory) and bound its parameter count."""
    import torch

    with torch.device("meta"):
        net = build()
    count = sum(p.numel() for p in net.parameters())
    if count > MAX_PARAMETERS:
        raise GanforgeError(f"{what} describes a network of {count:,} parameters, over the {MAX_PARAMETERS:,} limit; "
                            "it is not a model ganforge trained.")


# ---------------------------------------------------------------- a whole config


def check_config(cfg) -> None:
    """The size limits of a :class:`ganforge.config.Config` (called by ``presets.validate``)."""
    from ganforge.nets import ARCHS

    check_name(cfg.name)
    _check_finite(cfg, "")
    data, t = cfg.data, cfg.train
    if data.resolution is not None:
        check_int(data.resolution, "data.resolution", 1, MAX_RESOLUTION)
    check_int(cfg.model.z_dim, "model.z_dim", 1, MAX_Z_DIM)
    check_int(t.batch_size, "train.batch_size", 1, MAX_BATCH)
    check_int(t.grid_size, "train.grid_size", 1, MAX_GRID_IMAGES)
    check_int(t.eval_n, "train.eval_n", 2, MAX_SAMPLES)
    check_seed(t.seed, "train.seed")
    arch = ARCHS.get(cfg.model.arch)
    if isinstance(cfg.model.g, dict):
        check_net_options(arch.generator, cfg.model.g, "model.g")
    if isinstance(cfg.model.d, dict):
        check_net_options(arch.discriminator, cfg.model.d, "model.d")


def _check_finite(section, where: str) -> None:
    """Every float field of the config (and its sections) is finite: lr=inf or nan is refused here."""
    import dataclasses

    for f in dataclasses.fields(section):
        value, name = getattr(section, f.name), f"{where}{f.name}"
        if dataclasses.is_dataclass(value):
            _check_finite(value, name + ".")
        elif isinstance(value, float) and not math.isfinite(value):
            raise GanforgeError(f"{name} must be a finite number, got {value}.")
        elif isinstance(value, list) and any(isinstance(v, float) and not math.isfinite(v) for v in value):
            raise GanforgeError(f"{name} must hold finite numbers, got {value!r}.")


#: Truncation psi (BigGAN's trick): below 0.01 redrawing takes thousands of rounds and
#: changes nothing visible; above 4 almost no N(0, 1) component is ever redrawn.
TRUNCATION_RANGE = (0.01, 4.0)


def check_truncation(psi, what: str = "Truncation") -> float | None:
    """None (off) or a number in TRUNCATION_RANGE -> float; anything else is one clear line.

    The one check behind ``--truncation`` (CLI), the studio's slider and the Python API.
    """
    if psi is None:
        return None
    lo, hi = TRUNCATION_RANGE
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not math.isfinite(psi) or not lo <= psi <= hi:
        raise GanforgeError(f"{what} must be a number between {lo} and {hi} (e.g. 0.7), or left out for none; got {psi!r}.")
    return float(psi)
