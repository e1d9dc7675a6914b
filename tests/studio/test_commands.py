"""`ganforge studio` is the studio package's own command, wired into the real CLI."""

import argparse
import subprocess
import sys

from ganforge import cli
from ganforge.studio import commands


def test_studio_command_parses_with_a_loopback_default():
    # The real serve() behind it is tested in tests/studio/test_serve.py.
    parser = argparse.ArgumentParser(prog="ganforge")
    commands.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["studio", "myruns", "--port", "7999"])
    assert (args.runs, args.port, args.host) == ("myruns", 7999, "127.0.0.1") and args.func is commands.cmd_studio


def test_the_cli_has_the_studio_command():
    args = cli.build_parser().parse_args(["studio", "somewhere"])
    assert args.func is commands.cmd_studio and args.runs == "somewhere"


def test_python_m_ganforge_studio_runs_the_same_command():
    out = subprocess.run([sys.executable, "-m", "ganforge.studio", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "usage: ganforge studio" in out.stdout
