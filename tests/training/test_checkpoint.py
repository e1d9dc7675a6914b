"""Atomic, code-free checkpoints."""

import json
import pickle

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.training import checkpoint as ckpt


def _save(folder, step, keep=None):
    net = torch.nn.Linear(3, 2)
    return ckpt.save_checkpoint(folder, f"step_{step:06d}", ckpt.flatten_modules({"G": net}),
                                {"step": step, "rng": torch.get_rng_state()}, {"step": step}, keep=keep), net


def test_round_trip_weights_state_and_meta(tmp_path):
    path, net = _save(tmp_path, 5)
    weights = ckpt.load_weights(path)
    assert torch.equal(weights["G.weight"], net.weight.detach())
    assert ckpt.load_state(path)["step"] == 5
    assert ckpt.load_meta(path) == {"step": 5}
    assert ckpt.read_pointer(tmp_path, "latest") == "step_000005"
    assert ckpt.find_checkpoint(tmp_path.parent / tmp_path.name) == path


def test_latest_points_to_newest_and_prune_keeps_n(tmp_path):
    for step in (1, 2, 3, 4):
        _save(tmp_path, step, keep=2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step_000003", "step_000004"]
    assert ckpt.find_checkpoint(tmp_path).name == "step_000004"


def test_prune_never_deletes_best(tmp_path):
    _save(tmp_path, 1)
    ckpt.write_text_atomic(tmp_path / "best", "step_000001\n")
    for step in (2, 3, 4):
        _save(tmp_path, step, keep=1)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step_000001", "step_000004"]


def test_no_temporary_directories_left_behind(tmp_path):
    _save(tmp_path, 1)
    _save(tmp_path, 1)  # same step twice replaces it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step_000001"]


def test_half_written_checkpoint_is_not_used(tmp_path):
    _save(tmp_path, 1)
    (tmp_path / ".tmp-step_000002-dead").mkdir()  # a crash mid-write leaves only a temp dir
    assert ckpt.find_checkpoint(tmp_path).name == "step_000001"


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_state_with_code_is_refused(tmp_path):
    path, _ = _save(tmp_path, 1)
    with open(path / ckpt.STATE, "wb") as f:
        pickle.dump({"step": _Evil()}, f)
    with pytest.raises(GanforgeError, match="unreadable or unsafe"):
        ckpt.load_state(path)


def test_corrupt_weights_give_a_clear_error(tmp_path):
    path, _ = _save(tmp_path, 1)
    (path / ckpt.WEIGHTS).write_bytes(b"not a safetensors file")
    with pytest.raises(GanforgeError, match="unreadable"):
        ckpt.load_weights(path)


def test_missing_checkpoint_message(tmp_path):
    with pytest.raises(GanforgeError, match="No latest checkpoint found"):
        ckpt.find_checkpoint(tmp_path)


def test_meta_is_plain_json(tmp_path):
    path, _ = _save(tmp_path, 3)
    assert json.loads((path / ckpt.META).read_text())["step"] == 3
