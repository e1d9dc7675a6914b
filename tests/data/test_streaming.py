"""The streaming path (per-batch decoding in DataLoader workers) trains exactly like the in-memory one."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.presets import load_config
from ganforge.data import load_dataset
from ganforge.data.streaming import StreamingFolder
from ganforge.errors import GanforgeError
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer


@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / "img" / cls).mkdir(parents=True)
        for i in range(20):
            Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(tmp_path / "img" / cls / f"{i}.png")
    return tmp_path / "img"


def _config(folder, tmp_path, name, steps, streaming, workers=0):
    cfg = load_config("mnist-dcgan", [
        "data.source=folder", f"data.path={folder}", "data.resolution=16", "data.channels=3",
        f"data.streaming={str(streaming).lower()}", f"data.workers={workers}", "model.z_dim=8", "model.g.width=8",
        "model.d.width=8", "train.batch_size=8", f"train.steps={steps}", "train.log_every=1", "train.sample_every=100",
        "train.checkpoint_every=2", "train.progress=false", "train.device=cpu", "train.precision=fp32"], name=name)
    cfg.out_dir = str(tmp_path / "runs")
    return cfg


def _losses(run):
    return [(r["step"], r["d/loss"], r["g/loss"]) for r in read_metrics(run / "metrics.jsonl")]


def test_streaming_lists_files_without_decoding(image_folder):
    data = load_dataset(DataConfig(source="folder", path=str(image_folder), resolution=16, streaming=True))
    assert isinstance(data, StreamingFolder) and len(data) == 40 and data.class_names == ["cats", "dogs"]
    image, label = data[25]
    assert image.shape == (3, 16, 16) and image.dtype == torch.uint8 and label == 1


@pytest.mark.parametrize("workers", [0, 2])
def test_streaming_trains_like_in_memory_and_resumes(image_folder, tmp_path, workers):
    memory = Trainer(_config(image_folder, tmp_path, "mem", 4, False)).fit()
    Trainer(_config(image_folder, tmp_path, "stream", 2, True, workers)).fit()
    streamed = Trainer(_config(image_folder, tmp_path, "stream", 4, True, workers), resume=True).fit()
    expected, got = _losses(memory), _losses(streamed)
    assert [row[0] for row in expected] == [1, 2, 3, 4] and [row[0] for row in got] == [1, 2, 3, 4]
    for a, b in zip(expected, got):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)


def test_a_file_that_breaks_later_is_replaced(image_folder):
    data = load_dataset(DataConfig(source="folder", path=str(image_folder), resolution=16, streaming=True))
    data.files[0].write_bytes(b"broken")
    with pytest.warns(UserWarning, match="corrupt, skipped while streaming"):
        image, _ = data[0]
    assert torch.equal(image, data[1][0])


def test_streaming_only_where_supported():
    with pytest.raises(GanforgeError, match="has no streaming path.*folder"):
        load_dataset(DataConfig(source="toy2d", streaming=True))


@pytest.fixture
def folder_with_bad_files(image_folder):
    """image_folder (40 good images) plus 5 bad files: 2 truncated PNGs, an empty JPEG, text, random bytes."""
    good = (image_folder / "cats" / "0.png").read_bytes()
    (image_folder / "cats" / "cut1.png").write_bytes(good[:60])
    (image_folder / "dogs" / "cut2.png").write_bytes(good[:100])
    (image_folder / "dogs" / "empty.jpg").write_bytes(b"")
    (image_folder / "cats" / "notes.txt").write_text("not a picture")
    (image_folder / "dogs" / "noise.bin").write_bytes(bytes(range(256)) * 4)
    return image_folder


def test_streaming_skips_bad_files_once_at_indexing_with_one_notice(folder_with_bad_files):
    import warnings

    from ganforge.data.registry import DataNotice

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_dataset(DataConfig(source="folder", path=str(folder_with_bad_files), resolution=16, streaming=True))
        for i in range(2 * len(data)):  # two epochs: no warning per bad file, per epoch
            data[i % len(data)]
    memory = load_dataset(DataConfig(source="folder", path=str(folder_with_bad_files), resolution=16, cache=False))
    assert len(data) == len(memory) == 40 and data.info["skipped"] == memory.info["skipped"] == 5
    assert data.info["skipped_by_reason"] == memory.info["skipped_by_reason"]
    assert [(w.category, str(w.message)) for w in caught] == [
        (DataNotice, f"{folder_with_bad_files}: skipped 5 of 45 files (2 corrupt, 1 empty, 2 not an image).")]
    assert all(f.suffix == ".png" and not f.name.startswith("cut") for f in data.files)


def test_streaming_an_all_bad_folder_is_one_error(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"\x89PNG broken")
    (tmp_path / "bad" / "b.jpg").write_bytes(b"")
    with pytest.raises(GanforgeError, match=r"No readable images in .*bad \(2 files looked at\)"):
        load_dataset(DataConfig(source="folder", path=str(tmp_path / "bad"), streaming=True))
