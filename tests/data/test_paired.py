"""paired-folder / unpaired-folders, pair packing and the aligned augmentation; the demo pair sources."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.data.base import IndexSampler
from ganforge.data.paired import UnpairedDataset, random_crop_flip, seeded_pairing, split_pair
from ganforge.data.translation_demos import edge_map
from ganforge.errors import GanforgeError


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def _cfg(path, source="paired-folder", **kw):
    return DataConfig(source=source, path=str(path), cache=False, resolution=16, **kw)


def test_a_b_folders_pair_by_file_name_and_pack_along_channels(tmp_path):
    for i in range(3):
        _save(tmp_path / "A" / f"{i}.png", np.full((16, 16, 3), 10 * i))
        _save(tmp_path / "B" / f"{i}.jpg" if i == 1 else tmp_path / "B" / f"{i}.png", np.full((16, 16, 3), 100 + 10 * i))
    data = load_dataset(_cfg(tmp_path))
    assert data.x.shape == (3, 6, 16, 16)
    a, b = split_pair(data.x)
    assert torch.equal(b[:, :, 0, 0].float().round(), a[:, :, 0, 0].float() + 100)


def test_side_by_side_images_split_into_a_left_and_b_right(tmp_path):
    ab = np.zeros((16, 32), dtype=np.uint8)
    ab[:, 16:] = 200
    _save(tmp_path / "train" / "x.png", ab)
    _save(tmp_path / "test" / "y.png", ab)
    data = load_dataset(_cfg(tmp_path, channels=1))
    assert data.x.shape == (1, 2, 16, 16)
    assert data.x[0, 0].max() == 0 and data.x[0, 1].min() == 200
    assert len(load_dataset(_cfg(tmp_path, channels=1, split="test"))) == 1


def test_missing_partner_file_is_a_one_line_error(tmp_path):
    _save(tmp_path / "A" / "1.png", np.zeros((16, 16)))
    _save(tmp_path / "A" / "2.png", np.zeros((16, 16)))
    _save(tmp_path / "B" / "1.png", np.zeros((16, 16)))
    with pytest.raises(GanforgeError, match=r"2\.png has no partner") as err:
        load_dataset(_cfg(tmp_path))
    assert "\n" not in str(err.value)


def test_size_mismatch_within_a_pair_is_a_one_line_error(tmp_path):
    _save(tmp_path / "A" / "1.png", np.zeros((16, 16)))
    _save(tmp_path / "B" / "1.png", np.zeros((20, 16)))
    with pytest.raises(GanforgeError, match="same size") as err:
        load_dataset(_cfg(tmp_path))
    assert "\n" not in str(err.value)


def test_side_by_side_image_of_the_wrong_shape_is_an_error(tmp_path):
    _save(tmp_path / "x.png", np.zeros((16, 20)))
    with pytest.raises(GanforgeError, match="twice the height"):
        load_dataset(_cfg(tmp_path))


def test_corrupt_files_are_skipped_and_counted(tmp_path):
    for i in range(2):
        _save(tmp_path / "A" / f"{i}.png", np.zeros((16, 16)))
        _save(tmp_path / "B" / f"{i}.png", np.zeros((16, 16)))
    (tmp_path / "B" / "1.png").write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="skipped 1 of 4 files"):
        data = load_dataset(_cfg(tmp_path))
    assert len(data) == 1 and data.info["skipped"] == 1


def test_unpaired_folders_cover_both_sides_with_a_seeded_pairing(tmp_path):
    for i in range(3):
        _save(tmp_path / "A" / f"a{i}.png", np.full((16, 16, 3), i))
    for i in range(5):
        _save(tmp_path / "B" / f"b{i}.png", np.full((16, 16, 3), 50 + i))
    data = load_dataset(_cfg(tmp_path, source="unpaired-folders"))
    a, b = split_pair(data.x)
    assert data.x.shape == (5, 6, 16, 16)
    assert set(a[:, 0, 0, 0].tolist()) == {0, 1, 2} and set(b[:, 0, 0, 0].tolist()) == {50, 51, 52, 53, 54}
    assert torch.equal(data.x, load_dataset(_cfg(tmp_path, source="unpaired-folders")).x)


def _epoch_pairs(data, seed, batch_size=4, start=0):
    """{A value: B value} of every row drawn in each of 3 epochs, via the trainer's batch iterator."""
    sampler = IndexSampler(len(data), seed)
    sampler.position = start
    batches = data.batches(sampler, batch_size)
    drawn = []
    while sampler.position < 3 * len(data):
        x, _ = batches.next("cpu")
        drawn += [(round(float(r[0, 0, 0])), round(float(r[3, 0, 0]))) for r in x.add(1).mul(127.5)]
    return [dict(drawn[e * len(data) : (e + 1) * len(data)]) for e in range(3)], drawn


