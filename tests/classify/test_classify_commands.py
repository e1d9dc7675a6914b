"""`ganforge classify` / `ganforge predict` through a parser built with add_commands."""

import argparse
import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.classify import ClassifierModel, run_method
from ganforge.classify.commands import add_commands
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
    assert 0 <= result["test_accuracy_mean"] <= 1 and result["test_accuracy_std"] >= 0 and result["cpu_s_mean"] > 0
    assert [r["labels_read"] < 4000 for r in result["runs"]] == [True, True]
    model = ClassifierModel.load(out / "models" / "seed1")
    assert model.class_names == [str(d) for d in range(10)] and model.spec.hidden == [16]
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
