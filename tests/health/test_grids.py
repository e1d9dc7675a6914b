"""Sample signals read back from saved sample grids, and ``ganforge doctor`` on a run trained without the monitor."""

import math

import pytest
import torch
import yaml
from PIL import Image

from ganforge.art.grid import make_grid, save_image
from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.health.grids import cut_grid, grid_rows, grid_steps
from ganforge.health.replay import replay_run
from ganforge.health.signals import SampleSpace


@pytest.mark.parametrize("channels, n, per_row, scale", [(1, 64, None, 1), (3, 10, 4, 3), (1, 16, 8, 5)])
def test_cut_grid_gives_back_the_tiles(tmp_path, channels, n, per_row, scale):
    tiles = torch.randint(0, 256, (n, channels, 8, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(n))
    save_image(make_grid(tiles, nrow=per_row), tmp_path / "g.png", scale=scale)
    with Image.open(tmp_path / "g.png") as image:
        assert torch.equal(cut_grid(image, (channels, 8, 6), max_tiles=n), tiles)


def test_cut_grid_names_a_shape_that_does_not_fit(tmp_path):
    save_image(make_grid(torch.zeros(4, 1, 8, 8, dtype=torch.uint8)), tmp_path / "g.png")
    with Image.open(tmp_path / "g.png") as image, pytest.raises(GanforgeError, match="does not hold 10x10 tiles"):
        cut_grid(image, (1, 10, 10))


def test_grid_signals_match_the_signals_of_the_samples(run_without_monitor, mnist_subset):
    run = run_without_monitor(600)
    rows = grid_rows(run, yaml.safe_load((run / "config.yaml").read_text()))
    assert [r["step"] for r in rows] == list(range(100, 1100, 100)) == [s for s, _ in grid_steps(run)]
    mnist = mnist_subset
    space = SampleSpace(mnist, "mnist")
    digits = mnist.to_model(mnist.x[torch.randperm(len(mnist), generator=torch.Generator().manual_seed(0))[:64]])
    assert rows[0]["health/diversity"] == pytest.approx(space.signals(digits)["health/diversity"], rel=1e-6)
    assert rows[-1]["health/diversity"] == pytest.approx(0.0, abs=1e-6)
    assert rows[-1]["health/class_kl"] == pytest.approx(math.log(10))


def test_doctor_judges_collapse_from_the_grids_of_a_run_without_the_monitor(run_without_monitor, capsys):
    run = run_without_monitor(600)
    assert main(["doctor", str(run)]) == 1
    out = capsys.readouterr().out
    assert "collapse judged from the 10 sample grids in samples/" in out
    assert "Run " in out and "20 log rows" in out  # the grids are not counted as log rows
    (collapse,) = [d for d in replay_run(run).diagnoses if d.name == "mode_collapse"]
    assert collapse.step == 700  # grids 600 and 700 hold (patience 2)
    assert collapse.evidence["diversity"] == pytest.approx(0.0, abs=1e-4)


def test_doctor_on_the_grids_of_a_healthy_run(run_without_monitor):
    run = run_without_monitor(10_000)
    report = replay_run(run)
    assert report.healthy and report.notes and report.diagnoses == []


def test_doctor_falls_back_to_the_losses_when_the_data_is_missing(run_without_monitor, tmp_path):
    run = run_without_monitor(600)
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["data"] = {"source": "folder", "path": str(tmp_path / "gone")}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    report = replay_run(run)
    assert report.healthy and "could not be read" in report.notes[0]
