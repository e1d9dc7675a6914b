"""Divergence supersedes the judgements made on a diverged run's numbers."""

from ganforge.health import HealthMonitor

CFG = {"recipe": {"name": "gan", "loss": "nonsaturating"}, "data": {"source": "toy2d", "variant": "grid25"}}


def _rows(diverged_from: int):
    """grid25 at lr 2.0 as measured: losses ~1e7-1e10 from the first rows; samples a tight blob (diversity 0.04)."""
    rows = []
    for step in range(25, 325, 25):
        loss = 3e7 if step >= diverged_from else 1.0
        rows.append({"step": step, "d/loss": loss, "g/loss": loss, "d/grad_norm": loss, "g/grad_norm": 2.0})
        if step % 100 == 0:
            rows.append({"step": step, "health/diversity": 0.04, "health/class_kl": 3.1, "health/class_kl_max": 3.22,
                         "health/modes": 0.0, "health/modes_total": 25.0})
    return rows


def _timeline(rows):
    m = HealthMonitor(CFG)
    for row in rows:
        m.observe(row)
    return [(d.name, d.step, d.end) for d in m.timeline]


def test_collapse_of_diverged_samples_is_not_reported():
    assert _timeline(_rows(diverged_from=25)) == [("divergence", 25, None)]  # the old monitor added mode_collapse at 200


def test_divergence_ends_a_collapse_already_named():
    timeline = _timeline(_rows(diverged_from=250))
    assert timeline == [("mode_collapse", 200, 250), ("divergence", 250, None)]
