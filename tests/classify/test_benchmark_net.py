"""benchmarks/classify.py --net: the classifier settings reach every run and keep MLP and CNN entries apart."""

import json
import sys

import pytest

from ganforge.errors import GanforgeError

@pytest.fixture()
def bench():
    """benchmarks/classify.py (pyproject puts benchmarks/ on the test path); tests patch it with monkeypatch."""
    import classify
    return classify


def test_net_settings_reach_the_runs_and_an_entry_of_another_net_is_not_reused(bench, tmp_path, monkeypatch):
    out = tmp_path / "out"
    argv = ["classify.py", "--datasets", "mnist", "--labels", "20", "--methods", "baseline", "--steps", "2",
            "--out", str(out), "--seed-list", "1"]
    asked = []
    real = bench.run_seeds

    def spy(*args, **kwargs):
        asked.append((list(args[4]), kwargs["net"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(bench, "run_seeds", spy)
    cnn = ["--net", "arch=cnn", "--net", "channels=[4,8]"]
    monkeypatch.setattr(sys, "argv", argv + cnn)
    assert bench.main() == 0
    entry = json.loads((out / "results.json").read_text())["mnist/20/baseline"]
    assert entry["net"] == {"arch": "cnn", "channels": [4, 8]} and asked == [([1], {"arch": "cnn", "channels": [4, 8]})]
    monkeypatch.setattr(sys, "argv", argv + cnn)
    assert bench.main() == 0 and len(asked) == 1  # the same net: the saved seed is kept, nothing runs
    monkeypatch.setattr(sys, "argv", argv)  # the MLP: the CNN's seed 1 must not be taken for it
    assert bench.main() == 0 and asked[-1] == ([1], {})
    assert json.loads((out / "results.json").read_text())["mnist/20/baseline"]["net"] == {}


def test_a_bad_net_setting_stops_before_any_run(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["classify.py", "--net", "arch=cnn", "--net", "hidden=[8]", "--out", str(tmp_path)])
    with pytest.raises(GanforgeError, match="Unknown --net setting"):
        bench.main()
