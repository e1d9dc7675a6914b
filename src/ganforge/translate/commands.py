"""``ganforge translate RUN INPUT... --out DIR [--direction AtoB|BtoA]``.

Each input image (files, or folders read recursively) is decoded like
training data (channels, centre square, the model's size), translated, and
written as ``DIR/<name>.png`` (for folders: ``DIR/<folder>/<relative path>.png``)
with provenance: the run, checkpoint, weights fingerprint, direction, and the
input's file name and SHA-256, so a picture can be traced to exactly what
made it.  Files without an image suffix are ignored; unreadable images are
skipped and counted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.files import sha256_file

MAX_SCALE = 16


def add_commands(subparsers) -> None:
    """Add ``translate`` to the ``ganforge`` sub-parsers."""
    p = subparsers.add_parser(
        "translate", help="translate images with a pix2pix / CycleGAN run",
        description="Example: ganforge translate runs/edges2fashion sketch.png more_sketches/ --out translated")
    p.add_argument("run", help="run directory, checkpoint directory or saved model directory")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images")
    p.add_argument("--out", required=True, help="folder for the translated PNGs")
    p.add_argument("--direction", default=None, help="AtoB or BtoA (CycleGAN runs translate both ways; default: the model's first)")
    p.add_argument("--scale", type=int, default=1, help=f"nearest-neighbour upscaling of the outputs, 1-{MAX_SCALE} (default 1)")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a name like step_000500")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_translate)


def input_files(inputs: list[str]) -> list[tuple[Path, Path]]:
    """[(image file, output name relative to --out)] for files and folders (recursive); a missing path is an error."""
    from ganforge.data.folder import IMAGE_SUFFIXES, list_files

    pairs: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            pairs += [(f, Path(path.name) / f.relative_to(path).with_suffix(".png")) for f in list_files(path)
                      if f.suffix.lower() in IMAGE_SUFFIXES]
        elif path.is_file():
            pairs.append((path, Path(path.stem + ".png")))
        else:
            raise GanforgeError(f"Input {item!r} does not exist; give image files or folders of images.")
    names = [name for _, name in pairs]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise GanforgeError(f"Two inputs would both be written as {duplicate}; translate them in separate runs "
                            "or rename one of them.")
    if not pairs:
        raise GanforgeError("No image files among the inputs; give .png / .jpg files or folders holding them.")
    return pairs


def translate_files(model, inputs: list[str], out: Path, direction: str, scale: int = 1) -> tuple[list[Path], int]:
    """Translate every input into ``out``; returns (written files, number of unreadable inputs skipped)."""
    import torch

    from ganforge.data.folder import decode_image

    written, skipped = [], 0
    for path, name in input_files(inputs):
        decoded = decode_image(path, model.size, model.channels)
        if isinstance(decoded, str):
            skipped += 1
            continue
        image = model.translate_images(torch.from_numpy(decoded.copy())[None], direction)  # (1, C, size, size) uint8
        written.append(save_translation(model, image, out / name, direction, path, scale))
    return written, skipped


def save_translation(model, image, out: Path, direction: str, source: Path, scale: int = 1) -> Path:
    """Write one translated uint8 image (1, C, H, W) as the PNG ``out`` with the provenance of ``source``, its input file
    (the studio's Translate tab writes the same file, so a picture is traced the same way from either)."""
    from ganforge.art import provenance
    from ganforge.art.grid import make_grid, save_image

    meta = provenance.provenance(model, "translation", direction=direction, input=source.name,
                                 input_sha256=sha256_file(source), scale=scale)
    return save_image(make_grid(image, nrow=1, padding=0), out, provenance.to_text(meta), scale=scale)


def cmd_translate(args: argparse.Namespace) -> int:
    from ganforge.api import load

    if not 1 <= args.scale <= MAX_SCALE:
        raise GanforgeError(f"--scale must be between 1 and {MAX_SCALE}, got {args.scale}.")
    model = load(args.run, checkpoint=args.checkpoint, device=args.device)
    if not hasattr(model, "translate"):
        raise GanforgeError(f"{args.run} is not an image-to-image run (pix2pix or CycleGAN); "
                            "use `ganforge generate` for it.")
    direction = args.direction or model.directions[0]
    model.net_for(direction)  # a wrong direction fails before any file is read
    written, skipped = translate_files(model, args.inputs, Path(args.out), direction, args.scale)
    note = f" ({skipped} unreadable input(s) skipped)" if skipped else ""
    print(f"Translated {len(written)} image(s) {direction} into {args.out}{note}.")
    return 0
