"""The detectors: one file per diagnosis family, registered by name.

A detector looks at the :class:`~ganforge.health.history.History` after a row
that carries one of its ``keys`` and returns the evidence ({signal: value})
when its condition holds at that row, else None.  The monitor fires a
diagnosis after ``patience`` consecutive checks that hold and ends it after
``patience`` that do not, so a single noisy log row never raises an alarm;
a check that abstains (:data:`ABSTAIN`) leaves both counts as they are.
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
    # diagnoses this one contains (a total collapse is also a partial one) or voids (samples of a diverged G say
    # nothing about collapse): not reported while this one is active, ended when it fires
    implies: tuple[str, ...] = ()

    @abstractmethod
    def check(self, history: History, run: RunInfo) -> dict | None | Abstain:
        """The evidence {signal: value} if the condition holds at the latest row, None if it does not,
        :data:`ABSTAIN` if this row can say neither (the streak neither grows nor resets)."""


class Abstain:
    """The type of :data:`ABSTAIN`."""

    def __repr__(self) -> str:
        return "ABSTAIN"


# A check that is no evidence either way: e.g. a G whose samples are still spreading out is neither
# shown collapsed nor shown healthy, so it must not reset the streak of checks that held before it.
ABSTAIN = Abstain()


DETECTORS: Registry[type[Detector]] = Registry("health detector")

# Importing the modules registers the detectors.
from ganforge.health.detectors import collapse, divergence, not_learning, oscillation, overpowering  # noqa: E402,F401

__all__ = ["ABSTAIN", "DETECTORS", "Abstain", "Detector"]
