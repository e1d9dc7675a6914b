"""Domain feature extractors: committed weights verified, altered files refused, accuracy on real data."""

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.metrics import extractor as ex
from ganforge.metrics.extractor import DomainClassifier, available_extractors, load_extractor, sha256_file, weights_dir
from ganforge.metrics.extractor_training import train_extractor

COMMITTED = ["mnist", "fashion-mnist"]


@pytest.mark.parametrize("name", COMMITTED)
def test_committed_extractor_loads_and_matches_its_manifest(name):
    entry = available_extractors()[name]
    e = load_extractor(name)
    assert e.sha256 == entry["sha256"] == sha256_file(weights_dir() / entry["file"])
    assert e.feature_dim == entry["feature_dim"] == 128 and e.num_classes == 10
    assert entry["source"] == name and entry["test_accuracy"] >= (0.98 if name == "mnist" else 0.91)
    for key in ("data", "train_size", "test_size", "arch", "date"):
        assert key in entry
    assert not e.net.training


def _copy(name, dest):
    entry = available_extractors()[name]
    dest.mkdir()
    shutil.copy(weights_dir() / entry["file"], dest / entry["file"])
    (dest / "manifest.json").write_text(json.dumps({name: entry}))
    return dest / entry["file"]


def test_copied_extractor_loads_by_folder_and_by_file(tmp_path):
    file = _copy("mnist", tmp_path / "copy")
    assert load_extractor(tmp_path / "copy").name == "mnist"
    assert load_extractor(file).sha256 == available_extractors()["mnist"]["sha256"]


def test_altered_weights_are_refused(tmp_path):
    file = _copy("mnist", tmp_path / "copy")
    data = bytearray(file.read_bytes())
    data[-100] ^= 0x01  # one flipped bit inside a tensor
    file.write_bytes(bytes(data))
    with pytest.raises(GanforgeError, match="altered or is stale.*train-extractor --dataset mnist"):
        load_extractor(tmp_path / "copy")


def test_stale_manifest_is_refused(tmp_path):
    _copy("fashion-mnist", tmp_path / "copy")
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
    manifest["fashion-mnist"]["sha256"] = "0" * 64
    (tmp_path / "copy" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(GanforgeError, match="train-extractor --dataset fashion-mnist"):
        load_extractor(tmp_path / "copy")


def test_missing_and_unknown_extractors_say_what_to_do(tmp_path):
    with pytest.raises(GanforgeError, match="Unknown feature extractor 'cifar10'"):
        load_extractor("cifar10")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanforgeError, match="holds no extractor"):
        load_extractor(tmp_path / "empty")
    entry = dict(available_extractors()["mnist"])
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "manifest.json").write_text(json.dumps({"mnist": entry}))
    with pytest.raises(GanforgeError, match="missing.*train-extractor --dataset mnist"):
        load_extractor(tmp_path / "gone")


def test_features_and_probs_shapes():
    e = load_extractor("mnist")
    x = torch.rand(7, 1, 28, 28) * 2 - 1
    feats, probs = e(x, batch_size=3)
    assert feats.shape == (7, 128) and feats.dtype == torch.float32
    assert probs.shape == (7, 10)
    torch.testing.assert_close(probs.sum(1), torch.ones(7))
    # uint8 input means the same images as their [-1, 1] floats
    u8 = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8)
    torch.testing.assert_close(e.features(u8), e.features(u8.float() / 127.5 - 1))
    # RGB and other resolutions are converted the same way for real and fake images
    assert e.features(torch.rand(3, 3, 32, 32) * 2 - 1).shape == (3, 128)


def test_mnist_extractor_is_accurate_on_real_test_digits(mnist_test):
    idx = torch.arange(0, len(mnist_test), 5)[:200]  # 20 per class: the split is class-sorted
    probs = load_extractor("mnist").probs(mnist_test.x[idx])
    acc = (probs.argmax(1) == mnist_test.y[idx]).float().mean().item()
    assert acc >= 0.95


def test_fashion_extractor_is_accurate_on_real_test_images(fashion_test):
    probs = load_extractor("fashion-mnist").probs(fashion_test.x[:300])
    acc = (probs.argmax(1) == fashion_test.y[:300]).float().mean().item()
    assert acc >= 0.87


def _bars_folder(root, n=24, size=16):
    """Two classes of 16x16 images: horizontal and vertical bars at random positions."""
    rng = np.random.default_rng(0)
    for label, axis in (("horizontal", 0), ("vertical", 1)):
        (root / label).mkdir(parents=True)
        for i in range(n):
            img = np.zeros((size, size), np.uint8)
            k = rng.integers(2, size - 2)
            if axis == 0:
                img[k - 1 : k + 1] = 255
            else:
                img[:, k - 1 : k + 1] = 255
            Image.fromarray(img).save(root / label / f"{i}.png")
    return root


def test_train_extractor_on_a_labelled_folder(tmp_path):
    images = _bars_folder(tmp_path / "bars")
    before = sha256_file(weights_dir() / "manifest.json")
    entry = train_extractor("folder", tmp_path / "ext", path=str(images), resolution=16, channels=1, epochs=3,
                            batch_size=16, log=None)
    assert sha256_file(weights_dir() / "manifest.json") == before  # the package is untouched
    assert entry["name"] == "bars" and entry["class_names"] == ["horizontal", "vertical"]
    assert entry["train_size"] + entry["test_size"] == 48 and "held-out" in entry["test_split"]
    e = load_extractor(tmp_path / "ext")
    assert e.sha256 == entry["sha256"] and e.resolution == 16 and e.in_channels == 1
    assert e.features(torch.zeros(2, 1, 16, 16)).shape == (2, 128)


def test_train_extractor_is_deterministic(tmp_path):
    images = _bars_folder(tmp_path / "bars")
    a = train_extractor("folder", tmp_path / "a", path=str(images), resolution=16, channels=1, epochs=1,
                        batch_size=16, precision="fp32", log=None)
    b = train_extractor("folder", tmp_path / "b", path=str(images), resolution=16, channels=1, epochs=1,
                        batch_size=16, precision="fp32", log=None)
    assert a["sha256"] == b["sha256"]
    assert not torch.are_deterministic_algorithms_enabled()  # the caller's setting is restored


def test_train_extractor_needs_labels_and_an_output_folder(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(flat / f"{i}.png")
    with pytest.raises(GanforgeError, match="no labelled images"):
        train_extractor("folder", tmp_path / "out", path=str(flat), log=None)
    with pytest.raises(GanforgeError, match="--out DIR"):
        train_extractor("folder", None, path=str(flat), log=None)


def test_pooled_size_follows_resolution():
    assert DomainClassifier(resolution=28).pool_size == 7
    assert DomainClassifier(resolution=8).pool_size == 2
    net = DomainClassifier(in_channels=3, resolution=64).eval()
    assert net.features(torch.zeros(2, 3, 64, 64)).shape == (2, ex.FEATURE_DIM)
