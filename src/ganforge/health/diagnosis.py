"""A diagnosis: what is wrong with a run, since when, the numbers that show it, and what to change."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

NAMES = ("mode_collapse", "partial_collapse", "d_overpowering", "g_not_learning", "divergence", "oscillation",
         "healthy")
TITLES = {
    "mode_collapse": "mode collapse",
    "partial_collapse": "partial mode collapse",
    "d_overpowering": "discriminator overpowering",
    "g_not_learning": "generator not learning",
    "divergence": "divergence",
    "oscillation": "oscillation",
    "healthy": "healthy",
}


@dataclass
class Diagnosis:
    """One finding of the health monitor.

    name: one of :data:`NAMES`; step: the G step at which it fired; serious:
    whether ``train.health=stop`` stops the run for it; evidence: the numbers
    that triggered it ({signal: value}); remedies: the standard changes for
    this recipe, most likely first; end: the step from which it no longer
    held (None while it lasts).
    """

    name: str
    step: int
    serious: bool
    evidence: dict = field(default_factory=dict)
    remedies: list[str] = field(default_factory=list)
    end: int | None = None

    def line(self) -> str:
        """One line for the log and the progress bar (the trainer prefixes "health: "): what, when, evidence, first remedy."""
        evidence = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        text = f"{TITLES.get(self.name, self.name)} at step {self.step}"
        if evidence:
            text += f" ({evidence})"
        if self.remedies:
            text += f"; try: {self.remedies[0]}"
        return text

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Diagnosis":
        return cls(**d)


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
