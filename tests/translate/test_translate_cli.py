"""`ganforge translate` end to end on a tiny run, model.translate, provenance, and the one-line errors."""

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.art.provenance import read_provenance
from ganforge.cli import main
from ganforge.presets import load_config
from ganforge.training.trainer import Trainer
from ganforge.translate import TranslatorModel

TINY = ["recipe.g.width=4", "recipe.d.width=4", "recipe.d.n_layers=1", "train.batch_size=4", "train.steps=2",
        "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2", "train.progress=false",
        "train.device=cpu", "train.precision=fp32", "train.ema_decay=0", "train.grid_size=4", "data.resolution=32",
        "data.cache=false", "train.health=off"]


def _write_pairs(folder, n=6, size=40, sides=("A", "B")):
    rng = np.random.default_rng(0)
    for side in sides:
        (folder / side).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / side / f"{i}.png")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("translate")
    # held-out pairs for `ganforge eval`: A/test + B/test (pix2pix), testA + testB (CycleGAN's layout)
    paired = _write_pairs(root / "pairs", sides=("A/train", "B/train", "A/test", "B/test"))
    unpaired = _write_pairs(root / "unpaired", sides=("trainA", "trainB", "testA", "testB"))
    out = {}
    for recipe, source, pairs, extra in (("pix2pix", "paired-folder", paired, []),
                                         ("cyclegan", "unpaired-folders", unpaired, ["recipe.g.blocks=1"])):
        cfg = load_config(None, [f"recipe.name={recipe}", f"data.source={source}", f"data.path={pairs}",
                                 f"out_dir={root / 'runs'}", *TINY, *extra], name=recipe)
        out[recipe] = Trainer(cfg).fit()
    return out


def test_load_gives_a_translator_model_that_takes_files_pil_images_and_tensors(runs, tmp_path):
    model = ganforge.load(runs["cyclegan"])
    assert isinstance(model, TranslatorModel) and model.directions == ["AtoB", "BtoA"] and model.shape == (3, 32, 32)
    image = Image.fromarray(np.full((50, 60, 3), 128, dtype=np.uint8))
    image.save(tmp_path / "x.png")
    from_file, from_pil = model.translate(tmp_path / "x.png"), model.translate(image)
    from_tensor = model.translate(torch.full((1, 3, 32, 32), 128, dtype=torch.uint8), "BtoA")
    assert from_file.shape == from_pil.shape == from_tensor.shape == (1, 3, 32, 32)
    assert torch.equal(from_file, from_pil) and torch.equal(from_file, model.translate(image))  # eval mode: deterministic
    assert model.translate_images(image).dtype == torch.uint8


def test_cli_translate_writes_pngs_with_provenance(runs, tmp_path, capsys):
    folder = tmp_path / "inputs"
    folder.mkdir()
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(folder / "a.png")
    Image.fromarray(np.zeros((64, 64), dtype=np.uint8)).save(folder / "b.jpg")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"not a png")
    single = tmp_path / "single.png"
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(single)
    assert main(["translate", str(runs["pix2pix"]), str(folder), str(single), "--out", str(tmp_path / "out"), "--scale", "2"]) == 0
    out = capsys.readouterr().out
    assert "Translated 3 image(s) AtoB" in out and "1 unreadable input(s) skipped" in out
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png"))
    assert written == ["inputs/a.png", "inputs/b.png", "single.png"]
    with Image.open(tmp_path / "out" / "single.png") as img:
        assert img.size == (64, 64)
    meta = read_provenance(tmp_path / "out" / "inputs" / "a.png")
    assert meta["kind"] == "translation" and meta["direction"] == "AtoB" and meta["input"] == "a.png"
    assert len(meta["input_sha256"]) == 64 and meta["checkpoint"] == "step_000002"
    # a translation is re-made from its input, which the PNG does not hold: one line saying so
    assert main(["generate", "--from-png", str(tmp_path / "out" / "single.png"), "--out", str(tmp_path / "re.png")]) == 2
    err = capsys.readouterr().err
    assert "translat" in err and err.count("\n") == 1


def test_cli_translate_uses_the_asked_direction(runs, tmp_path):
    image = tmp_path / "a.png"
    Image.fromarray(np.full((32, 32, 3), 200, dtype=np.uint8)).save(image)
    assert main(["translate", str(runs["cyclegan"]), str(image), "--out", str(tmp_path / "ab")]) == 0
    assert main(["translate", str(runs["cyclegan"]), str(image), "--out", str(tmp_path / "ba"), "--direction", "BtoA"]) == 0
    model = ganforge.load(runs["cyclegan"])
    with Image.open(tmp_path / "ba" / "a.png") as img:
        saved = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)
    assert torch.equal(saved, model.translate_images(image, "BtoA")[0])
    assert read_provenance(tmp_path / "ab" / "a.png")["direction"] == "AtoB"


@pytest.mark.parametrize("args,message", [
    (["--direction", "BtoA"], "translates AtoB, not 'BtoA'"),
    (["--scale", "0"], "--scale must be between"),
])
def test_cli_translate_errors_are_one_line(runs, tmp_path, capsys, args, message):
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(image)
    assert main(["translate", str(runs["pix2pix"]), str(image), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_translate_missing_input_is_one_line(runs, tmp_path, capsys):
    assert main(["translate", str(runs["pix2pix"]), str(tmp_path / "nope.png"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_an_edited_model_json_is_refused_before_anything_is_built(runs, tmp_path):
    import json
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(runs["pix2pix"] / "checkpoints" / "step_000002", copy)
    meta = json.loads((copy / "model.json").read_text())
    meta["generator"]["g"]["width"] = 10**9
    (copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ganforge.GanforgeError, match="width"):
        ganforge.load(copy)
    meta["generator"]["directions"] = {"sideways": "G"}
    (copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ganforge.GanforgeError, match="directions"):
        ganforge.load(copy)


@pytest.mark.parametrize("recipe,keys,skipped", [("pix2pix", {"l1", "psnr", "ssim"}, {"target_kid", "cycle", "content"}),
                                                  ("cyclegan", {"cycle_l1"}, {"pixel", "target_kid", "content"})])
def test_eval_scores_a_translation_run_through_the_metric_specs(runs, recipe, keys, skipped, capsys):
    import json

    assert main(["eval", str(runs[recipe]), "--n", "4"]) == 0
    report = json.loads((runs[recipe] / "eval.json").read_text())
    assert set(report["metrics"]) == keys and report["n"] == 4 and report["split"] == "test"
    assert set(report["not_applicable"]) == skipped and report["direction"] == "AtoB"
    assert "Wrote" in capsys.readouterr().out


def test_eval_of_a_folder_without_held_out_pairs_is_one_line(tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    pairs = _write_pairs(tmp_path / "train_only")
    cfg = load_config(None, ["recipe.name=pix2pix", "data.source=paired-folder", f"data.path={pairs}",
                             f"out_dir={tmp_path}", *TINY], name="run")
    Trainer(cfg).fit()
    assert main(["eval", str(run), "--n", "4"]) == 2  # the CLI's code for a GanforgeError
    err = capsys.readouterr().err
    assert "no 'test' split" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    shutil.rmtree(run)
