"""The web export: a static folder whose page draws what ``ganforge generate`` draws, offline, in headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` on PATH and the dev package selenium;
without them the browser tests fail with a line naming what to install (never skipped).
"""

import json

import numpy as np
import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.data.base import to_uint8_images
from ganforge.errors import GanforgeError
from ganforge.export import browser, export
from ganforge.export.web import ORT_WASM, SEEDS

WAIT_S = 90


@pytest.fixture(scope="module")
def exports(tiny_run, tiny_cond_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    return {"uncond": (tiny_run, export(tiny_run, "web", root / "uncond")),
            "cond": (tiny_cond_run, export(tiny_cond_run, "web", root / "cond"))}


def test_the_folder_is_self_contained(exports):
    run, folder = exports["uncond"]
    names = {p.name for p in folder.iterdir()}
    assert {"index.html", "app.js", "model.onnx", "latents.bin", "meta.json", ORT_WASM, "ort.wasm.bundle.min.mjs",
            "README.md", "LICENSE-onnxruntime-web.txt"} <= names
    for page in ("index.html", "app.js"):
        text = (folder / page).read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_latent_table_rows_are_ganforges_latents(exports):
    for run, folder in exports.values():
        model, meta = ganforge.load(run), json.loads((folder / "meta.json").read_text())
        table = np.fromfile(folder / "latents.bin", dtype="<f4").reshape(SEEDS, model.z_dim)
        for seed in (0, 42, SEEDS - 1):
            assert np.array_equal(table[seed], model.latents(1, seed)[0].numpy())
        if model.num_classes:
            assert meta["seed_labels"][42] == int(model.labels_for(1, None, 42)[0])
            assert len(meta["class_names"]) == model.num_classes
        else:
            assert meta["class_names"] is None


def test_points_and_foreign_folders_are_refused(tiny_run, tiny_points_config, tmp_path):
    from ganforge.training.trainer import Trainer

    points = Trainer(tiny_points_config(steps=2)).fit()
    with pytest.raises(GanforgeError, match="points.*--format onnx"):
        export(points, "web", tmp_path / "points-web")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(GanforgeError, match="not an earlier web export"):
        export(tiny_run, "web", foreign)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_re_export_replaces_an_earlier_export(tiny_run, tmp_path):
    out = tmp_path / "page"
    export(tiny_run, "web", out)
    (out / "stale.txt").write_text("old")
    export(tiny_run, "web", out)
    assert not (out / "stale.txt").exists() and (out / "model.onnx").is_file()


@pytest.mark.parametrize("which", ["uncond", "cond"])
def test_page_draws_seed_42_like_generate_offline(exports, which, tmp_path):
    run, folder = exports[which]
    assert main(["generate", str(run), "--seed", "42", "--n", "1", "--format", "npy", "--out", str(tmp_path / "s.npy")]) == 0
    want = torch.from_numpy(np.load(tmp_path / "s.npy"))  # (1, C, H, W) in [-1, 1]
    with browser.serve(folder) as base, browser.chromium(tmp_path / "profile", WAIT_S) as driver:
        assert browser.open_page(driver, base + "index.html", WAIT_S) == "ready", driver.find_element("id", "status").text
        got = torch.tensor(browser.render(driver, 42)).view_as(want)
        assert (got - want).abs().max().item() < 1e-4
        rgba = torch.tensor(browser.canvas_pixels(driver), dtype=torch.int16).view(*want.shape[2:], 4)
        expected = to_uint8_images(want)[0].to(torch.int16)  # (C, H, W)
        drawn = rgba[..., : want.shape[1]].permute(2, 0, 1)
        assert (drawn - expected).abs().max().item() <= 1  # JS Math.round vs torch's round-half-even
        walked = torch.tensor(browser.render(driver, 42, 0.5))
        assert (walked - got.flatten()).abs().max().item() > 1e-3  # the latent walk moves
        if which == "cond":
            assert driver.find_element("id", "class").is_displayed()
            three = torch.tensor(browser.render(driver, 42, 0.0, 3)).view_as(want)
            assert (three - ganforge.load(run).sample(1, seed=42, labels=3)).abs().max().item() < 1e-4
        else:
            assert not driver.find_element("id", "class").is_displayed()
        with pytest.raises(GanforgeError, match="outside"):
            browser.render(driver, SEEDS)
        urls = browser.requested_urls(driver)
    assert base + "model.onnx" in urls and base + ORT_WASM in urls
    assert browser.outside(urls, base) == []
