"""The health monitor: signals in, diagnoses out, each printed once.

The trainer builds one :class:`HealthMonitor` per run and calls

- :meth:`~HealthMonitor.sample_signals` with the fixed-latent samples at
  the log rows :meth:`~HealthMonitor.due` names (every ``train.health_every``
  steps); it returns the ``health/*`` values the trainer adds to that row;
- :meth:`~HealthMonitor.observe` with every row it writes to metrics.jsonl
  (training rows, rows with the health values, evaluation rows); it returns
  the diagnoses that are new at that row.  A row passed twice counts once.

``ganforge doctor`` replays a finished run's rows through the same class, so
a diagnosis made live and one made afterwards are the same diagnosis.
"""

from __future__ import annotations

import torch

from ganforge.health.detectors import ABSTAIN, DETECTORS, Abstain
from ganforge.health.diagnosis import Diagnosis
from ganforge.health.history import History
from ganforge.health.remedies import remedies_for
from ganforge.health.runinfo import RunInfo
from ganforge.health.signals import SampleSpace

MODES = ("warn", "stop", "off")


class HealthMonitor:
    """Runs every registered detector over the rows of one run.

    Args:
        cfg: the run's ``Config`` (or its dict form, as in config.yaml): the
            recipe, loss and stabilisers pick the remedies and which
            detectors apply.
        data: the training ``Dataset`` for the sample signals, or None when
            replaying logged rows only.
        device: where the extractor runs for image features.
    """

    def __init__(self, cfg, data=None, device="cpu") -> None:
        cfg_dict = cfg if isinstance(cfg, dict) else cfg.to_dict()
        self.run = RunInfo.from_config(cfg_dict)
        train = cfg_dict.get("train") or {}
        self.mode = str(train.get("health", "warn"))
        self.every = int(train.get("health_every", 100))
        source = (cfg_dict.get("data") or {}).get("source", "")
        self.space = SampleSpace(data, source, device) if data is not None and self.mode != "off" else None
        self.detectors = [DETECTORS.get(name)() for name in DETECTORS.names()]
        self.history = History()
        self.streak: dict[str, int] = {}  # consecutive checks that held (or, while active, that failed)
        self.active: dict[str, Diagnosis] = {}
        self.timeline: list[Diagnosis] = []

    # ---------------------------------------------------------------- input

    def due(self, step: int, log_every: int = 1) -> bool:
        """Whether the log row at ``step`` should carry sample signals: the first log row at or after each
        multiple of ``train.health_every``.

        Its own cadence, not the sample grids' (``train.sample_every``, 250 by
        default): a collapse is seen within a few ``health_every`` of its onset.
        """
        return self.space is not None and step % self.every < log_every

    @torch.no_grad()
    def sample_signals(self, step: int, fake: torch.Tensor) -> dict[str, float]:
        """Samples (N, *shape) float in [-1, 1] on the CPU -> {"health/...": value} for a metrics row.

        The detectors see the values when the row that carries them is passed
        to :meth:`observe` (so a live run and a replay of its log agree).
        """
        if self.space is None:
            return {}
        return self.space.signals(fake)

    def observe(self, row: dict) -> list[Diagnosis]:
        """Check a logged row; returns the diagnoses that are new at it (each diagnosis is returned once)."""
        if self.mode == "off":
            return []
        return self._check(row, self.history.add(row))

    def _check(self, row: dict, added: set[str]) -> list[Diagnosis]:
        new = []
        for detector in self.detectors:
            if added.isdisjoint(detector.keys):
                continue
            evidence = detector.check(self.history, self.run)
            fired = self._advance(detector, evidence, int(row.get("step", self.history.step)))
            if fired is not None:
                new.append(fired)
        return new

    def _advance(self, detector, evidence: dict | None | Abstain, step: int) -> Diagnosis | None:
        """Count consecutive holds (or misses while active); fire or end the diagnosis at ``patience``.

        ``evidence`` is ABSTAIN when the row is no evidence either way: neither count moves.
        """
        if evidence is ABSTAIN:  # no evidence either way: the streak stays where it was
            return None
        name, active = detector.name, detector.name in self.active
        holds = evidence is not None
        self.streak[name] = self.streak.get(name, 0) + 1 if holds != active else 0
        if self.streak[name] < detector.patience:
            return None
        self.streak[name] = 0
        if active:
            self.active.pop(name).end = step
            return None
        if any(name in DETECTORS.get(other).implies for other in self.active):
            return None  # contained in an active diagnosis (a total collapse is also a partial one)
        diagnosis = Diagnosis(name, step, detector.serious, _rounded(evidence), remedies_for(name, self.run))
        for implied in detector.implies:  # a partial collapse that turns total is reported as the total one from here
            if implied in self.active:
                self.active.pop(implied).end = step
                self.streak[implied] = 0
        self.active[name] = diagnosis
        self.timeline.append(diagnosis)
        return diagnosis

    # --------------------------------------------------------------- output

    def wants_stop(self, new: list[Diagnosis]) -> bool:
        """True when ``train.health=stop`` and one of ``new`` is serious: checkpoint and stop."""
        return self.mode == "stop" and any(d.serious for d in new)

    def verdict(self) -> Diagnosis:
        """The run's overall state: its first serious diagnosis, or "healthy" when there was none."""
        serious = [d for d in self.timeline if d.serious]
        if serious:
            return serious[0]
        return Diagnosis("healthy", self.history.step, False, {"log_rows": len(self.history.values("d/loss"))})

    def state_dict(self) -> dict:
        return {"history": self.history.state_dict(), "streak": dict(self.streak),
                "timeline": [d.to_dict() for d in self.timeline], "active": sorted(self.active)}

    def load_state_dict(self, state: dict) -> None:
        self.history.load_state_dict(state.get("history", {}))
        self.streak = dict(state.get("streak", {}))
        self.timeline = [Diagnosis.from_dict(d) for d in state.get("timeline", [])]
        active = set(state.get("active", []))
        self.active = {d.name: d for d in self.timeline if d.name in active and d.end is None}


def _rounded(evidence: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in evidence.items()}
