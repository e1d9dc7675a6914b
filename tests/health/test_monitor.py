"""The monitor: each detector fires on the rows that show its problem, once, with evidence and remedies."""

import math

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.toy2d import load_toy2d
from ganforge.health import Diagnosis, HealthMonitor, d_signals

MINIMAX = {"recipe": {"name": "gan", "loss": "minimax"}, "data": {"source": "toy2d"}, "train": {"n_critic": 1}}
NONSAT_IMG = {"recipe": {"name": "gan", "loss": "nonsaturating"}, "data": {"source": "mnist"}}


def train_row(step, **values):
    row = {"step": step, "d/loss": 1.2, "g/loss": 0.9, "d/acc_real": 0.6, "d/acc_fake": 0.6,
           "d/grad_norm": 2.0, "g/grad_norm": 2.0}
    row.update({k.replace("__", "/"): v for k, v in values.items()})
    return row


def feed(monitor, rows):
    new = []
    for row in rows:
        new += monitor.observe(row)
    return new


def test_healthy_rows_give_no_diagnosis():
    m = HealthMonitor(MINIMAX)
    assert feed(m, [train_row(s) for s in range(0, 2000, 50)]) == []
    assert m.verdict().name == "healthy" and not m.verdict().serious


def test_d_that_outputs_inf_on_reals_is_overpowering_once():
    signals = {f"d/{k}": v.item() for k, v in d_signals(torch.full((8,), math.inf), torch.full((8,), -9.0)).items()}
    m = HealthMonitor(MINIMAX)
    rows = [train_row(s, **{k.replace("/", "__"): v for k, v in signals.items() if k != "d/logit_real"})
            for s in range(50, 1050, 50)]
    new = feed(m, rows)
    assert [d.name for d in new] == ["d_overpowering"]  # printed once, although every row holds
    d = new[0]
    assert d.step == 200 and d.serious  # patience: the 4th row that holds
    assert d.evidence["acc_real"] == 1.0 and d.evidence["acc_fake"] == 1.0
    assert any("learning rate" in r for r in d.remedies)
    assert d.line().startswith("discriminator overpowering at step 200 (")


def test_overpowering_from_scores_of_runs_logged_without_accuracy():
    old_rows = [{"step": s, "d/loss": 0.01, "g/loss": 6.0, "d/real_score": 6.0, "d/fake_score": -7.0}
                for s in range(50, 500, 50)]
    assert [d.name for d in feed(HealthMonitor(NONSAT_IMG), old_rows)] == ["d_overpowering"]


def test_wasserstein_critics_are_never_overpowering():
    cfg = {"recipe": {"name": "wgan-gp"}, "data": {"source": "toy2d"}}
    rows = [train_row(s, d__acc_real=1.0, d__acc_fake=1.0) for s in range(50, 1000, 50)]
    assert feed(HealthMonitor(cfg), rows) == []


def test_diagnosis_ends_when_the_condition_clears():
    m = HealthMonitor(MINIMAX)
    feed(m, [train_row(s, d__acc_real=1.0, d__acc_fake=1.0) for s in range(50, 450, 50)])
    feed(m, [train_row(s) for s in range(450, 900, 50)])
    (d,) = m.timeline
    assert d.name == "d_overpowering" and d.end == 600  # the 4th healthy row


def test_nan_loss_is_divergence_at_once():
    m = HealthMonitor(MINIMAX)
    new = feed(m, [train_row(50), train_row(100, d__loss="nan", g__loss="inf")])
    assert [(d.name, d.step) for d in new] == [("divergence", 100)]
    assert math.isnan(new[0].evidence["d/loss"])
    assert m.wants_stop(new) is False  # train.health defaults to warn


def test_stop_mode_wants_to_stop_at_a_serious_diagnosis():
    m = HealthMonitor({**MINIMAX, "train": {"health": "stop"}})
    new = feed(m, [train_row(50, nonfinite_steps=3)])
    assert new[0].name == "divergence" and m.wants_stop(new)


def test_off_mode_diagnoses_nothing():
    m = HealthMonitor({**MINIMAX, "train": {"health": "off"}})
    assert feed(m, [train_row(50, d__loss="nan")]) == []


