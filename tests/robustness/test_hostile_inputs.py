"""Hostile inputs through the CLI entry point: each gives a non-zero status and ONE line naming the problem.

Every row is (argv with {placeholders} from the ``hostile`` fixture, a regex the
one stderr line must match).  They run in-process through ``ganforge.cli.main``
(the console script's function) so the table stays fast; ``test_console_script.py``
runs a handful through the installed ``ganforge`` executable.  Grow the table
with every bug found.
"""

import re

import pytest

from ganforge.cli import main

DRY = ["train", "--preset", "mnist-dcgan", "--dry-run"]

CASES = [
    # ---- CLI numbers: ranges and overflow
    ("generate {run} --seed 99999999999999999999", r"--seed 99999999999999999999 is too large"),
    ("generate {run} --seed -1", r"--seed must be between 0 and"),
    ("generate {run} --n 0", r"--n must be between 1 and 100,000, got 0"),
    ("generate {run} --n 100001", r"--n must be between 1 and 100,000"),
    ("generate {run} --n abc", r"argument --n: invalid int value: 'abc'"),
    ("generate {run} --nrow -3", r"--nrow must be between 1 and 64, got -3"),
    ("generate {run} --nrow 0", r"--nrow must be between 1 and 64, got 0"),
    ("generate {cond} --per-class 100000", r"--per-class \(100000\) x 10 classes must be between 1 and 100,000"),
    ("generate {run} --per-class 0", r"--per-class must be between 1"),
    ("generate {run} --checkpoint step_999", r"No step_000999 checkpoint|No step_999 checkpoint"),
    ("generate {run} --checkpoint ../../etc", r"not a checkpoint name"),
    ("interpolate {run} --scale 100000", r"--scale must be between 1 and 64, got 100,000"),
    ("interpolate {run} --scale 0", r"--scale must be between 1 and 64, got 0"),
    ("interpolate {run} --grid-around 1 --n 4 --scale 100000", r"--scale must be between 1 and 64"),
    ("interpolate {run} --grid-around 1 --n 100", r"--n must be between 1 and 32, got 100"),
    ("interpolate {run} --grid-around 1 --n 32 --scale 64", r"The grid would be .* pixels, over the 100,000,000-pixel limit"),
    ("interpolate {run} --scale 64 --steps 1000 --seeds 1,2", r"The animation would hold .* GiB of frames"),
    ("interpolate {run} --steps 100000", r"--steps must be >= 1 and make at most 5000 frames"),
    ("interpolate {run} --steps 0", r"--steps must be >= 1"),
    ("interpolate {run} --seeds 1,99999999999999999999", r"--seeds must be between 0 and"),
    ("interpolate {run} --fps 0", r"Frames per second must be between"),
    ("interpolate {run} --grid-around 99999999999999999999", r"--grid-around 99999999999999999999 is too large"),
    ("eval {run} --n 1", r"--n must be between 2 and 100,000, got 1"),
    ("eval {run} --n 10000000", r"--n must be between 2 and 100,000"),
    ("eval {missing}", r"does not exist"),
    ("frobnicate", r"invalid choice: 'frobnicate'"),
    ("list nonsense", r"invalid choice: 'nonsense'"),
    # ---- config values
    (DRY + ["--set", "data.resolution=100000"], r"data.resolution must be between 1 and 1,024, got 100,000"),
    (DRY + ["--set", "model.g.width=0"], r"model.g.width must be between 1 and 4,096, got 0"),
    (DRY + ["--set", "model.g.width=-4"], r"model.g.width must be between 1 and 4,096, got -4"),
    (DRY + ["--set", "model.d.width=100000"], r"model.d.width must be between 1 and 4,096"),
    (DRY + ["--set", "model.g.width=wide"], r"model.g.width must be a whole number"),
    (DRY + ["--set", "model.g.extra_layers=-1"], r"model.g.extra_layers must be between 0 and 64"),
    (DRY + ["--set", "model.z_dim=100000"], r"model.z_dim must be between 1 and 4,096"),
    (DRY + ["--set", "train.batch_size=100000"], r"train.batch_size must be between 1 and 65,536"),
    (DRY + ["--set", "train.batch_size=0.5"], r"train.batch_size must be a whole number"),
    (DRY + ["--set", "train.grid_size=100000"], r"train.grid_size must be between 1 and 1,024"),
    (DRY + ["--set", "train.eval_n=10000000"], r"train.eval_n must be between 2 and 100,000"),
    (DRY + ["--set", "train.seed=99999999999999999999"], r"train.seed must be between 0 and"),
    (DRY + ["--set", "optim_g.lr=inf"], r"optim_g.lr must be a positive finite number"),
    (DRY + ["--set", "optim_d.lr=nan"], r"optim_d.lr must be a positive finite number"),
    (DRY + ["--set", "model.g=5"], r"model.g must be a dict"),
    (DRY + ["--name", "x" * 300], r"Run name is 300 characters long; use at most 100"),
    (DRY + ["--name", "a/b"], r"must be a plain folder name"),
    (DRY + ["--name", "bad\udcffname"], r"is not valid UTF-8 text"),
    (["train", "--preset", "mnist-gan", "--dry-run", "--set", "model.g.hidden=[0]"], r"Each size in model.g.hidden"),
    # ---- output places, checked before any work
    ("generate {run} --out {dir}", r"--out '.*a-folder' is an existing folder; give a file name"),
    ("generate {run} --format png-dir --out {file}", r"--out '.*a-file' is an existing file; give a folder name"),
    ("generate {run} --format npy --out {file}/x.npy", r"is a file, not a folder"),
    ("generate --from-png {png_huge_n} --out {dir}", r"--out '.*a-folder' is an existing folder"),
    ("interpolate {run} --out {file}/walk.gif", r"is a file, not a folder"),
    ("interpolate {run} --grid-around 1 --out {dir}/x.txt", r"--grid-around writes a PNG"),
    ("classify --method baseline --out {file}", r"--out '.*a-file' is an existing file"),
    ("train --preset mnist-dcgan --out-dir {file}/runs", r"--out-dir: A part of '.*a-file/runs' is a file, not a folder"),
    # ---- broken files
    ("train --resume {config_empty}", r"config.yaml' is damaged \(not a YAML mapping of settings\)"),
    ("train --resume {config_bytes}", r"config.yaml' is damaged"),
    ("train --resume {config_list}", r"config.yaml' is damaged"),
    ("train --resume {config_invalid}", r"config.yaml' is damaged"),
    ("train --resume {config_latin1}", r"config.yaml' is damaged"),
    ("train --resume {config_date}", r"config.yaml' is damaged"),
    ("train --resume {config_scalar}", r"config.yaml' is damaged"),
    ("train --resume {missing}", r"is not a run directory \(no config.yaml\)"),
    ("generate {model_list}", r"model.json' is not a usable model description \(it holds a JSON list"),
    ("generate {model_missing}", r"model.json' is not a usable model description \(missing arch, shape, z_dim\)"),
    ("generate {model_types}", r"model.json: z_dim must be a whole number"),
    ("generate {model_unknown}", r"Unknown option .*model.json: g.colour for DCGANGenerator"),
    ("generate {model_wide}", r"model.json: g.width must be between 1 and 4,096, got 100,000"),
    ("generate {model_params}", r"describes a network of [\d,]+ parameters, over the 200,000,000 limit"),
    ("generate {model_not_json}", r"has no readable model.json"),
    ("generate --from-png {png_huge_n}", r"metadata field 'n' must be between 1 and 100,000, got 200,000,000"),
    ("generate --from-png {png_huge_scale}", r"metadata field 'scale' must be between 1 and 64"),
    ("generate --from-png {png_escape}", r"checkpoint named in the image's metadata '../../other/.*' is not latest"),
    ("generate --from-png {png_bad_seed}", r"Image metadata field seed='abc' is damaged"),
    ("generate --from-png {png_no_meta}", r"has no ganforge provenance"),
    ("generate --from-png {not_png}", r"is not a readable image"),
    ("generate --from-png {missing}", r"does not exist; give a PNG that ganforge saved"),
    ("generate --from-png {gif_foreign}", r"has no ganforge provenance"),
    ("generate --from-png {gif_list}", r"has no ganforge provenance"),
    ("generate --from-png {gif_wrong_types}", r"metadata field 'seed' must be a whole number"),
    ("eval {run} --extractor {extractor} --metrics fid --n 100", r"entry 'mine' is not an extractor description"),
    ("classify --dataset folder --method baseline --out {tmp}/c", r"--dataset folder needs --data-path DIR"),
]


def _argv(template, places) -> list[str]:
    parts = template.split() if isinstance(template, str) else list(template)
    return [part.format(**places) if "{" in part else part for part in parts]


@pytest.mark.parametrize("template, message", CASES, ids=[f"{i:02d}" for i in range(len(CASES))])
def test_hostile_input_is_one_line(template, message, hostile, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # default outputs (samples.png, runs/) land in a scratch folder
    try:
        code = main(_argv(template, hostile))
    except SystemExit as exc:  # argparse usage errors exit from inside parse_args, as the console script would
        code = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code != 0 and "Traceback" not in err
    assert len(lines) == 1, err
    assert re.search(message, lines[0]), lines[0]
