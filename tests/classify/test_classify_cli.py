"""`ganforge classify` / `ganforge predict` through the real CLI entry point: the ssl-gan and
gan-augment methods, --no-save, --threads, the default output folder, and predict's answers
when no image can be read."""

import json

import pytest
import torch
from PIL import Image

from ganforge.cli import main

TINY = {
    "ssl-gan": ["unlabelled_batch=16", "z_dim=8", "g_hidden=16", "batch_size=8"],
    "gan-augment": ["gan_steps=2", "gan_batch=8", "gan_width=4", "z_dim=4", "generated_per_class=2", "recipe=acgan",
                    "batch_size=8"],
}


@pytest.fixture(autouse=True)
def _keep_threads():
    # --threads sets torch's thread count for the process: give the other tests theirs back.
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _classify(method, *extra):
    sets = [arg for option in TINY[method] for arg in ("--set", option)]
    return main(["classify", "--dataset", "mnist", "--labels", "20", "--method", method, "--steps", "2",
                 "--net", "hidden=[16]", *sets, *extra])


@pytest.mark.parametrize("method", ["ssl-gan", "gan-augment"])
def test_gan_methods_through_the_cli_into_the_default_folder(method, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _classify(method, "--threads", "1") == 0
    out = tmp_path / "runs" / "classify" / f"mnist-20-{method}"
    result = json.loads((out / "result.json").read_text())
    assert result["method"] == method and result["labels"] == 20 and result["torch_threads"] == 1
    assert result["models"] == [str(out.relative_to(tmp_path) / "models" / "seed0")]
    assert (out / "models" / "seed0" / "model.safetensors").is_file()
    printed = capsys.readouterr().out
    assert f"{method} on mnist, 20 labels, 1 seed: test accuracy" in printed and "classifiers:" in printed
    if method == "gan-augment":
        assert (out / "work" / "seed0" / "gan" / "config.yaml").is_file()  # the GAN it trained is kept


def test_no_save_writes_the_result_but_no_classifier(tmp_path, capsys):
    out = tmp_path / "out"
    assert _classify("ssl-gan", "--no-save", "--out", str(out)) == 0
    assert json.loads((out / "result.json").read_text())["models"] == []
    assert not (out / "models").exists() and "classifiers:" not in capsys.readouterr().out


def test_threads_below_one_is_refused(tmp_path, capsys):
    assert _classify("ssl-gan", "--threads", "0", "--out", str(tmp_path / "o")) == 2
    assert "--threads must be >= 1, got 0" in capsys.readouterr().err and not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    out = tmp_path_factory.mktemp("clf")
    assert main(["classify", "--dataset", "mnist", "--labels", "20", "--method", "baseline", "--steps", "2",
                 "--net", "hidden=[16]", "--out", str(out)]) == 0
    return out / "models" / "seed0"


def test_predict_with_no_readable_image_is_an_error(classifier, tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "empty.jpg").write_bytes(b"")
    assert main(["predict", str(classifier), str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"No readable image in {folder} (2 skipped)" in err and err.count("skipped ") == 2


def test_predict_answers_the_readable_images_and_exits_1_for_skipped_ones(classifier, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.new("L", (28, 28), 0).save(folder / "a.png")
    (folder / "b.png").write_bytes(b"garbage")
    assert main(["predict", str(classifier), str(folder)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(str(folder / "a.png") + "\t")
    assert lines[0].split("\t")[1] in [str(d) for d in range(10)]
    assert f"skipped {folder / 'b.png'}" in captured.err
