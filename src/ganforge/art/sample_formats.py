"""Output formats of ``ganforge generate``, registered by name (``--format NAME``).

Each format is one writer ``write(args, model, make, out, nrow)`` (``make()``
draws the samples (N, *shape) in [-1, 1]; writers that resample skip it) plus
what the command must check before any work: whether the output is a folder,
whether it needs images, and whether it is one grid. Without ``--format`` the
suffix of ``--out`` picks the format (``samples.npy`` -> npy); a suffix that
names another format than the one asked for is refused before any work, so a
file never holds something other than its name says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.files import atomic_write
from ganforge.registry import Registry


@dataclass(frozen=True)
class SampleFormat:
    write: Callable
    default_out: str
    folder: bool = False  # the output is a folder of files
    images_only: bool = True  # points models cannot be written this way
    grid: bool = False  # one picture: the grid size is bounded
    suffix: str = ""  # the file ending that names this format ("" for folders)


SAMPLE_FORMATS: Registry[SampleFormat] = Registry("sample format")


def _write_npy(args, model, make, out: Path, nrow) -> None:
    """samples (N, *shape) float -> one .npy file.  ``make()`` draws the samples (writers that resample skip it)."""
    samples = make().numpy()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: np.save would append ".npy" to the temporary name
            np.save(f, samples)

    atomic_write(out, write)


def _write_png(args, model, make, out: Path, nrow) -> None:
    """One grid PNG with provenance (a class-per-row grid records its seed and layout)."""
    from ganforge.art import provenance
    from ganforge.art.grid import make_grid, save_image
    from ganforge.data.base import to_uint8_images

    if args.per_class is not None:
        meta = {"run": str(args.run), "checkpoint": model.source.name, "seed": args.seed, "per_class": args.per_class}
        save_image(make_grid(to_uint8_images(make()), nrow=nrow), out, meta)
    else:
        provenance.save_samples(model, out, n=args.n, seed=args.seed, truncation=args.truncation, nrow=nrow,
                                label=args.class_)


def _write_png_dir(args, model, make, out: Path, nrow) -> None:
    """One PNG per sample, each with the provenance of its index."""
    from ganforge.art import provenance
    from ganforge.art.grid import make_grid, save_image
    from ganforge.data.base import to_uint8_images

    for i, image in enumerate(to_uint8_images(make())):
        meta = provenance.provenance(model, "samples", seed=args.seed, n=args.n, nrow=None, padding=0, scale=1,
                                     truncation=args.truncation, index=i, label=args.class_)
        save_image(make_grid(image[None], nrow=1, padding=0), out / f"{i:05d}.png", provenance.to_text(meta))


SAMPLE_FORMATS.register("png")(SampleFormat(_write_png, "samples.png", grid=True, suffix=".png"))
SAMPLE_FORMATS.register("png-dir")(SampleFormat(_write_png_dir, "samples", folder=True))
SAMPLE_FORMATS.register("npy")(SampleFormat(_write_npy, "samples.npy", images_only=False, suffix=".npy"))

DEFAULT_FORMAT = "png"


def choose_format(name: str | None, out: str | None) -> SampleFormat:
    """The format ``--format NAME`` asks for, else the one ``--out``'s suffix names, else png.

    Refuses (one line, before any work) an ``--out`` whose suffix names another format,
    e.g. ``--format npy --out grid.png``: the file would hold something its name denies.
    """
    suffix = Path(out).suffix.lower() if out else ""
    named = next((n for n in SAMPLE_FORMATS if suffix and SAMPLE_FORMATS.get(n).suffix == suffix), None)
    if name is None:
        return SAMPLE_FORMATS.get(named or DEFAULT_FORMAT)
    fmt = SAMPLE_FORMATS.get(name)
    if named is not None and named != name:
        fix = f"end it in {fmt.suffix}" if fmt.suffix else "give a folder name without a suffix"
        raise GanforgeError(f"--out {out} ends in {suffix}, the {named} format, but --format is {name}; "
                            f"{fix}, or drop --format to write {named}.")
    return fmt
