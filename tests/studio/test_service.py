import asyncio
import os

import pytest
from PIL import Image

from ganforge.art.provenance import read_provenance
from ganforge.studio.bodylimit import BodyLimit
from ganforge.studio.service import (MAX_IMAGES, Studio, StudioError, check_count, check_run_name,
                                     check_seed, check_truncation)


@pytest.fixture
def studio(tiny_run, tmp_path):
    """A runs root holding the tiny run (as a copy), a non-run folder, a hidden folder and escaping symlinks."""
    import shutil

    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(tiny_run, root / "tiny")
    (root / "notes").mkdir()
    (root / ".hidden").mkdir()
    outside = tmp_path / "outside"
    shutil.copytree(tiny_run, outside)
    os.symlink(outside, root / "escape")
    os.symlink(root / "tiny", root / "alias")  # a symlink that stays inside is fine
    return Studio(root, out_dir=tmp_path / "out")


def test_lists_only_valid_runs_inside_the_root(studio):
    assert studio.list_runs() == ["alias", "tiny"]
    assert studio.list_checkpoints("tiny") == ["latest", "step_000004", "step_000002"]


@pytest.mark.parametrize("name, match", [
    ("../x", "not a plain folder name"),
    ("..", "not a plain folder name"),
    ("tiny/../../x", "not a plain folder name"),
    ("/etc", "absolute path"),
    ("C:\\Windows", "absolute path"),
    ("escape", "outside the runs folder"),
    ("notes", "not a trained run"),
    ("missing", "no run"),
    (".hidden", "not a valid run name"),
    ("", "Choose a run"),
    (None, "Choose a run"),
])
def test_rejects_hostile_run_names(studio, name, match):
    with pytest.raises(StudioError, match=match):
        studio.resolve_run(name)


def test_rejects_hostile_checkpoints(studio):
    for bad in ("../../etc", "step_000002/../../x", "/tmp", 5):
        with pytest.raises(StudioError, match="not valid"):
            studio.check_checkpoint("tiny", bad)
    with pytest.raises(StudioError, match="no checkpoint"):
        studio.check_checkpoint("tiny", "step_000999")


def test_checkpoint_pointer_out_of_the_root_is_refused(studio):
    # a "latest" pointer file naming a checkpoint outside the root is never followed: the run's own
    # newest checkpoint is served instead (checkpoint.find_checkpoint ignores pointers that are paths)
    (studio.root / "tiny" / "checkpoints" / "latest").write_text("../../../outside/checkpoints/step_000004\n")
    model = studio.model("tiny")
    assert model.source.resolve().is_relative_to(studio.root) and model.source.parent.parent.name == "tiny"


@pytest.mark.parametrize("fn, value, match", [
    (check_count, 10**6, f"between 1 and {MAX_IMAGES}"),
    (check_count, 0, "between 1"),
    (check_count, "lots", "whole number"),
    (check_seed, -1, "between 0 and"),
    (check_seed, 2**40, "between 0 and"),
    (check_seed, 1.5, "whole number"),
    (check_seed, float("nan"), "whole number"),
    (check_seed, True, "whole number"),
    (check_truncation, -0.5, "Truncation"),
    (check_truncation, 100, "Truncation"),
    (check_truncation, "abc", "Truncation"),
])
def test_rejects_bad_numbers(fn, value, match):
    with pytest.raises(StudioError, match=match):
        fn(value)


def test_accepts_good_numbers():
    assert check_seed(42.0) == 42 and check_seed("7") == 7 and check_count(64) == 64
    assert check_truncation(0) is None and check_truncation(None) is None and check_truncation(0.7) == 0.7
    assert check_run_name(" tiny ") == "tiny"


def test_generate_and_interpolate(studio):
    png = studio.generate("tiny", "latest", seed=3, n=4, truncation=0.8)
    assert png.parent == studio.out_dir and png.suffix == ".png"
    meta = read_provenance(png)
    assert (meta["seed"], meta["n"], meta["truncation"]) == (3, 4, 0.8)
    gif = studio.interpolate("tiny", "step_000002", seed_a=1, seed_b=2, steps=3, fps=10)
    with Image.open(gif) as img:
        assert img.format == "GIF"
    with pytest.raises(StudioError, match="between 1 and"):
        studio.generate("tiny", seed=0, n=10**6)
    with pytest.raises(StudioError, match="between 0 and"):
        studio.generate("tiny", seed=-1)
    with pytest.raises(StudioError, match="not a plain folder"):
        studio.generate("../x")
    with pytest.raises(StudioError, match="Steps"):
        studio.interpolate("tiny", steps=10**6)
    assert studio.run_info("tiny")["num_classes"] == 0
    assert studio.check_class(studio.model("tiny"), 3) is None  # ignored for unconditional runs


def test_missing_root():
    with pytest.raises(StudioError, match="does not exist"):
        Studio("/nonexistent/runs")


def _call(middleware, headers, body_chunks):
    sent, seen = [], []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            seen.append(message)
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})

    chunks = list(body_chunks)

    async def receive():
        body = chunks.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": headers}
    asyncio.run(BodyLimit(app, max_bytes=10)(scope, receive, send))
    return sent


def test_body_limit_refuses_large_requests():
    assert _call(None, [(b"content-length", b"5")], [b"12345"])[0]["status"] == 200
    assert _call(None, [(b"content-length", b"11")], [b"12345678901"])[0]["status"] == 413
    assert _call(None, [], [b"123456", b"123456"])[0]["status"] == 413  # chunked, no length: 413, not a 500
    assert _call(None, [], [b"12345", b"12345"])[0]["status"] == 200  # at the limit: passed on, replayed whole
    assert _call(None, [(b"content-length", b"3")], [b"123456", b"123456"])[0]["status"] == 413  # a lying length


def test_conditional_run_needs_a_valid_class(tiny_cond_run, tmp_path):
    import shutil

    root = tmp_path / "cruns"
    root.mkdir()
    shutil.copytree(tiny_cond_run, root / "digits")
    studio = Studio(root, out_dir=tmp_path / "cout")
    info = studio.run_info("digits")
    assert info["num_classes"] == 10 and info["class_names"][3] == "3"
    png = studio.generate("digits", seed=1, n=4, label=3)
    assert read_provenance(png)["label"] == 3
    for bad, match in ((None, "choose a class"), (10, "between 0 and 9"), (-1, "between 0 and 9"), ("cat", "Unknown class")):
        with pytest.raises(StudioError, match=match):
            studio.generate("digits", seed=1, n=4, label=bad)


def test_close_removes_only_its_own_temporary_folder(tiny_run, tmp_path):
    own = Studio(tiny_run.parent)
    assert own.out_dir.is_dir()
    own.close()
    assert not own.out_dir.exists()
    given = Studio(tiny_run.parent, out_dir=tmp_path / "keep")
    given.close()
    assert (tmp_path / "keep").is_dir()
