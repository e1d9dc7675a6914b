"""The art sub-command of ``ganforge``: ``interpolate`` (``studio`` is in ``studio/commands.py``).

``cli.py`` calls :func:`add_commands` on its sub-parsers; the handlers raise
:class:`GanforgeError` for anything the user can fix, which the CLI prints as
one line.  Examples::

    ganforge interpolate runs/emoji --seeds 1,7,42 --steps 60 --out walk.gif
    ganforge interpolate runs/emoji --seeds 1,7,42 --truncation 0.7 --fps 30 --out walk.mp4
    ganforge interpolate runs/emoji --grid-around 42 --n 8 --spread 0.5 --out around42.png
    ganforge interpolate runs/mnist-cgan --morph 0,3,8 --seed 7 --steps 30 --out morph.gif
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganforge import limits
from ganforge.errors import GanforgeError
from ganforge.limits import MAX_FRAMES
from ganforge.outputs import output_file


def parse_seeds(text: str) -> list[int]:
    """"1,7,42" -> [1, 7, 42], with a clear error for anything else."""
    try:
        seeds = [int(part) for part in str(text).replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise GanforgeError(f"--seeds must be whole numbers separated by commas, like 1,7,42; got {text!r}.") from None
    if len(seeds) < 2:
        raise GanforgeError(f"--seeds needs at least two seeds to walk between, like 1,7,42; got {text!r}.")
    if any(s < 0 for s in seeds):
        raise GanforgeError(f"Seeds must be >= 0; got {text!r}.")
    return limits.check_seeds(seeds)


def _label(value: str | None):
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def cmd_interpolate(args: argparse.Namespace) -> int:
    from ganforge.api import load
    from ganforge.art.animate import save_animation
    from ganforge.art.latent import check_truncation, interpolate
    from ganforge.art.provenance import provenance, save_latent_grid

    truncation = check_truncation(args.truncation)
    label = _label(args.class_)
    if args.scale is not None:
        limits.check_scale(args.scale)
    if args.grid_around is not None:
        limits.check_seed(args.grid_around, "--grid-around")
        limits.check_int(args.n, "--n", 1, limits.MAX_GRID_SIDE)
        out = Path(args.out or f"grid-around-{args.grid_around}.png")
        if out.suffix.lower() != ".png":
            raise GanforgeError(f"--grid-around writes a PNG; give --out ending in .png, got {str(out)!r}.")
        output_file(out)
        model = load(args.run, checkpoint=args.checkpoint, device=args.device or "cpu")
        limits.check_grid(args.n * args.n, model.shape, nrow=args.n, scale=args.scale or 1)
        save_latent_grid(model, out, args.grid_around, n=args.n, spread=args.spread, truncation=truncation,
                         scale=args.scale or 1, label=label)
        print(f"Wrote a {args.n}x{args.n} latent grid around seed {args.grid_around} to {out}")
        return 0
    if args.morph is not None:
        return _class_morph_command(args, truncation)
    seeds = parse_seeds(args.seeds)
    out = _animation_path(args.out, "walk.gif", args.fps)
    _check_frames(args.steps, len(seeds))
    model = load(args.run, checkpoint=args.checkpoint, device=args.device or "cpu")
    _check_animation(model, args.steps, len(seeds), args.closed, args.scale)
    frames = interpolate(model, seeds, steps=args.steps, mode=args.mode, truncation=truncation,
                         closed=args.closed, label=label)
    meta = provenance(model, "interpolation", seeds=seeds, steps=args.steps, mode=args.mode, truncation=truncation,
                      closed=args.closed, fps=float(args.fps), label=label)
    save_animation(frames, out, fps=args.fps, scale=args.scale, metadata=meta)
    print(f"Wrote {len(frames)} frames ({' -> '.join(map(str, seeds))}{' -> ' + str(seeds[0]) if args.closed else ''}) to {out}")
    return 0


def _check_frames(steps: int, keys: int) -> None:
    """``--steps`` between ``keys`` key frames (seeds or classes) must make 1 to MAX_FRAMES frames."""
    if steps < 1 or steps * keys > MAX_FRAMES:
        raise GanforgeError(f"--steps must be >= 1 and make at most {MAX_FRAMES} frames; got {steps} "
                            f"steps x {keys - 1} legs.")


def _check_animation(model, steps: int, keys: int, closed: bool, scale: int | None) -> None:
    """The frames of a walk / morph, upscaled, must fit in memory (checked before rendering them)."""
    from ganforge.art.animate import auto_scale

    if len(model.shape) == 3:
        frames = steps * keys if closed else steps * (keys - 1) + 1
        limits.check_animation(frames, model.shape, scale or auto_scale(*model.shape[-2:]))


def _animation_path(out: str | None, default: str, fps: float) -> Path:
    """The checked --out of an animation (a .gif / .mp4 in a writable place), after checking --fps."""
    from ganforge.art.animate import WRITERS, check_fps

    check_fps(fps)
    path = Path(out or default)
    if path.suffix.lower() not in WRITERS:
        raise GanforgeError(f"--out must end in .gif or .mp4, got {str(path)!r}.")
    return output_file(path)


def _class_morph_command(args: argparse.Namespace, truncation: float | None) -> int:
    """``--morph 0,3,8``: one latent (``--seed``), the class melting from one to the next."""
    from ganforge.api import load
    from ganforge.art.animate import save_animation
    from ganforge.art.latent import class_morph
    from ganforge.art.provenance import provenance

    classes = [_label(part) for part in str(args.morph).replace(" ", "").split(",") if part]
    if len(classes) < 2:
        raise GanforgeError(f"--morph needs at least two classes (ids or names), like 3,8 or sneaker,sandal; got {args.morph!r}.")
    limits.check_seed(args.seed)
    _check_frames(args.steps, len(classes))
    out = _animation_path(args.out, "morph.gif", args.fps)
    model = load(args.run, checkpoint=args.checkpoint, device=args.device or "cpu")
    _check_animation(model, args.steps, len(classes), args.closed, args.scale)
    frames = class_morph(model, args.seed, classes, steps=args.steps, truncation=truncation, closed=args.closed)
    ids = [model.class_index(c) for c in classes]  # provenance stores ids: names may be renamed, ids stay
    meta = provenance(model, "class-morph", seed=args.seed, classes=ids, steps=args.steps, truncation=truncation,
                      closed=args.closed, fps=float(args.fps))
    save_animation(frames, out, fps=args.fps, scale=args.scale, metadata=meta)
    names = [model.class_names[i] if model.class_names else str(i) for i in ids]
    print(f"Wrote {len(frames)} frames (seed {args.seed}: {' -> '.join(names)}) to {out}")
    return 0


def add_commands(subparsers) -> None:
    """Add ``interpolate`` to the ``ganforge`` sub-parsers (``studio`` is in studio/commands.py)."""
    p = subparsers.add_parser(
        "interpolate", help="animate a walk between seeds, or a grid around one seed",
        description="Examples: ganforge interpolate runs/demo --seeds 1,7,42 --steps 60 --out walk.gif ; "
                    "ganforge interpolate runs/demo --grid-around 42 --out around.png")
    p.add_argument("run", help="run directory, checkpoint directory or saved model directory")
    p.add_argument("--seeds", default="1,7,42", help="seeds to walk through, comma-separated (default 1,7,42)")
    p.add_argument("--steps", type=int, default=60, help="frames from one seed to the next (default 60)")
    p.add_argument("--out", help="output file: .gif or .mp4 (mp4 needs imageio-ffmpeg); .png with --grid-around")
    p.add_argument("--mode", default="slerp", help="slerp: spherical (default), lerp: straight line (art.latent.MODES)")
    p.add_argument("--truncation", type=float, default=None,
                   help="truncation trick: redraw latent values beyond +-PSI (e.g. 0.7: cleaner, less varied)")
    p.add_argument("--fps", type=float, default=20, help="frames per second (default 20)")
    p.add_argument("--closed", action="store_true", help="walk back to the first seed, for a seamless loop")
    p.add_argument("--scale", type=int, default=None, help="nearest-neighbour upscaling (default: to >= 256 px for animations)")
    p.add_argument("--grid-around", type=int, default=None, metavar="SEED",
                   help="instead of a walk, write an N x N PNG grid of variations around SEED")
    p.add_argument("--n", type=int, default=8, help="grid size for --grid-around (default 8)")
    p.add_argument("--spread", type=float, default=0.5, help="how far the --grid-around grid reaches, in latent lengths (default 0.5)")
    p.add_argument("--class", dest="class_", default=None, help="class name or id (conditional runs only)")
    p.add_argument("--morph", default=None, metavar="CLASSES",
                   help="conditional runs: instead of a walk between seeds, keep --seed and morph through these "
                        "classes, e.g. 0,3,8 or sneaker,sandal")
    p.add_argument("--seed", type=int, default=0, help="the latent kept during --morph (default 0)")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a name like step_000500")
    p.add_argument("--device", default=None)
    p.set_defaults(func=cmd_interpolate)
