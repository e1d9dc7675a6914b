"""Training health: signals, diagnoses, remedies and the ``ganforge doctor`` command.

The trainer logs :func:`d_signals` every step (on the device) and the sample
signals of :class:`HealthMonitor` every ``train.health_every`` steps (in the
log row); the monitor turns the
logged rows into :class:`Diagnosis` objects (mode collapse, an overpowering
discriminator, a generator that stopped learning, divergence, oscillation),
each with its evidence and the remedies for the run's recipe.  See
docs/health.md.
"""

from __future__ import annotations

from ganforge.health.diagnosis import NAMES, Diagnosis
from ganforge.health.monitor import MODES, HealthMonitor
from ganforge.health.signals import SampleSpace, d_signals

__all__ = ["MODES", "NAMES", "Diagnosis", "HealthMonitor", "SampleSpace", "d_signals"]
