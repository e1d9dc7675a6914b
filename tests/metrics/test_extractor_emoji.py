"""The committed emoji extractor: verified checksum, Unicode-group classes, and it recognises real emoji."""

import torch

from ganforge.config import DataConfig
from ganforge.data import emoji_table, load_dataset
from ganforge.metrics.extractor import available_extractors, extractor_for_source, load_extractor, sha256_file, weights_dir


def test_emoji_extractor_checksum_and_classes():
    entry = available_extractors()["emoji"]
    e = load_extractor("emoji")
    assert e.sha256 == entry["sha256"] == sha256_file(weights_dir() / "emoji.safetensors")
    assert extractor_for_source("emoji") == "emoji"  # `ganforge eval` picks it for emoji runs
    assert e.class_names == emoji_table.group_names() and e.num_classes == 9
    assert (e.in_channels, e.resolution, e.feature_dim) == (3, 64, 128)
    assert entry["test_accuracy"] >= 0.85


def test_emoji_extractor_recognises_real_emoji_groups():
    data = load_dataset(DataConfig(source="emoji", limit=300))
    probs = load_extractor("emoji").probs(data.x)
    accuracy = (probs.argmax(1) == data.y).float().mean().item()
    assert accuracy > 0.85  # mostly training images: near the manifest's train accuracy
    assert torch.allclose(probs.sum(1), torch.ones(len(probs)), atol=1e-5)
