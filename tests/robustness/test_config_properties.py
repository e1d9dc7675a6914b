"""Property: any value in any numeric field of the config schema validates or raises GanforgeError, nothing else.

And what validates respects the limits of :mod:`ganforge.limits`, so a config
that passes can never ask for an absurd size.
"""

import copy
import dataclasses
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganforge import limits
from ganforge.config import Config, from_dict
from ganforge.errors import GanforgeError
from ganforge.presets import preset_dict, validate

BASE = preset_dict("mnist-dcgan")
SECTIONS = ("data", "model", "optim_g", "optim_d", "train")


def _numeric_fields() -> list[tuple[str, str]]:
    """(section, field) of every int / float field (optional ones included) of the schema."""
    hints = {s: dataclasses.fields(type(getattr(Config(), s))) for s in SECTIONS}
    return [(s, f.name) for s, fields in hints.items() for f in fields
            if any(t in str(f.type) for t in ("int", "float")) and "list" not in str(f.type)]


FIELDS = _numeric_fields()
NET_OPTIONS = [("g", "width"), ("d", "width"), ("g", "max_channels"), ("d", "extra_layers"), ("g", "extra_layers")]
VALUES = st.one_of(st.integers(-(2**70), 2**70), st.integers(-3, 70_000), st.floats(allow_nan=True, allow_infinity=True),
                   st.none(), st.booleans(), st.text(max_size=4))


def _outcome(values: dict):
    """The validated Config, or None when it raised GanforgeError (any other exception fails the test)."""
    try:
        cfg = from_dict(Config, values)
        validate(cfg)
        return cfg
    except GanforgeError:
        return None


def _within_limits(cfg: Config) -> None:
    assert 1 <= cfg.model.z_dim <= limits.MAX_Z_DIM and 1 <= cfg.train.batch_size <= limits.MAX_BATCH
    assert cfg.data.resolution is None or 1 <= cfg.data.resolution <= limits.MAX_RESOLUTION
    assert 1 <= cfg.train.grid_size <= limits.MAX_GRID_IMAGES and 0 <= cfg.train.seed <= limits.MAX_SEED
    for section in SECTIONS:
        for value in dataclasses.asdict(getattr(cfg, section)).values():
            assert not (isinstance(value, float) and not math.isfinite(value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, min_size=1, max_size=4))
def test_numeric_fields_validate_or_raise_one_error(changes):
    values = copy.deepcopy(BASE)
    for (section, name), value in changes.items():
        values.setdefault(section, {})[name] = value
    cfg = _outcome(values)
    if cfg is not None:
        _within_limits(cfg)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(NET_OPTIONS), VALUES, min_size=1, max_size=3))
def test_network_options_validate_or_raise_one_error(changes):
    values = copy.deepcopy(BASE)
    for (net, name), value in changes.items():
        values["model"].setdefault(net, {})[name] = value
    cfg = _outcome(values)
    if cfg is not None:
        for net in (cfg.model.g, cfg.model.d):
            assert all(0 <= v <= limits.MAX_NET_WIDTH for v in net.values() if isinstance(v, int))


def test_the_schema_has_numeric_fields_to_test():
    assert ("data", "resolution") in FIELDS and ("train", "batch_size") in FIELDS and ("optim_g", "lr") in FIELDS