def test_unpaired_pairing_is_dealt_again_every_epoch_and_is_deterministic(tmp_path):
    for i in range(12):
        _save(tmp_path / "A" / f"a{i}.png", np.full((16, 16, 3), i))
        _save(tmp_path / "B" / f"b{i}.png", np.full((16, 16, 3), 100 + i))
    data = load_dataset(_cfg(tmp_path, source="unpaired-folders"))
    assert isinstance(data, UnpairedDataset)
    a, b = split_pair(data.x)
    stored = dict(zip(a[:, 0, 0, 0].tolist(), b[:, 0, 0, 0].tolist()))
    epochs, drawn = _epoch_pairs(data, seed=3, batch_size=5)  # 5 does not divide 12: batches straddle epochs
    assert epochs[0] == stored  # epoch 0: the stored pairs
    assert epochs[1] != stored and epochs[2] != epochs[1]  # then a new pairing each epoch
    for pairs in epochs:  # each epoch still shows every A and every B image once
        assert sorted(pairs) == list(range(12)) and sorted(pairs.values()) == list(range(100, 112))
    assert _epoch_pairs(data, seed=3, batch_size=5)[1] == drawn  # the same seed: the same batches
    assert _epoch_pairs(data, seed=4, batch_size=5)[0][1] != epochs[1]  # another seed: another pairing
    resumed = _epoch_pairs(data, seed=3, batch_size=5, start=15)[1]  # a resume at position 15 sees the same rows
    assert resumed == drawn[15 : 15 + len(resumed)]


def test_unpaired_folders_read_cyclegan_split_folders(tmp_path):
    _save(tmp_path / "testA" / "a.png", np.zeros((16, 16, 3)))
    _save(tmp_path / "testB" / "b.png", np.zeros((16, 16, 3)))
    assert len(load_dataset(_cfg(tmp_path, source="unpaired-folders", split="test"))) == 1
    with pytest.raises(GanforgeError, match="A/ and B/"):
        load_dataset(_cfg(tmp_path, source="unpaired-folders", split="train"))


def test_seeded_pairing_uses_every_image():
    a, b = seeded_pairing(3, 7, seed=0)
    assert len(a) == len(b) == 7 and set(a.tolist()) == {0, 1, 2} and sorted(b.tolist()) == list(range(7))


def test_crop_flip_applies_the_same_transform_to_both_halves():
    torch.manual_seed(0)
    a = torch.rand(64, 3, 8, 8)
    x = torch.cat([a, a * 2], dim=1)
    out = random_crop_flip(x, pad=2)
    a_out, b_out = split_pair(out)
    assert torch.allclose(b_out, a_out * 2)
    assert not torch.equal(out, x)  # something moved
    flipped = torch.equal(random_crop_flip(x[:1], pad=0, generator=torch.Generator().manual_seed(3)), x[:1].flip(-1))
    kept = torch.equal(random_crop_flip(x[:1], pad=0, generator=torch.Generator().manual_seed(3)), x[:1])
    assert flipped != kept


def test_split_pair_rejects_unpaired_shapes():
    with pytest.raises(GanforgeError, match="paired"):
        split_pair(torch.zeros(2, 3, 8, 8))


def test_edge_map_marks_a_step_and_leaves_flat_areas_white():
    image = torch.zeros(1, 1, 8, 8, dtype=torch.uint8)
    image[..., 4:] = 255
    edges = edge_map(image)[0, 0]
    assert edges[:, 3:5].eq(0).all() and edges[:, :2].eq(255).all() and edges[:, 6:].eq(255).all()


def test_skin_tone_variants_share_their_base_emoji_and_so_their_split():
    from ganforge.data.translation_demos import TEST_BUCKETS, base_emoji, stable_bucket

    thumbs = [base_emoji((0x1F44D,), 0)] + [base_emoji((0x1F44D, tone), i) for i, tone in enumerate(range(0x1F3FB, 0x1F400))]
    assert len(set(thumbs)) == 1
    assert stable_bucket(thumbs[0], TEST_BUCKETS) == stable_bucket("U+1F44D", TEST_BUCKETS)
    assert base_emoji((), 7) == "glyph-7"


FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not __import__("os").path.isdir(FASHION), reason="needs Debian's dataset-fashion-mnist")
def test_demo_pair_sources_pack_edges_and_images(tmp_path):
    edges = load_dataset(DataConfig(source="edges2fashion", split="test", cache=False, limit=50))
    a, b = split_pair(edges.x)
    assert edges.x.shape == (50, 2, 32, 32) and edges.y is not None
    assert torch.equal(a, edge_map(b))  # A is exactly the edge map of B
    unpaired = load_dataset(DataConfig(source="fashion2inverted", split="test", cache=False))
    assert unpaired.x.shape == (5000, 2, 32, 32) and len(unpaired.y) == 5000
    a, b = split_pair(unpaired.x)
    inverted_a = {bytes((255 - img).numpy()) for img in a[:200]}
    assert not any(bytes(img.numpy()) in inverted_a for img in b)  # no B image is the inverse of an A image
