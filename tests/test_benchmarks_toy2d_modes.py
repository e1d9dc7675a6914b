"""benchmarks/toy2d_modes.py: every row it can run loads, one tiny run is scored early and at its end, the table row;
the round-5 EMA screen recalibrates batch-norm statistics exactly."""

import argparse
import importlib.util
import json
from pathlib import Path

import pytest
import torch
import yaml

from ganforge.presets import load_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module (pyproject puts benchmarks/ on the test path)."""
    import toy2d_modes
    return toy2d_modes


@pytest.mark.parametrize("variant", ["grid25", "ring8"])
def test_every_preset_and_remedy_of_a_variant_loads(bench, variant):
    presets = bench.presets_of(variant)
    assert {"gan", "nonsaturating"} <= set(presets)  # the collapse contrast and the tuned recipe
    for preset in presets:
        for remedy, overrides in bench.REMEDIES.items():
            cfg = load_config(f"toy2d-{variant}-{preset}", overrides)
            assert cfg.data.variant == variant
            assert cfg.model.pack == (int(remedy[4:]) if remedy.startswith("pack") else 1)
            assert cfg.model.d.get("minibatch_std", 0) == (4 if remedy == "mbstd" else 0)


def test_one_run_is_scored_early_and_at_its_end_with_the_overrides(bench, tmp_path):
    args = argparse.Namespace(steps=4, early=2, samples=64, device="cpu",
                              set=["train.batch_size=16", "model.g.hidden=[16]", "model.d.hidden=[16]"])
    result = bench.run_one("ring8", "nonsaturating", "pack2", args, 3, tmp_path)
    assert (result["steps"], result["early_step"]) == (4, 2) and result["cpu_seconds"] > 0
    for when in ("early", "end"):
        assert result[when]["modes_total"] == 8 and 0 <= result[when]["high_quality_rate"] <= 1
    run = tmp_path / "toy2d-ring8-nonsaturating-pack2-s3"
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert cfg["train"]["batch_size"] == 16 and cfg["model"]["g"]["hidden"] == [16] and cfg["model"]["pack"] == 2
    assert cfg["train"]["seed"] == 3
    json.dumps(result)  # the --json file holds these rows


def test_row_gives_mean_and_std_over_seeds_and_each_seeds_end_modes(bench):
    def result(modes, hq):
        scores = {"modes_hit": modes, "modes_total": 25.0, "high_quality_rate": hq, "reverse_kl": 0.1}
        return {"early": scores, "end": scores, "early_step": 2000, "steps": 6000, "cpu_seconds": 100.0, "seconds": 300.0}

    row = bench.row("grid25", "nonsaturating", "none", [result(24.0, 0.8), result(25.0, 0.9)])
    cells = [c.strip() for c in row.strip("| ").split("|")]
    assert cells[:5] == ["grid25 (25 modes)", "nonsaturating", "none", "2000", "6000"]
    assert cells[8:11] == ["24.5 ± 0.7", "85.0 ± 7.1", "0.10 ± 0.00"]
    assert cells[11] == "24 25" and cells[12] == "100 ± 0"
    assert bench.mean_std([0.5], ".2f") == "0.50"


@pytest.mark.parametrize(("early", "steps", "expected"), [
    (2000, 6000, 2000),    # a step
    (2000, 500, 500),      # a step past the end: the end
    (0.5, 18000, 9000),    # a fraction: halfway through any preset's decay
    (0.5, 20000, 10000),
    (0.001, 100, 1),       # never step 0 (no checkpoint there)
])
def test_early_is_a_step_or_a_fraction_of_the_run(bench, early, steps, expected):
    assert bench.early_step(early, steps) == expected


def test_ema_screen_recalibrates_bn_statistics_to_the_nets_own_activations():
    """The round-5 EMA screen's BN fix: running stats = exact mean / variance of the net's own pre-BN activations."""
    spec = importlib.util.spec_from_file_location("ema_screen", ROOT / "benchmarks" / "results" / "toy2d" / "ema_screen.py")
    screen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screen)
    torch.manual_seed(0)
    g = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    g[1].running_mean.fill_(5.0)  # stale statistics, as the trainer's EMA copies from the live G
    fixed = screen.recalibrated(g, z_dim=2, batches=3, batch_size=64)
    assert g[1].running_mean.eq(5.0).all() and not fixed.training  # a copy, in eval mode
    gen = torch.Generator().manual_seed(123)  # the latents recalibrated() draws
    pre = torch.cat([g[0](torch.randn(64, 2, generator=gen)) for _ in range(3)])
    assert torch.allclose(fixed[1].running_mean, pre.mean(0), atol=1e-5)
    per_batch_var = torch.stack([chunk.var(0, unbiased=True) for chunk in pre.split(64)]).mean(0)
    assert torch.allclose(fixed[1].running_var, per_batch_var, atol=1e-5)  # mean of each batch's unbiased variance
