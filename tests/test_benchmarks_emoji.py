"""benchmarks/emoji.py: how a run spec on the command line becomes a preset and its overrides."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("emoji_bench", ROOT / "benchmarks" / "emoji.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


emoji = _load()


@pytest.mark.parametrize("spec, expected", [
    ("emoji-fastgan", ("emoji-fastgan", "emoji-fastgan", [])),
    ("g8=emoji-fastgan,model.g.width=8,train.batch_size=8",
     ("g8", "emoji-fastgan", ["model.g.width=8", "train.batch_size=8"])),
    # commas inside a list or mapping value stay with it: a comma splits only before "key="
    ("b0=emoji-fastgan,optim_d.betas=[0.0,0.99],model.g.channels={32: 16, 64: 8}",
     ("b0", "emoji-fastgan", ["optim_d.betas=[0.0,0.99]", "model.g.channels={32: 16, 64: 8}"])),
])
def test_parse_run_splits_only_before_keys(spec, expected):
    assert emoji.parse_run(spec) == expected
