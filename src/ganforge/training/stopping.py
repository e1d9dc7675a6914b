"""A clean stop on Ctrl-C / SIGTERM: finish the step, write a checkpoint, exit non-zero.

The handler only sets a flag; the loop checks it between steps, so a stop
never interrupts an optimiser step or a checkpoint write.  A second Ctrl-C
raises KeyboardInterrupt at once.  ``signum`` records which signal stopped
the run so the command exits 128 + signum (130 for Ctrl-C, 143 for SIGTERM)
and a script can tell an unfinished run from a finished one.
"""

from __future__ import annotations

import signal
import threading

from tqdm import tqdm


class StopRequest:
    """Installs SIGINT/SIGTERM handlers for the duration of a ``with`` block."""

    def __init__(self) -> None:
        self.requested = False
        self.signum: int | None = None
        self._previous: dict = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def request(self, signum: int | None = None) -> None:
        """Ask the loop to stop after the current step (also used by the health monitor and tests)."""
        self.requested = True
        self.signum = self.signum or signum

    def _handle(self, signum, frame) -> None:
        if self.requested and self.signum is not None:  # a second Ctrl-C means "now"
            raise KeyboardInterrupt
        self.request(signum)
        tqdm.write("Stopping after this step and writing a checkpoint (Ctrl-C again to abort at once)...")

    @property
    def exit_code(self) -> int:
        """128 + signal number when a signal stopped the run (130 Ctrl-C, 143 SIGTERM), else 0."""
        return 128 + self.signum if self.signum else 0
