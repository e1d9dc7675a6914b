"""Hostile inputs for the robustness suite: files and folders built once per session from a tiny run."""

import json
import shutil

import pytest
from PIL import Image, PngImagePlugin

from ganforge.api import load
from ganforge.art.provenance import read_provenance, save_samples, to_text
from ganforge.training.checkpoint import find_checkpoint

GOOD_MODEL_KEYS = ("arch", "shape", "z_dim", "g")


def _png_with(source, path, **changes):
    """A copy of a ganforge PNG whose provenance fields are replaced by ``changes`` (raw text values)."""
    meta = to_text(read_provenance(source))
    meta.update({k: str(v) for k, v in changes.items()})
    info = PngImagePlugin.PngInfo()
    for key, value in meta.items():
        info.add_text(key, value)
    with Image.open(source) as img:
        img.save(path, pnginfo=info)
    return path


def _gif_with_comment(path, comment: bytes):
    Image.new("L", (8, 8)).save(path, format="GIF", comment=comment)
    return path


def _model_dir(checkpoint, folder, meta):
    shutil.copytree(checkpoint, folder)
    (folder / "model.json").write_text(json.dumps(meta) if not isinstance(meta, str) else meta)
    return folder


def _run_with_config(folder, content: bytes):
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.yaml").write_bytes(content)
    return folder


@pytest.fixture(scope="session")
def hostile(tiny_run, tiny_cond_run, tmp_path_factory):
    """{placeholder: path} for the case tables: runs, hostile files, clashing outputs."""
    root = tmp_path_factory.mktemp("hostile")
    checkpoint = find_checkpoint(tiny_run)
    meta = json.loads((checkpoint / "model.json").read_text())
    generator = meta["generator"]
    (root / "a-file").write_text("I am a file, not a folder")
    (root / "a-folder").mkdir()
    good_png = save_samples(load(tiny_run), root / "good.png", n=4, seed=1)
    manifest = root / "extractor"
    manifest.mkdir()
    (manifest / "manifest.json").write_text(json.dumps({"mine": 5}))
    places = {
        "run": tiny_run, "cond": tiny_cond_run, "tmp": root, "file": root / "a-file", "dir": root / "a-folder",
        "missing": root / "does-not-exist", "extractor": manifest,
        "png_huge_n": _png_with(good_png, root / "n.png", n=200_000_000),
        "png_huge_scale": _png_with(good_png, root / "scale.png", scale=100_000),
        "png_escape": _png_with(good_png, root / "escape.png", checkpoint="../../other/checkpoints/step_000004"),
        "png_bad_seed": _png_with(good_png, root / "seed.png", seed="abc"),
        "png_no_meta": _png_with(good_png, root / "plain.png", ganforge="0"),
        "not_png": root / "a-file",
        "gif_foreign": _gif_with_comment(root / "foreign.gif", b"made with another tool"),
        "gif_list": _gif_with_comment(root / "list.gif", b"[1, 2]"),
        "gif_wrong_types": _gif_with_comment(root / "types.gif", json.dumps(
            {"ganforge": "1", "kind": "samples", "run": 5, "checkpoint": "latest", "seed": "x", "n": 4}).encode()),
        "model_list": _model_dir(checkpoint, root / "m-list", [1, 2]),
        "model_missing": _model_dir(checkpoint, root / "m-missing", {"step": 3}),
        "model_types": _model_dir(checkpoint, root / "m-types", {**meta, "generator": {**generator, "z_dim": "big"}}),
        "model_unknown": _model_dir(checkpoint, root / "m-unknown", {**meta, "generator": {**generator, "g": {"colour": 1}}}),
        "model_wide": _model_dir(checkpoint, root / "m-wide", {**meta, "generator": {**generator, "g": {"width": 100000}}}),
        "model_params": _model_dir(checkpoint, root / "m-params", {**meta, "generator": {
            **generator, "shape": [3, 128, 128], "g": {"width": 4096, "max_channels": 4096}}}),
        "model_not_json": _model_dir(checkpoint, root / "m-text", "{not json"),
    }
    for name, content in {"empty": b"", "bytes": bytes(range(256)) * 3, "list": b"- 1\n- 2\n",
                          "invalid": b"train: {steps: [\n", "latin1": "name: caf\xe9\n".encode("latin-1"),
                          "date": b"a: 2001-13-45\n", "scalar": b"42\n"}.items():
        places[f"config_{name}"] = _run_with_config(root / f"cfg-{name}", content)
    return {key: str(value) for key, value in places.items()}
