"""``ganforge doctor`` on fixture runs: the collapsed ring8 run (real logs) and an old-style run."""

import json
import shutil
from pathlib import Path

import pytest

from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.health.replay import replay_run

FIXTURES = Path(__file__).parent / "fixtures"


def test_doctor_reports_the_collapse_of_the_fixture_run(capsys):
    # The fixture is the first 1,500 steps of toy2d ring8, non-saturating loss, G lr 1e-3 / D lr 1e-4, sample
    # signals every 100 steps, whose samples sit on one arc from the first grids on (diversity 0.06-0.24): check
    # 100 holds, the diversity rises from 0.13 to 0.23 at check 200 (no evidence either way: the streak stays at
    # 1), then stops rising: check 300 is the second that holds (patience 2).  The old rule, which reset the
    # streak at a rising check, named it at 400.
    rc = main(["doctor", str(FIXTURES / "collapsed-ring8")])
    out = capsys.readouterr().out
    assert rc == 1
    assert "mode collapse, still at step 1500" in out
    assert "evidence: diversity=" in out
    assert "lower optim_g.lr to 0.0001" in out  # recipe-aware: this run's G outruns D
    assert out.strip().splitlines()[-1] == "Verdict: unhealthy: mode collapse from step 300; still mode collapse at step 1500."
    assert "oscillation [warning], still at step 1500" in out  # the collapsed samples hop about (spread 0.06-0.24)


def test_doctor_json(capsys):
    assert main(["doctor", str(FIXTURES / "collapsed-ring8"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["healthy"] is False and report["steps"] == 1500
    assert [(d["name"], d["step"], d["end"]) for d in report["diagnoses"]] == [("mode_collapse", 300, None),
                                                                             ("oscillation", 1200, None)]


def test_doctor_on_a_run_logged_before_the_monitor(tmp_path, capsys):
    """Old runs have only losses and D scores: overpowering is read from the scores; rc 1."""
    run = tmp_path / "old"
    run.mkdir()
    rows = [{"step": s, "time_s": s / 10, "images_per_s": 900.0, "d/loss": 1.3, "d/real_score": 0.2,
             "d/fake_score": -0.3, "g/loss": 0.8} for s in range(50, 550, 50)]
    rows += [{"step": s, "time_s": s / 10, "images_per_s": 900.0, "d/loss": 0.02, "d/real_score": 5.5,
              "d/fake_score": -6.0, "g/loss": 6.5} for s in range(550, 1050, 50)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 10')  # torn last line
    assert main(["doctor", str(run)]) == 1
    out = capsys.readouterr().out
    assert "no sample signals logged" in out
    assert "discriminator overpowering, still at step 1000" in out and "real_score=5.5" in out


def test_doctor_healthy_run_exits_0(tmp_path, capsys):
    run = tmp_path / "fine"
    run.mkdir()
    rows = [{"step": s, "d/loss": 1.3, "g/loss": 0.8, "d/acc_real": 0.6, "d/acc_fake": 0.7} for s in range(50, 1050, 50)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["doctor", str(run)]) == 0
    assert "Verdict: healthy: no serious problem in 1000 steps." in capsys.readouterr().out


def test_doctor_errors_are_one_sentence(tmp_path, capsys):
    assert main(["doctor", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganforge: error: ") and "has no metrics.jsonl" in err and "Traceback" not in err
    (tmp_path / "metrics.jsonl").write_text("")
    with pytest.raises(GanforgeError, match="holds no rows yet"):
        replay_run(tmp_path)


def test_replay_ignores_health_off_in_the_config(tmp_path):
    """A run trained with train.health=off can still be diagnosed afterwards."""
    run = tmp_path / "off"
    shutil.copytree(FIXTURES / "collapsed-ring8", run)
    text = (run / "config.yaml").read_text().replace("train:\n", "train:\n  health: 'off'\n", 1)
    (run / "config.yaml").write_text(text)
    assert not replay_run(run).healthy
