"""ganforge.model: the loaded generator has its own module below the API; ganforge.load still returns it."""

import pytest
import torch

import ganforge
from ganforge.errors import GanforgeError
from ganforge.model import GeneratorModel, load_generator, read_model


def test_load_generator_gives_the_same_model_as_ganforge_load(tiny_run):
    a, b = load_generator(tiny_run), ganforge.load(tiny_run)
    assert isinstance(a, GeneratorModel) and type(b) is GeneratorModel and ganforge.api.GeneratorModel is GeneratorModel
    assert torch.equal(a.sample(3, seed=5), b.sample(3, seed=5))


def test_read_model_checks_the_description_before_building(tiny_run):
    folder, meta, spec = read_model(tiny_run)
    assert folder.parent.name == "checkpoints" and spec["arch"] == meta["generator"]["arch"]
    assert spec["z_dim"] == load_generator(tiny_run).z_dim


def test_load_generator_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(GanforgeError, match="does not exist"):
        load_generator(tmp_path / "nope")


def test_class_index_is_the_one_check_of_a_requested_class():
    from ganforge.model import class_index

    names = ["cat", "dog", "owl"]
    assert [class_index(v, names, 3) for v in ("owl", 1, "2", 0.0, " 1")] == [2, 1, 2, 0, 1]
    assert class_index("2", None, 3) == 2
    for bad, match in (("cow", r"Unknown class 'cow'; valid classes: cat, dog, owl"),
                       (3, r"Class id must be between 0 and 2, got 3\. Valid classes: 0=cat, 1=dog, 2=owl"),
                       ("-1", "between 0 and 2, got -1"), (True, "whole number"), (1.5, "whole number"),
                       (float("nan"), "whole number"), (None, "whole number")):
        with pytest.raises(GanforgeError, match=match):
            class_index(bad, names, 3)
