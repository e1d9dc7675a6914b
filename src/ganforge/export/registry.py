"""The export formats, by name: ``FORMATS.get("onnx").write(model, out) -> Path``.

Each format is one module that registers an :class:`ExportFormat`;
``ganforge export --format NAME`` looks the name up here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ganforge.registry import Registry


@dataclass(frozen=True)
class ExportFormat:
    """``write(model, out) -> path written``; ``usage(model, path)``: the Python lines the model card shows to use it."""

    write: Callable[..., Path]
    usage: Callable[..., list[str]]
    example_out: str  # what --out looks like, for help texts
    view: str = ""  # a line `ganforge export` prints after writing, "{path}" = what was written ("": none)


FORMATS: Registry[ExportFormat] = Registry("export format")
