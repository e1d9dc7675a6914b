"""The run directory: one writer at a time, safe --overwrite, the metrics log.

Layout::

    runs/NAME/
        .lock            # held while a process trains this run (pid, host)
        config.yaml      # the resolved config (written atomically)
        metrics.jsonl    # one JSON row per log interval / evaluation / sample signal
        samples/         # step_000250.png ...
        checkpoints/     # see training/checkpoint.py
        report.html, losses.png

Opening a run takes its lock first (a second writer is refused with one
line), then sweeps temporary files an earlier killed process left.  With
``--overwrite`` the old run is deleted only by :meth:`RunDirectory.commit`,
which the trainer calls after the new run was built successfully, so a run
that fails to start (bad data, a model that cannot be built) leaves the old
run intact.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.files import LOCK_FILE, RunLock, os_error_message, remove_stale_temps, write_text_atomic
from ganforge.training import checkpoint as ckpt

METRICS = "metrics.jsonl"


class RunDirectory:
    """A run folder owned by this process (rank 0 only; other ranks get ``owner=False`` and touch nothing)."""

    def __init__(self, path: Path | str, owner: bool = True) -> None:
        self.path, self.owner = Path(path), owner
        self.lock = RunLock(self.path, what="training")
        self._created = False
        self._overwrite = False
        self.fresh_resume = False  # --resume of a run with no checkpoint: started afresh from its config

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    def has_run(self) -> bool:
        return (self.path / "checkpoints").exists() or self.metrics_path.exists()

    def open(self, resume: bool, overwrite: bool) -> None:
        """Lock the folder and check that ``resume`` / ``overwrite`` make sense for what it holds."""
        if not self.owner:
            return
        if resume and not (self.path / "config.yaml").is_file() and not self.has_run():
            raise GanforgeError(f"Nothing to resume in {str(self.path)!r}: it is not a run directory; start it without --resume.")
        self._created = not self.path.exists()
        self.lock.acquire()
        try:
            remove_stale_temps(self.path)
            ckpt.remove_partial_checkpoints(self.path / "checkpoints")
            if resume and not ckpt.list_checkpoints(self.path / "checkpoints"):
                self.fresh_resume = True  # killed before its first checkpoint: start again from step 0
            elif self.has_run() and not resume:
                if not overwrite:
                    raise GanforgeError(f"Run directory {str(self.path)!r} already holds a run; resume it with "
                                        f"--resume {self.path}, pick another --name, or pass --overwrite to replace it.")
                self._overwrite = True
        except BaseException:
            self.close()
            raise

    def commit(self, config_yaml: str) -> None:
        """The new run was built: now replace an overwritten run and write the config."""
        if not self.owner:
            return
        if self._overwrite or self.fresh_resume:
            self._clear()
        try:
            (self.path / "samples").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GanforgeError(os_error_message(exc, self.path)) from None
        write_text_atomic(self.path / "config.yaml", config_yaml)

    def _clear(self) -> None:
        """Delete the old run's content (keeps our lock, and config.yaml when resuming afresh)."""
        keep = {LOCK_FILE} | ({"config.yaml"} if self.fresh_resume else set())
        for child in self.path.iterdir():
            if child.name in keep:
                continue
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    def close(self) -> None:
        """Release the lock; a folder this process created and left empty is removed."""
        if not self.owner:
            return
        self.lock.release()
        if self._created and self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()

    # ------------------------------------------------------------ metrics log

    def append(self, row: dict) -> None:
        """Add one row to metrics.jsonl (a full disk becomes a one-line error)."""
        if not self.owner:
            return
        try:
            with open(self.metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
        except OSError as exc:
            raise GanforgeError(os_error_message(exc, self.metrics_path)) from None

    def truncate_metrics(self, step: int) -> None:
        """Drop rows written after ``step`` (they will be redone after a resume or rollback)."""
        if not self.owner or not self.metrics_path.exists():
            return
        from ganforge.training.plots import read_metrics

        rows = [r for r in read_metrics(self.metrics_path) if isinstance(r, dict) and r.get("step", 0) <= step]
        write_text_atomic(self.metrics_path, "".join(json.dumps(r) + "\n" for r in rows))
