"""The ``ganforge studio`` command: serve the web studio over a folder of runs.

``cli.py`` calls :func:`add_commands` with its sub-parsers; ``python -m
ganforge.studio`` (``studio/__main__.py``) runs the same command through the
CLI's one error boundary.
"""

from __future__ import annotations

import argparse


def cmd_studio(args: argparse.Namespace) -> int:
    from ganforge.studio.app import serve  # gradio is imported only when a studio is served

    serve(args.runs, host=args.host, port=args.port)
    return 0


def add_commands(subparsers) -> None:
    """Add ``studio`` to the ``ganforge`` sub-parsers."""
    p = subparsers.add_parser(
        "studio", help="web app to explore the runs in a folder (needs ganforge[studio])",
        description="Example: ganforge studio runs/ --port 7860  (then open http://127.0.0.1:7860)")
    p.add_argument("runs", nargs="?", default="runs", help="folder holding run directories (default runs)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this computer only)")
    p.set_defaults(func=cmd_studio)
