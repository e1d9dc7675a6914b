"""``python -m ganforge.studio RUNS [--port P] [--host H]``: the same as ``ganforge studio``, through the CLI's
one error boundary (an entry point: nothing imports it, so it closes no import circle)."""

import sys

from ganforge.cli import main

raise SystemExit(main(["studio", *sys.argv[1:]]))
