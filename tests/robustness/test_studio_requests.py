"""Hostile studio requests and broken runs in the studio's folder: each is one StudioError / GanforgeError sentence."""

import json
import shutil

import pytest

from ganforge.errors import GanforgeError
from ganforge.studio.service import Studio
from ganforge.training.checkpoint import find_checkpoint


@pytest.fixture(scope="module")
def studio(tiny_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("studio-runs")
    shutil.copytree(tiny_run, root / "good")
    for name, meta in {"list": [1, 2], "huge": None, "types": None}.items():
        shutil.copytree(tiny_run, root / name)
        model_json = find_checkpoint(root / name) / "model.json"
        good = json.loads(model_json.read_text())
        if name == "huge":
            meta = {**good, "generator": {**good["generator"], "g": {"width": 100000}}}
        elif name == "types":
            meta = {**good, "generator": {**good["generator"], "shape": "28x28"}}
        model_json.write_text(json.dumps(meta))
    studio = Studio(root, out_dir=tmp_path_factory.mktemp("studio-out"))
    yield studio
    studio.close()


REQUESTS = [
    ({"name": "list"}, r"is not a usable model description \(it holds a JSON list"),
    ({"name": "huge"}, r"g.width must be between 1 and 4,096, got 100,000"),
    ({"name": "types"}, r"shape '28x28' has the wrong type"),
    ({"name": "../good"}, r"not a plain folder name"),
    ({"name": "good", "checkpoint": "../../x"}, r"is not valid; choose latest, best"),
    ({"name": "good", "n": 10**9}, r"Number of images must be between 1 and 64"),
    ({"name": "good", "n": "1e9"}, r"whole number"),
    ({"name": "good", "seed": 2**80}, r"Seed must be between 0 and"),
    ({"name": "good", "seed": float("nan")}, r"whole number"),
    ({"name": "good", "truncation": float("inf")}, r"Truncation must be a number between .* \(0 = off\)"),
]


@pytest.mark.parametrize("request_, message", REQUESTS, ids=[str(i) for i in range(len(REQUESTS))])
def test_hostile_generate_request_is_one_sentence(studio, request_, message):
    with pytest.raises(GanforgeError, match=message) as caught:
        studio.generate(**request_)
    assert "\n" not in str(caught.value)


def test_good_run_still_works_beside_broken_ones(studio):
    assert studio.generate("good", n=4).is_file()