def test_vanishing_g_gradients_are_not_learning():
    rows = [train_row(s, g__grad_norm=5.0) for s in range(50, 800, 50)]
    rows += [train_row(s, g__grad_norm=1e-4) for s in range(800, 1100, 50)]
    new = feed(HealthMonitor(MINIMAX), rows)
    assert [d.name for d in new] == ["g_not_learning"]
    assert new[0].evidence["median_g_grad_norm"] == 5.0
    assert any("non-saturating" in r for r in new[0].remedies)  # minimax: the first remedy is the loss


def test_a_spike_then_settling_is_not_vanishing():
    norms = [8.0, 17.0, 130.0, 8.0, 2.0] + [0.3] * 20
    assert feed(HealthMonitor(MINIMAX), [train_row(50 * (i + 1), g__grad_norm=n) for i, n in enumerate(norms)]) == []


def test_a_confident_d_with_a_small_logit_gap_is_not_overpowering():
    """A healthy DCGAN's early D: right on >= 95% of both, but mean logits only ~7 apart."""
    rows = [train_row(s, d__acc_real=0.99, d__acc_fake=0.99, d__logit_real=3.5, d__logit_fake=-3.5)
            for s in range(50, 500, 50)]
    assert feed(HealthMonitor(NONSAT_IMG), rows) == []


def test_remedies_skip_what_the_run_already_does():
    cfg = {"recipe": {"name": "gan", "loss": "nonsaturating", "r1_gamma": 10.0, "diffaugment": "color"},
           "data": {"source": "mnist"}}
    rows = [train_row(s, d__acc_real=1.0, d__acc_fake=1.0) for s in range(50, 300, 50)]
    (d,) = feed(HealthMonitor(cfg), rows)
    text = " ".join(d.remedies)
    assert "r1_gamma" not in text and "diffaugment" not in text and "nonsaturating" not in text
    assert len(d.remedies) <= 3


def test_oscillating_fid_is_a_warning():
    fids = [80, 60, 40, 30, 45, 31, 48, 33, 50, 35, 52]
    new = feed(HealthMonitor(NONSAT_IMG), [{"step": 500 * (i + 1), "eval/fid": f} for i, f in enumerate(fids)])
    assert [d.name for d in new] == ["oscillation"] and not new[0].serious
    steady = [80, 60, 40, 30, 25, 22, 20, 19, 18, 17, 16]
    assert feed(HealthMonitor(NONSAT_IMG), [{"step": 500 * (i + 1), "eval/fid": f} for i, f in enumerate(steady)]) == []


@pytest.fixture(scope="module")
def ring8():
    return load_toy2d(DataConfig(source="toy2d", variant="ring8", limit=2000))


def _checks(monitor, batches, every=100):
    """Feed one sample check per batch of samples, as the trainer does (step 0, every, 2 every, ...)."""
    new = []
    for i, fake in enumerate(batches):
        step = i * every
        new += monitor.observe({"step": step, **monitor.sample_signals(step, fake)})
    return new


def test_constant_generator_is_collapsed_from_the_first_check(ring8):
    """No warm-up: the first check holds, and patience 2 names it at the second (one health_every later)."""
    m = HealthMonitor(MINIMAX, ring8)
    point = torch.tensor([[2.0, 0.0]]).expand(500, 2)
    assert m.observe({"step": 0, **m.sample_signals(0, point)}) == []
    assert m.streak["mode_collapse"] == 1  # the condition held at the very first check
    for step in range(100, 800, 100):
        m.observe({"step": step, **m.sample_signals(step, point)})
    assert [(d.name, d.step) for d in m.timeline] == [("mode_collapse", 100)]  # once, although every check holds
    assert m.timeline[0].evidence["diversity"] == 0.0 and m.timeline[0].serious
    assert m.verdict().name == "mode_collapse"


def test_a_spread_out_untrained_generator_is_not_collapsed(ring8):
    """Samples as spread as the data (diversity ~1) at the first check: nothing, with no warm-up to hide behind."""
    m = HealthMonitor(MINIMAX, ring8)
    noise = torch.Generator().manual_seed(0)
    assert _checks(m, [1.4 * torch.randn(500, 2, generator=noise) for _ in range(4)]) == []


