"""The studio's one error class (its own module so the service and the upload checks share it without a circle)."""

from ganforge.errors import GanforgeError


class StudioError(GanforgeError):
    """A request the studio refuses, with the reason in one sentence."""
