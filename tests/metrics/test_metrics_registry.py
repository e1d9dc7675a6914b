"""Every metric is reachable by its short name; unknown names get a suggestion."""

import pytest

import ganforge.metrics as metrics
from ganforge.errors import GanforgeError
from ganforge.metrics import METRICS

EXPECTED = {
    "fid": metrics.fid,
    "kid": metrics.kid,
    "pr": metrics.precision_recall,
    "dc": metrics.density_coverage,
    "prdc": metrics.prdc,
    "is": metrics.inception_score,
    "classes": metrics.class_metrics,
    "modes": metrics.toy2d_modes,
    "stacked_mnist": metrics.stacked_mnist_modes,
}


def test_registered_names():
    assert METRICS.names() == sorted(EXPECTED)
    for name, fn in EXPECTED.items():
        assert METRICS.get(name) is fn
        assert fn.__doc__ and "Returns" in fn.__doc__


def test_unknown_metric_suggests_a_name():
    with pytest.raises(GanforgeError, match="Did you mean 'kid'"):
        METRICS.get("kidd")
