"""Every registered method runs end to end on tiny data; options and names are checked."""

import time

import pytest
import torch

from ganforge.classify import METHODS, options_for, run_method, run_seeds
from ganforge.classify.base import accuracy
from ganforge.data.tensor_file import write_tensor_file
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError

TINY_NET = {"hidden": [32, 16]}
FAST = {
    "baseline": {"steps": 30, "batch_size": 8},
    "ssl-gan": {"steps": 30, "batch_size": 8, "unlabelled_batch": 16, "z_dim": 8, "g_hidden": 16},
    "gan-augment": {"steps": 30, "batch_size": 8, "gan_steps": 3, "gan_batch": 8, "gan_width": 4, "z_dim": 4,
                    "generated_per_class": 4, "recipe": "acgan"},
}


def test_registry_has_the_three_methods():
    assert METHODS.names() == ["baseline", "gan-augment", "ssl-gan"]


@pytest.mark.parametrize("method", ["baseline", "ssl-gan", "gan-augment"])
def test_method_end_to_end(tiny_data, tmp_path, method):
    train, test = tiny_data
    cpu0 = time.process_time()
    summary, results = run_seeds(train, test, method, 8, [0], FAST[method], net=TINY_NET, work_dir=tmp_path)
    cpu = time.process_time() - cpu0
    r = results[0]
    # the reported accuracy is the saved network's on the test split, and cpu_s is this process's CPU time
    assert r.test_accuracy == accuracy(r.model.net, test.x, test.y) and r.n_labels == 8
    assert 0 < r.cpu_s <= cpu
    assert summary["test_accuracy_mean"] == r.test_accuracy and summary["test_accuracy_std"] == 0.0
    assert r.model.net.training is False and r.model.meta["method"] == method
    if method == "gan-augment":
        assert (tmp_path / "seed0" / "gan" / "config.yaml").is_file()  # the GAN run is kept


def test_baseline_learns_the_tiny_task(tiny_data):
    train, test = tiny_data
    r = run_method(train, test, "baseline", 8, 0, {"steps": 60, "batch_size": 8}, net=TINY_NET)
    assert r.test_accuracy > 0.9


def test_seeds_are_reproducible(tiny_data):
    train, test = tiny_data
    a = run_method(train, test, "ssl-gan", 8, 2, {**FAST["ssl-gan"], "steps": 5}, net=TINY_NET)
    b = run_method(train, test, "ssl-gan", 8, 2, {**FAST["ssl-gan"], "steps": 5}, net=TINY_NET)
    assert a.test_accuracy == b.test_accuracy and a.labelled_index == b.labelled_index


def test_unknown_method_lists_valid_ones():
    with pytest.raises(GanforgeError, match="Unknown classification method 'ssl_gan'.*Did you mean 'ssl-gan'.*baseline, gan-augment, ssl-gan"):
        options_for("ssl_gan")


def test_bad_options():
    with pytest.raises(GanforgeError, match="Unknown setting 'ssl-gan.unsup_wieght'"):
        options_for("ssl-gan", ["unsup_wieght=0.5"])
    with pytest.raises(GanforgeError, match="steps"):
        options_for("baseline", steps=0)
    with pytest.raises(GanforgeError, match="recipe"):
        options_for("gan-augment", {"recipe": "gan"})
    assert options_for("ssl-gan", ["unsup_weight=0.5"], steps=7).steps == 7


def test_tensor_file_source_round_trip(tmp_path):
    x = torch.randint(0, 256, (6, 1, 28, 28), dtype=torch.uint8)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    path = write_tensor_file(tmp_path / "d.safetensors", x, y, ["a", "b", "c"])
    data = load_dataset(DataConfig(source="tensor-file", path=str(path), cache=False))
    assert torch.equal(data.x, x) and torch.equal(data.y, y) and data.class_names == ["a", "b", "c"]
    with pytest.raises(GanforgeError, match="data.path"):
        load_dataset(DataConfig(source="tensor-file", path=str(tmp_path / "missing.safetensors"), cache=False))
