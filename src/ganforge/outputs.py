"""Check an output place before the work that fills it.

A command that computes for minutes and then fails to write (a read-only
folder, a path through a file, an existing folder where a file should go)
wastes the work and used to end in an OSError traceback.  Commands call
:func:`output_file` / :func:`output_folder` on their ``--out`` first; the
writes themselves then go through :mod:`ganforge.files` (atomic, cleaned up).
"""

from __future__ import annotations

from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.files import os_error_message, temp_name


def _writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` (and parents) if needed and check this process may create files in it."""
    if folder.exists() and not folder.is_dir():
        raise GanforgeError(f"{what}: {str(folder)!r} is a file, not a folder; give another path.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GanforgeError(f"{what}: {os_error_message(exc, folder)}") from None
    probe = temp_name(folder / "write-check")  # really create a file: permissions, read-only mounts, ACLs
    try:
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:
        raise GanforgeError(f"{what}: {os_error_message(exc, folder)}") from None


def output_file(path: Path | str, what: str = "--out") -> Path:
    """A file about to be written (created or replaced): not a folder, in a writable folder."""
    path = Path(path)
    if path.is_dir():
        raise GanforgeError(f"{what} {str(path)!r} is an existing folder; give a file name "
                            f"(e.g. {str(path / 'out')!r}) or another path.")
    _writable_folder(path.parent if str(path.parent) else Path("."), what)
    return path


def output_folder(path: Path | str, what: str = "--out") -> Path:
    """A folder about to be filled: created if missing, not an existing file, writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise GanforgeError(f"{what} {str(path)!r} is an existing file; give a folder name or another path.")
    _writable_folder(path, what)
    return path
