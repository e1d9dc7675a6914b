"""Presets, overrides and validation: bad input gets one clear sentence."""

import pytest

from ganforge.config import Config, to_yaml
from ganforge.presets import apply_overrides, config_from_dict, load_config, parse_override, preset_names, validate
from ganforge.errors import GanforgeError
import yaml


def test_required_presets_exist():
    assert {"mnist-gan", "mnist-dcgan", "fashion-dcgan", "toy2d-gan"} <= set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_loads_and_validates(name):
    cfg = load_config(name)
    assert cfg.name == name and cfg.train.steps >= 1


def test_override_types_are_parsed_as_yaml():
    assert parse_override("train.steps=500") == (["train", "steps"], 500)
    assert parse_override("optim_g.betas=[0.0, 0.9]") == (["optim_g", "betas"], [0.0, 0.9])
    assert parse_override("recipe.loss=hinge") == (["recipe", "loss"], "hinge")


def test_overrides_apply_and_name_defaults_to_preset():
    cfg = load_config("mnist-dcgan", ["train.steps=7", "optim_d.lr=1e-3", "model.g.width=8"])
    assert (cfg.train.steps, cfg.optim_d.lr, cfg.model.g["width"], cfg.name) == (7, 1e-3, 8, "mnist-dcgan")


@pytest.mark.parametrize("override, message", [
    ("train.stepz=5", r"Unknown setting 'train.stepz'\. Did you mean 'steps'\?"),
    ("optim_g.lr=-1", r"optim_g.lr must be a positive finite number"),
    ("train.steps=abc", r"train.steps must be a whole number"),
    ("train.batch_size=0", r"train.batch_size must be >= 1"),
    ("train.grad_accum=3", r"divisible by train.grad_accum"),
    ("recipe.loss=hing", r"Did you mean 'hinge'"),
    ("recipe.bogus=1", r"Unknown setting 'recipe.bogus'"),
    ("model.arch=dcgn", r"Unknown architecture 'dcgn'"),
    ("model.g.widht=8", r"Unknown option model.g.widht .* valid options: .*width"),
    ("data.source=mnst", r"Unknown data source 'mnst'"),
    ("optim_g.name=adamm", r"Unknown optimizer 'adamm'"),
    ("train.precision=fp8", r"train.precision must be fp32, bf16, fp16 or auto"),
    ("train", r"must look like key.sub=value"),
])
def test_bad_overrides_give_one_clear_error(override, message):
    with pytest.raises(GanforgeError, match=message):
        load_config("mnist-dcgan", [override])


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(GanforgeError, match=r"Unknown preset 'mnist-dcgn'\. Did you mean 'mnist-dcgan'\? Choose one of: .*toy2d-gan"):
        load_config("mnist-dcgn")


def test_yaml_round_trip_gives_the_same_config():
    cfg = load_config("toy2d-gan", ["train.steps=11"])
    again = config_from_dict(yaml.safe_load(to_yaml(cfg)))
    assert again == cfg


def test_section_override_on_a_value_is_refused():
    with pytest.raises(GanforgeError, match="is a value, not a section"):
        apply_overrides({"name": "x"}, ["name.sub=1"])


def test_defaults_are_valid_and_round_trip():
    # Config() is what a YAML file without a section falls back to: it must pass validation
    # (validate raises on a bad default) and come back unchanged through a run's config.yaml.
    defaults = Config()
    validate(defaults)
    assert config_from_dict(yaml.safe_load(to_yaml(defaults))) == defaults
