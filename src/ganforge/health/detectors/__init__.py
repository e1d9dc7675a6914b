"""The detectors: one file per diagnosis family, registered by name.

A detector looks at the :class:`~ganforge.health.history.History` after a row
that carries one of its ``keys`` and returns the evidence ({signal: value})
when its condition holds at that row, else None.  The monitor fires a
diagnosis after ``patience`` consecutive checks that hold and ends it after
``patience`` that do not, so a single noisy log row never raises an alarm.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ganforge.health.history import History
from ganforge.health.runinfo import RunInfo
from ganforge.registry import Registry


class Detector(ABC):
    """Base class; subclasses set the class attributes and implement :meth:`check`."""

    name: str = ""
    serious: bool = True  # train.health=stop stops at a serious diagnosis
    keys: tuple[str, ...] = ()  # rows carrying any of these keys trigger a check
    patience: int = 1  # consecutive holding checks before it fires (and failing ones before it ends)
    implies: tuple[str, ...] = ()  # milder diagnoses this one contains: not reported while this one is active

    @abstractmethod
    def check(self, history: History, run: RunInfo) -> dict | None:
        """The evidence {signal: value} if the condition holds at the latest row, else None."""


DETECTORS: Registry[type[Detector]] = Registry("health detector")

# Importing the modules registers the detectors.
from ganforge.health.detectors import collapse, divergence, not_learning, oscillation, overpowering  # noqa: E402,F401

__all__ = ["DETECTORS", "Detector"]
