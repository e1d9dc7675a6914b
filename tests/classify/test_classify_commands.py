"""`ganforge classify` / `ganforge predict` through a parser built with add_commands."""

import argparse
import json
import statistics

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.classify import ClassifierModel, run_method
from ganforge.classify.base import accuracy
from ganforge.classify.commands import add_commands
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError


def run_cli(argv):
    parser = argparse.ArgumentParser(prog="ganforge")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_classify_writes_result_and_models(tmp_path, capsys):
    out = tmp_path / "out"
    code = run_cli(["classify", "--dataset", "mnist", "--labels", "20", "--method", "baseline", "--seeds", "2",
                    "--steps", "3", "--net", "hidden=[16]", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "baseline on mnist, 20 labels, 2 seeds: test accuracy" in printed and "±" in printed and "CPU" in printed
    result = json.loads((out / "result.json").read_text())
    assert result["test_images"] == 1000 and result["train_images"] == 4000 and result["seeds"] == [0, 1]
    # the summary is the seeds' mean and sample std, and each seed's accuracy is its saved model's
    accs, cpus = [r["test_accuracy"] for r in result["runs"]], [r["cpu_s"] for r in result["runs"]]
    assert result["test_accuracy_mean"] == pytest.approx(statistics.fmean(accs))
    assert result["test_accuracy_std"] == pytest.approx(statistics.stdev(accs))
    assert result["cpu_s_mean"] == pytest.approx(statistics.fmean(cpus)) and min(cpus) > 0
    assert [r["labels_read"] < 4000 for r in result["runs"]] == [True, True]
    model = ClassifierModel.load(out / "models" / "seed1")
    assert model.class_names == [str(d) for d in range(10)] and model.spec.hidden == [16]
    test = load_dataset(DataConfig(source="mnist", split="test"))
    assert accuracy(model.net, test.x, test.y) == pytest.approx(accs[1], abs=1e-6)
    assert (out / "models" / "seed1" / "model.safetensors").is_file()


@pytest.mark.parametrize("labels, message", [("15", "multiple of the number of classes \\(10\\)"),
                                             ("5000", "more than the 4000 training images")])
def test_bad_labels(tmp_path, labels, message):
    with pytest.raises(GanforgeError, match=message):
        run_cli(["classify", "--dataset", "mnist", "--labels", labels, "--method", "baseline", "--out", str(tmp_path)])


def test_unknown_method_and_net_setting(tmp_path):
    with pytest.raises(GanforgeError, match="Choose one of: baseline, gan-augment, ssl-gan"):
        run_cli(["classify", "--method", "sslgan", "--out", str(tmp_path)])
    with pytest.raises(GanforgeError, match="valid: hidden, hidden_noise, input_noise"):
        run_cli(["classify", "--net", "width=3", "--out", str(tmp_path)])


def test_save_and_predict_round_trip(tiny_data, tmp_path, capsys):
    train, test = tiny_data
    result = run_method(train, test, "baseline", 8, 0, {"steps": 40, "batch_size": 8}, net={"hidden": [32, 16]})
    model_dir = result.model.save(tmp_path / "model")
    meta = json.loads((model_dir / "classifier.json").read_text())
    assert meta["kind"] == "ganforge-classifier" and meta["class_names"] == train.class_names

    loaded = ClassifierModel.load(model_dir)
    assert torch.equal(loaded.predict_tensor(test.x), result.model.predict_tensor(test.x))

    images = tmp_path / "images"
    images.mkdir()
    for i in range(5):  # grey PNGs, plus one RGB copy at another size: converted to 1 x 28 x 28
        Image.fromarray(test.x[i, 0].numpy()).save(images / f"img{i}.png")
    Image.fromarray(np.repeat(test.x[0, 0].numpy()[:, :, None], 3, axis=2)).resize((56, 56), Image.NEAREST).save(images / "rgb.png")
    (images / "notes.txt").write_text("not an image")
    (images / "broken.png").write_bytes(b"not a png")

    code = run_cli(["predict", str(model_dir), str(images)])
    captured = capsys.readouterr()
    lines = dict(line.split("\t") for line in captured.out.strip().splitlines())
    expected = loaded.predict_tensor(test.x[:5]).tolist()
    for i in range(5):
        assert lines[str(images / f"img{i}.png")] == train.class_names[expected[i]]
    assert str(images / "rgb.png") in lines and len(lines) == 6
    assert "broken.png: corrupt" in captured.err and code == 1  # a bad file is reported, not fatal

    assert run_cli(["predict", str(model_dir), str(images / "img3.png")]) == 0
    assert capsys.readouterr().out == f"{images / 'img3.png'}\t{train.class_names[expected[3]]}\n"


def test_predict_errors(tmp_path):
    with pytest.raises(GanforgeError, match="not a saved classifier"):
        run_cli(["predict", str(tmp_path), str(tmp_path)])


def _class_folder(root, per_class=12):
    """root/<class>/*.png: class "a" dark images, class "b" bright ones (an easy, readable task)."""
    rng = np.random.default_rng(0)
    for name, level in (("a", 30), ("b", 220)):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(level, 10, (16, 16)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_classify_a_folder_holds_out_a_test_set(tmp_path, capsys):
    folder = _class_folder(tmp_path / "pets")
    out = tmp_path / "out"
    assert run_cli(["classify", "--dataset", "folder", "--data-path", str(folder), "--labels", "4", "--method",
                    "baseline", "--steps", "3", "--net", "hidden=[8]", "--out", str(out), "--no-save"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert (result["train_images"], result["test_images"]) == (20, 4)  # 20% of 24 held out
    assert not (out / ".lock").exists()  # the output lock is released


def test_classify_a_folder_with_its_own_test_folder(tmp_path):
    out = tmp_path / "out"
    assert run_cli(["classify", "--dataset", "folder", "--data-path", str(_class_folder(tmp_path / "train")),
                    "--test-path", str(_class_folder(tmp_path / "test", 3)), "--labels", "2", "--method", "baseline",
                    "--steps", "2", "--net", "hidden=[8]", "--out", str(out), "--no-save"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert (result["train_images"], result["test_images"]) == (24, 6)


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "folder"], "--dataset folder needs --data-path DIR"),
    (["--dataset", "mnist", "--data-path", "x"], "--data-path is for --dataset folder"),
])
def test_classify_folder_arguments(tmp_path, argv, message):
    with pytest.raises(GanforgeError, match=message):
        run_cli(["classify", *argv, "--method", "baseline", "--out", str(tmp_path / "o")])


def test_classify_out_that_is_a_file_fails_before_any_work(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(GanforgeError, match="is an existing file"):
        run_cli(["classify", "--method", "baseline", "--out", str(tmp_path / "taken")])


def test_classify_cpu_budget_records_the_budget_and_the_steps_reached(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(["classify", "--dataset", "mnist", "--labels", "20", "--method", "baseline", "--cpu-budget", "2",
                    "--steps", "4", "--net", "hidden=[8]", "--out", str(out), "--no-save"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["options"]["cpu_budget_s"] == 2.0 and result["options"]["steps"] == 4  # --steps: the most
    assert [r["steps"] for r in result["runs"]] == [4]
    assert "steps 4" in capsys.readouterr().out
