"""The one exception type users see.

Anything a person can fix (a bad preset name, a missing data set, a corrupt
checkpoint) raises :class:`GanforgeError` with one sentence saying what is
wrong and how to fix it. The CLI prints that sentence alone, no traceback.
"""


class GanforgeError(Exception):
    """A user-facing error: one sentence naming the problem and the fix."""
