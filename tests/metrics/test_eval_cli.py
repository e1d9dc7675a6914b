"""`ganforge eval` on a conditional run (class_acc, intra_fid, cas) and with `--extractor DIR`
(an extractor the user trained), through the real CLI entry point.  Each run's numbers must be
the library's for the same seed: the CLI computes what it says, with the extractor it names."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main
from ganforge.files import TEMP_PREFIX
from ganforge.metrics.evaluate import evaluate_run


@pytest.fixture
def cond_run(tiny_cond_run, tmp_path):
    return shutil.copytree(tiny_cond_run, tmp_path / "cond")  # eval writes eval.json into the run


def test_eval_of_a_conditional_run_reports_class_acc_intra_fid_and_cas(cond_run, capsys):
    assert main(["eval", str(cond_run), "--metrics", "class_acc,intra_fid,cas", "--n", "100"]) == 0
    out = capsys.readouterr().out
    assert "class_acc" in out and "intra_fid" in out and "cas" in out
    saved = json.loads((cond_run / "eval.json").read_text())["metrics"]
    assert {f"intra_fid/{d}" for d in range(10)} <= set(saved)
    assert saved["intra_fid"] == pytest.approx(np.mean([saved[f"intra_fid/{d}"] for d in range(10)]))
    again = evaluate_run(cond_run, metrics=["class_acc", "intra_fid", "cas"], n=100, write=False)["metrics"]
    for key in ("class_acc", "intra_fid", "cas"):
        assert saved[key] == pytest.approx(again[key], rel=1e-6)
    assert saved["class_acc"] < 0.5  # 4 training steps: far from making the asked-for digit


def test_eval_with_a_trained_extractor_folder_uses_it(tiny_run, tmp_path, capsys):
    rng = np.random.default_rng(0)
    for label in ("dark", "light"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(12):
            base = 40 if label == "dark" else 200
            Image.fromarray(rng.integers(base - 30, base + 30, (28, 28)).astype(np.uint8)).save(
                tmp_path / "imgs" / label / f"{i}.png")
    extractor = tmp_path / "ext"
    assert main(["metrics", "train-extractor", "--dataset", "folder", "--path", str(tmp_path / "imgs"),
                 "--resolution", "28", "--channels", "1", "--epochs", "1", "--precision", "fp32",
                 "--out", str(extractor)]) == 0
    manifest = json.loads((extractor / "manifest.json").read_text())
    run = shutil.copytree(tiny_run, tmp_path / "run")
    capsys.readouterr()
    assert main(["eval", str(run), "--metrics", "fid,kid", "--n", "64", "--extractor", str(extractor)]) == 0
    report = json.loads((run / "eval.json").read_text())
    assert report["extractor"]["name"] == "imgs" and report["extractor"]["sha256"] == manifest["imgs"]["sha256"]
    mine = evaluate_run(run, metrics=["fid", "kid"], n=64, extractor=extractor, write=False)["metrics"]
    default = evaluate_run(run, metrics=["fid", "kid"], n=64, write=False)["metrics"]
    assert report["metrics"]["fid"] == pytest.approx(mine["fid"], rel=1e-6)
    assert report["metrics"]["fid"] != pytest.approx(default["fid"], rel=1e-3)  # not the committed mnist one


def test_a_second_eval_keeps_the_first_in_the_history(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    assert main(["eval", str(run), "--metrics", "fid", "--n", "32"]) == 0
    first = json.loads((run / "eval.json").read_text())
    assert main(["eval", str(run), "--metrics", "kid", "--n", "32"]) == 0
    second = json.loads((run / "eval.json").read_text())
    assert set(second["metrics"]) == {"kid_mean", "kid_std"}
    (run / "eval.json").write_text("{half a file")  # damage the second: kept as text, not dropped
    assert main(["eval", str(run), "--metrics", "fid", "--n", "32"]) == 0
    history = [json.loads(line) for line in (run / "eval_history.jsonl").read_text().splitlines()]
    assert "fid" in first["metrics"] and history == [first, {"unreadable": "{half a file"}]
    assert not [p for p in run.iterdir() if p.name.startswith(TEMP_PREFIX)]  # no temporary left behind
