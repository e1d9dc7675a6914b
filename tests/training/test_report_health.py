"""report.html's health panel: verdict, shaded signal plot and the sample grid at each diagnosis."""

import shutil
from pathlib import Path

from PIL import Image

from ganforge.training.report import write_report

FIXTURE = Path(__file__).parents[1] / "health" / "fixtures" / "collapsed-ring8"


def test_report_has_a_health_panel_with_the_grid_at_the_diagnosis(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    (run / "samples").mkdir()
    for step in (200, 500, 1000):
        Image.new("RGB", (8, 8)).save(run / "samples" / f"step_{step:06d}.png")
    page = write_report(run).read_text()
    assert "<h2>Health</h2>" in page
    assert "unhealthy: mode collapse from step 300" in page  # (tests/health/test_commands.py: why 300)
    assert '<img src="health.png"' in page and (run / "health.png").stat().st_size > 1000
    assert "mode collapse at step 300, to the end" in page
    assert 'src="samples/step_000500.png"' in page  # the first grid at or after the step it fired
    assert "lower optim_g.lr" in page


def test_report_without_health_signals_still_renders(tmp_path):
    run = tmp_path / "old"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 50, "d/loss": 1.2, "g/loss": 0.7}\n')
    page = write_report(run).read_text()
    assert "healthy: no serious problem in 50 steps." in page and (run / "health.png").exists()


def test_report_of_an_empty_run(tmp_path):
    page = write_report(tmp_path).read_text()
    assert "No rows logged yet." in page


def test_report_of_a_run_without_sample_signals_judges_its_sample_grids(run_without_monitor):
    """health=off: losses only in metrics.jsonl, real digits in the grids until step 600, then one digit 64
    times.  The panel reads the grids as doctor does: collapse shaded from 700 (grids 600 and 700 hold), the grid
    at that step shown, and a note saying where the signals came from."""
    run = run_without_monitor(600)
    page = write_report(run).read_text()
    assert "unhealthy: mode collapse from step 700" in page
    assert "collapse judged from the 10 sample grids in samples/" in page
    assert "mode collapse at step 700, to the end" in page
    assert 'src="samples/step_000700.png" alt="step_000700" style="max-width:260px"' in page  # the grid at the diagnosis
    assert '<img src="health.png"' in page and (run / "health.png").stat().st_size > 1000  # with the diversity curve
