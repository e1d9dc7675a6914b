"""Safe writes: one atomic-write helper, temp-file cleanup, one-line OS errors, and the run lock.

Every file ganforge writes that a later command reads (configs, checkpoints,
caches, eval results, models) goes through :func:`atomic_write`: the content is
written to a temporary name in the same folder, fsynced, then renamed over the
target.  A crash, a kill or a full disk therefore leaves either the old file or
the new one, never half of one, and the temporary file is removed on failure
(and swept by :func:`remove_stale_temps` the next time a run starts, for the
case of ``kill -9``).

:class:`RunLock` makes a run directory single-writer: a second ``train`` into
the same run, or a ``--resume`` of a run that is training, is refused with one
line instead of interleaving two runs' logs and checkpoints.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ganforge.errors import GanforgeError

#: Every temporary name ganforge creates starts with this (files and checkpoint folders).
TEMP_PREFIX = ".ganforge-tmp-"
LOCK_FILE = ".lock"


def temp_name(path: Path) -> Path:
    """A unique temporary sibling of ``path`` (same folder, so the final rename is atomic)."""
    return path.with_name(f"{TEMP_PREFIX}{path.name}.{uuid.uuid4().hex[:12]}")


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def os_error_message(exc: OSError, path: Path | str | None = None) -> str:
    """One sentence for an OSError: what happened, where, and what to do."""
    where = str(path or exc.filename or "")
    at = f" {where!r}" if where else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full while writing{at}; free some space (or point --out-dir elsewhere) and try again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write{at}: permission denied or read-only; choose a writable place."
    if exc.errno == errno.ENOENT:
        return f"{where or 'A path'} does not exist; check the path."
    if exc.errno == errno.EISDIR:
        return f"{where!r} is a folder; give a file name."
    if exc.errno == errno.ENOTDIR:
        return f"A part of{at} is a file, not a folder; give another path."
    if exc.errno == errno.ENAMETOOLONG:
        return f"The name{at[:80]}... is too long for this file system; use a shorter name."
    return f"Cannot access{at} ({exc.strerror or exc.__class__.__name__}); check the path and free space."


def atomic_write(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Create or replace ``path`` atomically; ``write(tmp)`` fills the temporary file.

    The temporary file is removed if ``write`` or the rename fails; an OSError
    (full disk, permission) becomes a one-line :class:`GanforgeError` and the
    previous ``path``, if any, is untouched.
    """
    path = Path(path)
    tmp = temp_name(path)
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise GanforgeError(os_error_message(exc, path)) from None
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return path


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Replace a text file atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (weights files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_folder(final: Path, fill: Callable[[Path], None]) -> Path:
    """Create or replace folder ``final`` atomically: ``fill(tmp_dir)`` writes its files.

    Files are fsynced before the rename; on any failure the temporary folder is
    removed and ``final`` keeps its previous content.
    """
    final = Path(final)
    tmp = temp_name(final)
    try:
        tmp.mkdir(parents=True)
        fill(tmp)
        for file in tmp.iterdir():
            if file.is_file():
                fsync_file(file)
        fsync_dir(tmp)
        if final.exists():  # replace: move the old one aside first, drop it after the swap
            old = temp_name(final)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except OSError as exc:
        raise GanforgeError(os_error_message(exc, final)) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    fsync_dir(final.parent)
    return final


def remove_stale_temps(folder: Path | str, recursive: bool = True) -> int:
    """Delete temporary files/folders left by an interrupted write (e.g. ``kill -9``); returns how many.

    Call this only while holding the folder's :class:`RunLock` (or for folders
    no other process writes), since another writer's live temp file looks the same.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    pattern = f"**/{TEMP_PREFIX}*" if recursive else f"{TEMP_PREFIX}*"
    removed = 0
    for path in sorted(folder.glob(pattern), key=lambda p: len(p.parts), reverse=True):
        try:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


# ---------------------------------------------------------------- run lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


class RunLock:
    """An exclusive lock on a folder: ``folder/.lock`` holding pid, host and start time.

    Taken with ``O_CREAT | O_EXCL`` so two processes cannot both win.  A lock
    whose process is gone (same host, pid not alive) is stale and is taken
    over; a lock from another host is respected (we cannot check it) and the
    error says how to remove it.  ``what`` names the action in the error.
    """

    def __init__(self, folder: Path | str, what: str = "train") -> None:
        self.folder, self.what = Path(folder), what
        self.path = self.folder / LOCK_FILE
        self.held = False

    def holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def _is_stale(self, info: dict | None) -> bool:
        if info is None:  # unreadable or half-written lock: stale if older than a few seconds
            try:
                return time.time() - self.path.stat().st_mtime > 5
            except OSError:
                return True
        if info.get("host") != socket.gethostname():
            return False
        pid = int(info.get("pid", -1))
        # Our own pid: a lock this process took earlier (e.g. a Trainer built but never run) is ours to reuse.
        return pid == os.getpid() or not _pid_alive(pid)

    def acquire(self) -> RunLock:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GanforgeError(os_error_message(exc, self.folder)) from None
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(), "what": self.what})
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                info = self.holder()
                if self._is_stale(info):
                    self.path.unlink(missing_ok=True)
                    continue
                who = f"process {info.get('pid')} on {info.get('host')}" if info else "another process"
                raise GanforgeError(f"{str(self.folder)!r} is in use by {who} ({(info or {}).get('what', 'a run')}); "
                                    f"wait for it to finish, or delete {str(self.path)!r} if that process is gone.") from None
            except OSError as exc:
                raise GanforgeError(os_error_message(exc, self.path)) from None
            with os.fdopen(fd, "w") as f:
                f.write(me)
            self.held = True
            return self
        raise GanforgeError(f"Could not lock {str(self.folder)!r}; delete {str(self.path)!r} and try again.")

    def release(self) -> None:
        if self.held:
            info = self.holder()
            if info is None or info.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