def test_a_generator_still_learning_to_spread_is_not_collapsed(ring8):
    """An untrained G is as collapsed as a constant one (diversity ~0.02); while its diversity keeps rising it
    is learning, not collapsed."""
    m = HealthMonitor(MINIMAX, ring8)
    real = ring8.x[torch.randperm(len(ring8), generator=torch.Generator().manual_seed(0))[:500]]
    centre = real.mean(0)
    shrunk = [centre + f * (real - centre) for f in (0.01, 0.05, 0.15, 0.4, 1.0, 1.0, 1.0)]
    assert _checks(m, shrunk) == []


def test_a_generator_that_spreads_then_collapses_is_diagnosed(ring8):
    m = HealthMonitor(MINIMAX, ring8)
    real = ring8.x[:500]
    point = torch.tensor([[0.0, -2.0]]).expand(500, 2) + 0.01 * torch.randn(500, 2)
    new = _checks(m, [real * 0.01, real, real, point, point, point])
    assert [(d.name, d.step) for d in new] == [("mode_collapse", 400)]
    assert new[0].evidence["best_diversity"] > 0.9


def test_generator_that_matches_the_data_is_healthy(ring8):
    m = HealthMonitor(MINIMAX, ring8)
    new = []
    for step in range(0, 900, 100):
        new += m.observe({**train_row(step), **m.sample_signals(step, ring8.x[torch.randperm(len(ring8))[:500]])})
    assert new == [] and m.verdict().name == "healthy"


def test_half_the_ring_for_good_is_partial_collapse(ring8):
    """Four of eight modes, no new one for three checks: partial collapse (mode dropping)."""
    m = HealthMonitor(MINIMAX, ring8)
    half = ring8.x[ring8.y < 4][:500]
    new = _checks(m, [half] * 5)
    assert [(d.name, d.step) for d in new] == [("partial_collapse", 200)]
    assert new[0].evidence["modes"] == 4 and new[0].evidence["modes_total"] == 8


def test_a_row_observed_twice_counts_once(ring8):
    m = HealthMonitor(MINIMAX, ring8)
    collapsed = torch.zeros(200, 2)
    row = {"step": 0, **m.sample_signals(0, collapsed)}
    m.observe(row)
    m.observe(row)
    assert m.timeline == []  # one holding check: patience 2 not reached
    m.observe({"step": 100, **m.sample_signals(100, collapsed)})
    assert [d.name for d in m.timeline] == ["mode_collapse"]


def test_monitor_is_due_at_the_first_log_row_after_each_health_every(ring8):
    m = HealthMonitor({**MINIMAX, "train": {"health_every": 100}}, ring8)
    assert [s for s in range(40, 400, 40) if m.due(s, log_every=40)] == [120, 200, 320]
    assert [s for s in range(50, 400, 50) if m.due(s, log_every=50)] == [100, 200, 300]
    assert not HealthMonitor(MINIMAX).due(100)  # replaying logs: no samples to check


def test_state_dict_resumes_mid_streak():
    rows = [train_row(s, d__acc_real=1.0, d__acc_fake=1.0) for s in range(50, 500, 50)]
    whole = HealthMonitor(MINIMAX)
    feed(whole, rows)
    first = HealthMonitor(MINIMAX)
    feed(first, rows[:2])
    resumed = HealthMonitor(MINIMAX)
    resumed.load_state_dict(first.state_dict())
    feed(resumed, rows[2:])
    assert [d.to_dict() for d in resumed.timeline] == [d.to_dict() for d in whole.timeline]
    assert Diagnosis.from_dict(whole.timeline[0].to_dict()) == whole.timeline[0]


def test_monitor_takes_a_config_object(tiny_points_config):
    cfg = tiny_points_config(extra=["recipe.loss=minimax"])
    m = HealthMonitor(cfg)
    assert m.run.loss == "minimax" and not m.run.is_image and m.mode == "warn"


def test_samples_far_outside_the_data_are_divergence(ring8):
    m = HealthMonitor(MINIMAX, ring8)
    new = m.observe({**train_row(100), **m.sample_signals(100, 50 * torch.randn(500, 2))})
    assert [d.name for d in new] == ["divergence"] and new[0].evidence["diversity"] > 4


def test_non_finite_samples_are_divergence(ring8):
    m = HealthMonitor(MINIMAX, ring8)
    new = m.observe({**train_row(100), **m.sample_signals(100, torch.full((50, 2), math.nan))})
    assert [d.name for d in new] == ["divergence"] and new[0].evidence["nonfinite_samples"] == 1.0
