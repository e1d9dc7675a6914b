"""Shared fixtures: tiny configs that train in a second on CPU."""

import json

import pytest
import torch
import yaml

from ganforge.presets import load_config

torch.set_num_threads(2)

# precision=fp32 everywhere: the image presets say `auto`, which is bf16 on CPUs with AMX /
# AVX512-BF16 and fp32 elsewhere, and the suite must run the same maths on every machine.
TINY_IMAGE = [
    "data.limit=256", "model.z_dim=8", "model.g.width=8", "model.d.width=8",
    "train.batch_size=16", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
    "train.grid_size=16", "train.progress=false", "train.device=cpu", "train.precision=fp32",
]
TINY_POINTS = [
    "data.limit=512", "model.g.hidden=[16, 16]", "model.d.hidden=[16, 16]",
    "train.batch_size=32", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
    "train.progress=false", "train.device=cpu", "train.precision=fp32",
]
# Class-conditional image runs: the tiny image nets, a sample grid of 2 samples for each of 10 classes.
TINY_CONDITIONAL = TINY_IMAGE + ["train.grid_size=20"]
# Image-to-image runs (pix2pix, CycleGAN) on a folder of 32 px pairs: width-4 translators, a 1-layer PatchGAN.
TINY_TRANSLATION = [
    "recipe.g.width=4", "recipe.d.width=4", "recipe.d.n_layers=1", "data.resolution=32",
    "train.batch_size=4", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2",
    "train.grid_size=4", "train.progress=false", "train.device=cpu", "train.precision=fp32",
]
#: The shared tiny override lists by kind of data; later overrides win, so a test appends only what it changes.
TINY = {"image": TINY_IMAGE, "points": TINY_POINTS, "conditional": TINY_CONDITIONAL, "translation": TINY_TRANSLATION}


@pytest.fixture(scope="session")
def tiny():
    """{"image" | "points" | "conditional" | "translation": a copy of that tiny override list} (see TINY)."""
    return {kind: list(overrides) for kind, overrides in TINY.items()}


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Each test session gets its own dataset cache; nothing is written to ~/.cache.
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _cpu_without_bf16_units(monkeypatch):
    # A config a test forgot to pin still runs the same maths on every CPU: `precision: auto`
    # (and the extractor's auto) resolve as on a CPU without bf16 units.  Tests of `auto`
    # itself patch the probe again (tests/training/test_precision_auto.py).
    from ganforge.training import device

    monkeypatch.setattr(device, "cpu_bf16", lambda: (False, "no bf16 units (pinned by the test suite)"))


@pytest.fixture
def tiny_image_config(tmp_path):
    def make(steps=4, extra=()):
        cfg = load_config("mnist-dcgan", TINY_IMAGE + [f"train.steps={steps}", *extra], name="tiny")
        cfg.out_dir = str(tmp_path / "runs")
        return cfg
    return make


@pytest.fixture
def tiny_points_config(tmp_path):
    def make(steps=4, extra=()):
        cfg = load_config("toy2d-gan", TINY_POINTS + [f"train.steps={steps}", *extra], name="toy")
        cfg.out_dir = str(tmp_path / "runs")
        return cfg
    return make


# A tiny trained run shared by the art and studio tests (trained once per session, ~1 s each).
TINY_RUN = TINY_IMAGE + ["train.sample_every=100", "train.steps=4"]


def _train_tiny(tmp_path_factory, preset: str, name: str):
    from ganforge.training.trainer import Trainer

    root = tmp_path_factory.mktemp(f"{name}-runs")
    cfg = load_config(preset, TINY_RUN, name=name)
    cfg.out_dir = str(root)
    cfg.data.cache_dir = str(root / "cache")
    return Trainer(cfg, root / name).fit()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """Path of a run directory with checkpoints (28x28 grey DCGAN, 4 steps)."""
    return _train_tiny(tmp_path_factory, "mnist-dcgan", "tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_run):
    from ganforge.api import load

    return load(tiny_run)


@pytest.fixture(scope="session")
def tiny_cond_run(tmp_path_factory):
    """A tiny class-conditional run (mnist-cgan, 10 digit classes, 4 steps)."""
    return _train_tiny(tmp_path_factory, "mnist-cgan", "tinyc")


@pytest.fixture(scope="session")
def mnist_subset():
    """The 5,000-digit MNIST subset, loaded once."""
    from ganforge.config import DataConfig
    from ganforge.data import load_dataset

    return load_dataset(DataConfig(source="mnist"))


@pytest.fixture
def run_without_monitor(tmp_path, mnist_subset):
    """A factory: ``make(collapse_from)`` writes a run trained with train.health=off (losses only in
    metrics.jsonl, steps 50..1000) whose sample grids (the trainer's own writer, every 100 steps) hold real
    digits until ``collapse_from`` and one digit 64 times from then on; returns the run directory."""
    from ganforge.training.samples import write_samples

    def make(collapse_from: int):
        run = tmp_path / "nomonitor"
        (run / "samples").mkdir(parents=True)
        cfg = {"name": "nomonitor", "recipe": {"name": "gan", "loss": "nonsaturating"}, "data": {"source": "mnist"},
               "train": {"health": "off", "grid_size": 64, "sample_every": 100}}
        (run / "config.yaml").write_text(yaml.safe_dump(cfg))
        rows = [{"step": s, "d/loss": 1.3, "g/loss": 0.8} for s in range(50, 1050, 50)]
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        data = mnist_subset
        digits = data.to_model(data.x[torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:64]])
        for step in range(100, 1100, 100):
            samples = digits if step < collapse_from else digits[:1].expand(64, -1, -1, -1)
            write_samples(samples, run / "samples" / f"step_{step:06d}.png", {"step": step}, None, None)
        return run

    return make
