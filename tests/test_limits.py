"""ganforge.limits: every bound refuses the value just past it with one sentence, and accepts the value at it."""

import pytest
import torch

from ganforge import limits
from ganforge.errors import GanforgeError
from ganforge.nets.dcgan import DCGANGenerator
from ganforge.nets.mlp import MLPGenerator


@pytest.mark.parametrize("check, ok, bad, message", [
    (limits.check_seed, limits.MAX_SEED, limits.MAX_SEED + 1, "--seed must be between 0 and"),
    (limits.check_seed, 0, -1, "--seed must be between 0"),
    (limits.check_count, limits.MAX_SAMPLES, limits.MAX_SAMPLES + 1, "--n must be between 1 and 100,000"),
    (limits.check_scale, limits.MAX_SCALE, limits.MAX_SCALE + 1, "--scale must be between 1 and 64"),
    (limits.check_scale, 1, 0, "--scale must be between 1"),
])
def test_bounds_are_inclusive(check, ok, bad, message):
    assert check(ok) == ok
    with pytest.raises(GanforgeError, match=message):
        check(bad)


@pytest.mark.parametrize("value", [True, 1.5, float("nan"), "3", None, [3]])
def test_check_int_refuses_non_integers(value):
    with pytest.raises(GanforgeError, match="must be a whole number"):
        limits.check_int(value, "x", 0, 10)


def test_check_int_accepts_integral_floats():
    assert limits.check_int(4.0, "x", 0, 10) == 4


def test_nrow_is_between_one_and_n():
    assert limits.check_nrow(None, 5) is None and limits.check_nrow(5, 5) == 5
    for bad in (0, -3, 6):
        with pytest.raises(GanforgeError, match="--nrow must be between 1 and 5"):
            limits.check_nrow(bad, 5)


@pytest.mark.parametrize("name, message", [
    ("x" * 101, "101 characters long; use at most 100"),
    ("a/b", "plain folder name"),
    ("..", "plain folder name"),
    ("tab\there", "plain folder name"),
    ("bad\udcffname", "not valid UTF-8"),
    ("", "non-empty"),
])
def test_run_names(name, message):
    with pytest.raises(GanforgeError, match=message):
        limits.check_name(name)
    assert limits.check_name("digits-2026_v1.5") == "digits-2026_v1.5"


@pytest.mark.parametrize("name", ["latest", "best", "step_000500"])
def test_checkpoint_names(name):
    assert limits.check_checkpoint_name(name) == name


@pytest.mark.parametrize("name", ["../../x", "/abs/step_1", "step_1/../..", "", 5, None])
def test_checkpoint_names_are_never_paths(name):
    with pytest.raises(GanforgeError, match="is not latest, best or a step_NNNNNN name"):
        limits.check_checkpoint_name(name)


def test_samples_bounded_by_memory_as_well_as_count():
    limits.check_samples(100_000, (1, 28, 28))  # a full FID set of digits: 314 MB
    with pytest.raises(GanforgeError, match="at most 43,690 fit in memory"):
        limits.check_samples(50_000, (3, 64, 64))


def test_pictures_and_animations_are_bounded_before_allocation():
    limits.check_grid(64, (3, 64, 64), scale=4)
    with pytest.raises(GanforgeError, match="over the 100,000,000-pixel limit"):
        limits.check_grid(1024, (3, 128, 128), scale=4)
    limits.check_animation(121, (3, 64, 64), 4)
    with pytest.raises(GanforgeError, match="GiB of frames"):
        limits.check_animation(5000, (3, 128, 128), 4)
    with pytest.raises(GanforgeError, match="number of frames must be between 1 and 5,000"):
        limits.check_animation(5001, (1, 8, 8), 1)


def test_grid_size_matches_make_grid():
    from ganforge.art.grid import make_grid

    image = make_grid(torch.zeros(10, 1, 7, 5, dtype=torch.uint8), nrow=4, padding=3)
    assert limits.grid_size(10, 7, 5, nrow=4, padding=3) == (image.height, image.width)


@pytest.mark.parametrize("cls, options, message", [
    (DCGANGenerator, {"width": 0}, "model.g.width must be between 1 and 4,096, got 0"),
    (DCGANGenerator, {"width": -4}, "model.g.width must be between 1 and 4,096, got -4"),
    (DCGANGenerator, {"width": True}, "model.g.width must be a whole number"),
    (DCGANGenerator, {"extra_layers": 65}, "model.g.extra_layers must be between 0 and 64"),
    (DCGANGenerator, {"norm": 3}, "model.g.norm must be text"),
    (MLPGenerator, {"hidden": [16, 0]}, "Each size in model.g.hidden must be between 1"),
    (MLPGenerator, {"hidden": list(range(1, 70))}, "The length of model.g.hidden must be between 1 and 64"),
    (MLPGenerator, {"hidden": "big"}, "model.g.hidden must be a list of layer sizes"),
])
def test_network_options_are_checked_from_the_signature(cls, options, message):
    with pytest.raises(GanforgeError, match=message):
        limits.check_net_options(cls, options, "model.g")


def test_network_options_in_range_pass():
    limits.check_net_options(DCGANGenerator, {"width": 64, "extra_layers": 0, "norm": "batch"}, "model.g")
    limits.check_net_options(MLPGenerator, {"hidden": [256, 512], "output": None}, "model.g")


def test_parameter_count_is_measured_without_memory():
    limits.check_parameter_count(lambda: DCGANGenerator((1, 28, 28), 100, width=64), "small")
    with pytest.raises(GanforgeError, match=r"network of [\d,]+ parameters, over the 200,000,000 limit"):
        limits.check_parameter_count(
            lambda: DCGANGenerator((3, 128, 128), 4096, width=4096, max_channels=4096), "model.json")


def test_config_limits_are_one_call_from_validation():
    from ganforge.presets import load_config

    with pytest.raises(GanforgeError, match="data.resolution must be between 1 and 1,024"):
        load_config("mnist-dcgan", ["data.resolution=100000"])
    with pytest.raises(GanforgeError, match="train.ema_decay must be a finite number|train.ema_decay must be in"):
        load_config("mnist-dcgan", ["train.ema_decay=nan"])


@pytest.mark.parametrize("psi", [0.0, 0.005, 4.5, float("inf"), float("nan"), True, "0.7"])
def test_one_truncation_range_for_cli_api_and_studio(psi):
    from ganforge.art.latent import check_truncation as api_check
    from ganforge.studio.service import StudioError, check_truncation as studio_check

    with pytest.raises(GanforgeError, match="between 0.01 and 4.0"):
        limits.check_truncation(psi)
    with pytest.raises(GanforgeError, match="between 0.01 and 4.0"):
        api_check(psi)
    if psi not in (0.0,) and not isinstance(psi, str):  # the slider's 0 means "off"
        with pytest.raises(StudioError, match="between 0.01 and 4.0"):
            studio_check(psi)
    assert limits.check_truncation(0.7) == api_check(0.7) == studio_check("0.7") == 0.7
    assert studio_check(0) is None and limits.check_truncation(None) is None
