"""The ``ganforge export`` command.

    ganforge export runs/digits --format onnx --out digits.onnx
    ganforge export runs/digits --format torchscript --out digits.pt --checkpoint best
    ganforge export runs/emoji --format web --out emoji-web
"""

from __future__ import annotations

import argparse

from ganforge.export.registry import FORMATS


def cmd_export(args: argparse.Namespace) -> int:
    from ganforge.export import export

    written = export(args.run, args.format, args.out, checkpoint=args.checkpoint)
    print(f"Wrote {written} ({args.format}) and its model card beside it")
    view = FORMATS.get(args.format).view
    if view:
        print("  " + view.format(path=written))
    return 0


def add_commands(sub) -> None:
    """Add ``export`` to the ``ganforge`` sub-parsers."""
    import ganforge.export  # noqa: F401  (registers the formats, so --format lists them all)

    examples = "; ".join(f"--format {n} --out {FORMATS.get(n).example_out}" for n in FORMATS.names())
    p = sub.add_parser("export", help="export the sampling generator (ONNX, TorchScript, an offline web page)",
                       description=f"Export a run's sampling generator with a model card. Examples: {examples}")
    p.add_argument("run", help="run directory, checkpoint directory or saved model directory")
    p.add_argument("--format", required=True, choices=FORMATS.names())
    p.add_argument("--out", required=True, help="a .onnx / .pt file, or a folder for web")
    p.add_argument("--checkpoint", default="latest", help="latest, best or a name like step_000500")
    p.set_defaults(func=cmd_export)
