"""The metric registry: one spec per metric, name lookup with suggestions, defaults, directions, order."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics import METRICS
from ganforge.metrics.registry import (IMAGES, POINTS, check_metrics, default_metrics, direction, equal_size,
                                       output_order)

BUILT_IN = ["fid", "inception-fid", "kid", "pr", "dc", "is", "classes", "modes", "stacked_mnist", "class_acc",
            "intra_fid", "cas"]


def test_every_built_in_metric_is_registered():
    assert set(BUILT_IN) <= set(METRICS.names())
    assert all(METRICS.get(name).name == name for name in METRICS.names())


def test_unknown_metric_suggests_a_name():
    with pytest.raises(GanforgeError, match="Did you mean 'kid'"):
        METRICS.get("kidd")
    with pytest.raises(GanforgeError, match="Did you mean 'fid'"):
        check_metrics(["fdi"], IMAGES)


def test_defaults_come_from_the_specs():
    assert default_metrics(IMAGES)[:6] == ["fid", "kid", "pr", "dc", "is", "classes"]
    assert {"fid", "kid", "pr", "dc", "classes", "modes"} <= set(default_metrics(POINTS))
    assert "is" not in default_metrics(POINTS) and "modes" not in default_metrics(IMAGES)
    assert check_metrics(None, IMAGES) == default_metrics(IMAGES)


def test_check_metrics_refuses_the_wrong_kind_of_data_and_drops_duplicates():
    with pytest.raises(GanforgeError, match="needs images"):
        check_metrics(["is"], POINTS)
    with pytest.raises(GanforgeError, match="toy2d"):
        check_metrics(["modes"], IMAGES)
    with pytest.raises(GanforgeError, match="No metrics given"):
        check_metrics([" "], IMAGES)
    assert check_metrics(["kid", "fid", "kid"], IMAGES) == ["kid", "fid"]


def test_directions_and_table_order_follow_the_specs():
    assert direction("fid") == "lower" and direction("precision") == "higher" and direction("kid_std") is None
    assert direction("intra_fid/7") == "lower" and direction("no_such_output") is None
    values = {"cas": 1, "extra": 2, "intra_fid": 3, "intra_fid/b": 4, "fid": 5, "class_acc": 6, "intra_fid/a": 7}
    assert output_order(values) == ["fid", "class_acc", "intra_fid/b", "intra_fid/a", "intra_fid", "cas", "extra"]


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="twice"):
        METRICS.register("fid")(METRICS.get("fid"))


def test_equal_size_takes_the_first_fakes_and_a_seeded_subset_of_reals():
    import torch

    real, fake = torch.arange(10.0).view(10, 1), torch.arange(4.0).view(4, 1)
    r1, f1 = equal_size(real, fake, seed=0)
    r2, _ = equal_size(real, fake, seed=0)
    assert len(r1) == len(f1) == 4 and torch.equal(f1, fake) and torch.equal(r1, r2)
    assert torch.equal(r1.flatten(), r1.flatten().sort().values)  # kept in order
