"""A handful of hostile inputs through the installed ``ganforge`` executable: real argv bytes, real exit status."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GANFORGE = Path(sys.executable).with_name("ganforge")


def run(*argv, env=None):
    """(exit status, stdout, stderr) of the console script; argv items may be bytes (non-UTF-8 arguments)."""
    done = subprocess.run([str(GANFORGE), *argv], capture_output=True, timeout=120,
                          env={**os.environ, "GANFORGE_DEBUG": "", **(env or {})})
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def one_line(code, err, pattern):
    assert code != 0 and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), err


pytestmark = pytest.mark.skipif(not GANFORGE.is_file(), reason="the ganforge console script is not installed")


def test_seed_overflow_is_one_line(tiny_run):
    code, _, err = run("generate", str(tiny_run), "--seed", "99999999999999999999")
    one_line(code, err, r"--seed 99999999999999999999 is too large")
    assert code == 2


def test_usage_error_is_one_line():
    code, _, err = run("generate", "--n", "many")
    one_line(code, err, r"^ganforge generate: error: argument --n: invalid int value: 'many' \(see ganforge generate --help\)$")


def test_non_utf8_name_is_one_line(tmp_path):
    code, _, err = run("train", "--preset", "mnist-dcgan", "--name", b"caf\xe9", "--out-dir", str(tmp_path), "--dry-run")
    one_line(code, err, r"Run name .* is not valid UTF-8 text")


def test_garbage_config_on_resume_is_one_line(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_bytes(os.urandom(300))
    code, _, err = run("train", "--resume", str(tmp_path / "run"))
    one_line(code, err, r"config.yaml' is damaged")


@pytest.mark.slow  # two interpreter start-ups with torch: ~5 s idle, over 20 s on a busy 2-core machine
def test_unexpected_exception_is_one_line_and_debug_shows_the_traceback(tmp_path):
    # A bug stand-in: sitecustomize makes `ganforge list` raise a RuntimeError inside the command.
    (tmp_path / "sitecustomize.py").write_text(
        "import ganforge.cli as c\n"
        "def boom(args):\n    raise RuntimeError('simulated bug')\n"
        "c.cmd_list = boom\n"
        "_build = c.build_parser\n"
        "def build():\n    p = _build()\n    p._subparsers._group_actions[0].choices['list'].set_defaults(func=boom)\n    return p\n"
        "c.build_parser = build\n")
    env = {"PYTHONPATH": str(tmp_path)}
    code, _, err = run("list", env=env)
    one_line(code, err, r"internal error: RuntimeError: simulated bug; rerun with GANFORGE_DEBUG=1 for the traceback")
    assert code == 1
    code, _, err = run("list", env={**env, "GANFORGE_DEBUG": "1"})
    assert code != 0 and "Traceback" in err and "simulated bug" in err
