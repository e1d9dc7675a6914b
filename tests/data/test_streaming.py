"""The streaming path (per-batch decoding in DataLoader workers) trains exactly like the in-memory one."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig, load_config
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
    for a, b in zip(_losses(memory), _losses(streamed)):
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
