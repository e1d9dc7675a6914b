"""Standard FID Inception-v3: clear errors without the weights, checksum and key checks, 2048-d features."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import inception
from ganforge.metrics.extractor import sha256_file
from ganforge.metrics.inception import (WEIGHTS_NAME, FIDInceptionV3, check_state_dict, find_weights,
                                        load_inception)


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.delenv(inception.ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return FIDInceptionV3(input_size=75).eval()  # 299 is the standard; 75 keeps the test fast


def test_absent_weights_name_the_file_and_where_to_put_it(no_weights):
    with pytest.raises(GanforgeError) as err:
        load_inception()
    text = str(err.value)
    assert WEIGHTS_NAME in text and str(no_weights / "torch" / "hub" / "checkpoints") in text
    assert "--inception-weights" in text and inception.ENV in text
    with pytest.raises(GanforgeError, match="does not exist"):
        load_inception(no_weights / "nope.pth")


def test_weights_are_found_by_env_and_hub_cache(no_weights, monkeypatch):
    hub = no_weights / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / WEIGHTS_NAME).write_bytes(b"x")
    assert find_weights() == hub / WEIGHTS_NAME
    other = no_weights / "mine.pth"
    other.write_bytes(b"y")
    monkeypatch.setenv(inception.ENV, str(other))
    assert find_weights() == other


def test_wrong_checksum_is_refused(no_weights):
    bad = no_weights / WEIGHTS_NAME
    torch.save({"fc.weight": torch.zeros(3)}, bad)
    with pytest.raises(GanforgeError, match="not the standard FID Inception weights"):
        load_inception(bad)


def test_random_net_gives_2048_features(net):
    with torch.no_grad():
        out = net(torch.rand(2, 3, 32, 32) * 2 - 1)  # resized to net.input_size inside
    assert out.shape == (2, 2048) and torch.isfinite(out).all() and (out >= 0).all()


def test_state_dict_layout_matches_pytorch_fid(net):
    state = net.state_dict()
    # Key names and sizes of the pytorch-fid file (torchvision's Inception3, 1008 classes, no aux head).
    assert state["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
    assert state["Mixed_5b.branch_pool.conv.weight"].shape == (32, 192, 1, 1)
    assert state["Mixed_6e.branch7x7dbl_5.conv.weight"].shape == (192, 192, 1, 7)
    assert state["Mixed_7c.branch3x3dbl_3b.bn.running_var"].shape == (384,)
    assert state["fc.weight"].shape == (1008, 2048)
    assert not any(k.startswith("AuxLogits") for k in state)
    n_floats = sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked"))
    assert abs(n_floats * 4 - inception.WEIGHTS_BYTES) < 200_000  # the file is these floats + pickle overhead
    # a file without BatchNorm counters is accepted; missing, extra or mis-shaped tensors are not
    check_state_dict(net, {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")})
    with pytest.raises(GanforgeError, match="1 missing"):
        check_state_dict(net, {k: v for k, v in state.items() if k != "fc.bias"})
    with pytest.raises(GanforgeError, match="1 mis-shaped"):
        check_state_dict(net, {**state, "fc.bias": torch.zeros(1000)})


def test_load_path_uses_weights_only_and_verifies(no_weights, net, monkeypatch):
    # A file with the right layout (half precision keeps it small) whose checksum we declare correct.
    path = no_weights / WEIGHTS_NAME
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}, path)
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", sha256_file(path))
    ext = load_inception(path)
    assert ext.net.input_size == 299
    ext.net.input_size = 75
    feats = ext.features(torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8))  # grey -> RGB
    assert feats.shape == (2, 2048)
    torch.save({"a": torch.zeros(1)}, path)
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", sha256_file(path))
    with pytest.raises(GanforgeError, match="do not fit"):
        load_inception(path)
