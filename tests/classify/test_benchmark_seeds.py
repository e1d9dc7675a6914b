"""benchmarks/classify.py: --seed-list, and seeds added to a saved entry instead of redoing it."""

import json
import sys

import pytest

from ganforge.classify import options_for

@pytest.fixture()
def bench():
    """benchmarks/classify.py (pyproject puts benchmarks/ on the test path); tests patch it with monkeypatch."""
    import classify
    return classify


def _run(seed: int, acc: float) -> dict:
    return {"method": "baseline", "seed": seed, "n_labels": 20, "test_accuracy": acc, "cpu_s": 1.0, "wall_s": 2.0,
            "labels_read": 30, "steps": 2}


def test_kept_runs_need_the_same_options_and_treat_new_fields_as_defaults(bench):
    options = options_for("baseline", steps=2)
    stored = {k: v for k, v in vars(options).items() if k not in ("rotate", "scale")}  # saved before they existed
    done = {"options": stored, "runs": [_run(0, 0.5), _run(1, 0.6)]}
    assert [r.seed for r in bench.kept_runs(done, options, [1, 2])] == [1]
    assert bench.kept_runs(done, options_for("baseline", steps=3), [1]) == []
    assert bench.kept_runs(done, options_for("baseline", {"rotate": 5.0}, steps=2), [1]) == []
    assert bench.kept_runs(None, options, [0]) == []


def test_seed_list_runs_those_seeds_and_a_later_call_adds_seeds(bench, tmp_path, monkeypatch):
    out = tmp_path / "out"
    argv = ["classify.py", "--datasets", "mnist", "--labels", "20", "--methods", "baseline", "--steps", "2",
            "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv + ["--seed-list", "1"])
    assert bench.main() == 0
    first = json.loads((out / "results.json").read_text())["mnist/20/baseline"]
    assert first["seeds"] == [1]
    monkeypatch.setattr(sys, "argv", argv + ["--seed-list", "1", "0"])
    assert bench.main() == 0
    both = json.loads((out / "results.json").read_text())["mnist/20/baseline"]
    assert both["seeds"] == [1, 0]
    assert both["runs"][0] == first["runs"][0]  # seed 1 kept from the first call, not run again
    accs = [r["test_accuracy"] for r in both["runs"]]
    assert both["test_accuracy_mean"] == pytest.approx(sum(accs) / 2)
