"""The studio's Translate tab, through the service: run lists split by kind, translations equal to the model's,
the same PNG provenance as `ganforge translate`, and one-line errors for bad runs and bad images."""

import hashlib
import shutil
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge import limits
from ganforge.art.provenance import read_provenance
from ganforge.cli import main
from ganforge.studio.service import TRANSLATOR, Studio, StudioError


@pytest.fixture(scope="module")
def studio(tiny_run, tiny_translation_runs, tmp_path_factory):
    """A runs root holding a generator run ("tiny") and two translation runs ("pix2pix", "cyclegan")."""
    root = tmp_path_factory.mktemp("studio-tr") / "runs"
    root.mkdir()
    shutil.copytree(tiny_run, root / "tiny")
    for name, run in tiny_translation_runs.items():
        shutil.copytree(run, root / name)
    studio = Studio(root, out_dir=root.parent / "out")
    yield studio
    studio.close()


def _pixels(path) -> torch.Tensor:
    """A PNG -> uint8 (C, H, W)."""
    with Image.open(path) as img:
        array = np.asarray(img).copy()
    return torch.from_numpy(array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy())


def _rgb(h=50, w=70, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _png_header(path, width, height):
    """A tiny PNG whose header declares width x height grey pixels (its data is a few bytes): a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def test_run_lists_are_split_by_kind(studio):
    assert studio.list_runs() == ["tiny"]  # the Generate tab: generator runs only
    assert studio.list_runs(TRANSLATOR) == ["cyclegan", "pix2pix"]  # the Translate tab
    assert studio.list_runs(None) == ["cyclegan", "pix2pix", "tiny"]
    assert studio.list_checkpoints("pix2pix") == ["latest", "step_000002"]


@pytest.mark.parametrize("call, match", [
    (lambda s: s.generate("pix2pix", n=1), "'pix2pix' is an image-to-image translation run .* Translate tab"),
    (lambda s: s.run_info("cyclegan"), "'cyclegan' is an image-to-image translation run .* Translate tab"),
    (lambda s: s.translate("tiny", image=_rgb()), "'tiny' is a generator run; open it in the Generate tab"),
    (lambda s: s.translator_info("tiny"), "'tiny' is a generator run"),
])
def test_a_run_of_the_wrong_kind_is_one_line(studio, call, match):
    with pytest.raises(StudioError, match=match) as caught:
        call(studio)
    assert "\n" not in str(caught.value)


def test_translator_info(studio):
    info = studio.translator_info("cyclegan")
    assert (info["directions"], info["size"], info["channels"], info["step"]) == (["AtoB", "BtoA"], 32, 3, 2)
    assert studio.translator_info("pix2pix", "step_000002")["directions"] == ["AtoB"]


def test_an_uploaded_array_is_translated_exactly_as_the_model_does(studio):
    array = _rgb()
    result = studio.translate("pix2pix", "latest", image=array)
    model = ganforge.load(studio.root / "pix2pix")
    want = model.translate_images(Image.fromarray(array))[0]  # (1, 32, 32): the model is grey
    assert result.direction == "AtoB" and torch.equal(_pixels(result.download), want)
    # the page shows the input as the model sees it (grey, centre square, 32 px) and the output, upscaled 4x
    seen = model.prepare(Image.fromarray(array))
    assert torch.equal(_pixels(result.input_view)[:, ::4, ::4], ((seen[0] + 1) * 127.5).round().to(torch.uint8))
    assert torch.equal(_pixels(result.output_view)[:, ::4, ::4], want)
    with Image.open(result.input_view) as view:
        assert (view.mode, view.size) == ("L", (128, 128))


def test_an_editor_sketch_with_transparency_is_drawn_over_white(studio):
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)  # transparent canvas ...
    rgba[20:40, 30:34] = (0, 0, 0, 255)  # ... with one black stroke
    result = studio.translate("pix2pix", image={"background": None, "layers": [], "composite": rgba})
    model = ganforge.load(studio.root / "pix2pix")
    assert torch.equal(_pixels(result.download), model.translate_images(Image.fromarray(rgba))[0])
    assert _pixels(result.input_view).max() == 255  # the transparent part is white, as in the edge maps


def test_the_download_carries_the_provenance_ganforge_translate_writes(studio, tmp_path):
    upload = tmp_path / "my sketch.png"
    Image.fromarray(_rgb(40, 40, seed=2)).save(upload)
    result = studio.translate("cyclegan", "step_000002", image=str(upload), direction="BtoA")
    meta = read_provenance(result.download)
    assert meta["kind"] == "translation" and meta["direction"] == "BtoA" and meta["input"] == "my sketch.png"
    assert meta["input_sha256"] == hashlib.sha256(upload.read_bytes()).hexdigest()
    assert meta["checkpoint"] == "step_000002" and meta["scale"] == 1 and len(meta["weights"]) == 16
    assert read_provenance(result.output_view) == {**meta, "scale": 4}  # the upscaled view says so
    # the CLI on the same run and file writes the same pixels with the same metadata
    assert main(["translate", str(studio.root / "cyclegan"), str(upload), "--out", str(tmp_path / "cli"),
                 "--direction", "BtoA", "--checkpoint", "step_000002"]) == 0
    assert read_provenance(tmp_path / "cli" / "my sketch.png") == meta
    assert torch.equal(_pixels(tmp_path / "cli" / "my sketch.png"), _pixels(result.download))


def test_cyclegan_translates_the_asked_direction_and_defaults_to_the_first(studio):
    array = _rgb(32, 32, seed=3)
    model = ganforge.load(studio.root / "cyclegan")
    for direction in ("AtoB", "BtoA"):
        result = studio.translate("cyclegan", image=array, direction=direction)
        assert torch.equal(_pixels(result.download), model.translate_images(Image.fromarray(array), direction)[0])
    assert studio.translate("cyclegan", image=array, direction=None).direction == "AtoB"


@pytest.mark.parametrize("name, direction, match", [
    ("cyclegan", "sideways", "translates AtoB and BtoA, not 'sideways'; choose one of those"),
    ("pix2pix", "BtoA", "translates AtoB, not 'BtoA'"),
    ("pix2pix", ["AtoB"], "not \\['AtoB'\\]"),
])
def test_a_bad_direction_is_one_line(studio, name, direction, match):
    with pytest.raises(StudioError, match=match):
        studio.translate(name, image=_rgb(), direction=direction)


def _text_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    return str(path)


def _empty(tmp_path):
    (tmp_path / "empty.jpg").touch()
    return str(tmp_path / "empty.jpg")


def _truncated_png(tmp_path):
    Image.fromarray(_rgb()).save(tmp_path / "cut.png")
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    return str(tmp_path / "cut.png")


BAD_IMAGES = [
    (lambda tmp: None, "Upload an image or draw a sketch first"),
    (lambda tmp: "", "Upload an image or draw a sketch first"),
    (lambda tmp: {"composite": None}, "Upload an image or draw a sketch first"),
    (lambda tmp: str(tmp / "missing.png"), "Upload an image or draw a sketch first"),
    (_text_png, "'notes.png' is not an image; upload a PNG or JPEG image"),
    (_empty, "'empty.jpg' is not an image"),
    (_truncated_png, "'cut.png' cannot be read as an image \\(corrupt\\)"),
    (lambda tmp: str(_png_header(tmp / "big.png", 11_000, 10_000)),
     f"11,000 x 10,000 pixels, over the {limits.MAX_PICTURE_PIXELS:,}-pixel limit; upload a smaller image"),
    (lambda tmp: str(_png_header(tmp / "bomb.png", 40_000, 40_000)), "over the 100,000,000-pixel limit"),
    (lambda tmp: np.zeros((8, 8, 3), dtype=np.float32), "must be uint8 \\(H, W\\) or \\(H, W, 3\\|4\\)"),
    (lambda tmp: np.zeros((8, 8, 2), dtype=np.uint8), "must be uint8"),
    (lambda tmp: np.zeros((0, 8), dtype=np.uint8), "Upload an image or draw a sketch first"),
    (lambda tmp: 5, "The input is a int, not an image"),
]


@pytest.mark.parametrize("make, match", BAD_IMAGES, ids=[str(i) for i in range(len(BAD_IMAGES))])
def test_a_bad_image_is_one_line(studio, tmp_path, make, match):
    with pytest.raises(StudioError, match=match) as caught:
        studio.translate("pix2pix", image=make(tmp_path))
    assert "\n" not in str(caught.value) and str(tmp_path) not in str(caught.value)  # no server paths shown


def test_a_huge_array_is_refused_before_it_is_written(studio, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PICTURE_PIXELS", 100)
    before = set(studio.out_dir.iterdir())
    with pytest.raises(StudioError, match="11 x 10 pixels, over the 100-pixel limit"):
        studio.translate("pix2pix", image=np.zeros((10, 11), dtype=np.uint8))
    assert set(studio.out_dir.iterdir()) == before


def test_the_page_has_the_translate_tab_wired(studio):
    from fastapi.testclient import TestClient

    from ganforge.studio.app import build_app

    with TestClient(build_app(studio)) as client:
        config = client.get("/config").json()
    props = {c.get("props", {}).get("elem_id"): c["props"] for c in config["components"]}
    assert {"translate-tab", "t-run", "t-checkpoint", "t-direction", "t-upload", "translate", "t-sketch",
            "translate-sketch", "t-input", "t-output", "t-file"} <= set(props)
    assert [c[0] for c in props["t-run"]["choices"]] == ["cyclegan", "pix2pix"] and props["t-run"]["value"] == "cyclegan"
    assert [c[0] for c in props["run"]["choices"]] == ["tiny"]  # the Generate tab keeps generator runs only
