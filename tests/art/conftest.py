"""A tiny trained image run shared by the art tests (trained once per session, ~1 s)."""

import pytest

from ganforge.config import load_config

TINY = ["data.limit=256", "model.z_dim=8", "model.g.width=8", "model.d.width=8", "train.batch_size=16",
        "train.log_every=1", "train.sample_every=100", "train.checkpoint_every=2", "train.grid_size=16",
        "train.progress=false", "train.device=cpu", "train.steps=4"]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """Path of a run directory with checkpoints (28x28 grey DCGAN, 4 steps)."""
    from ganforge.training.trainer import Trainer

    root = tmp_path_factory.mktemp("art-runs")
    cfg = load_config("mnist-dcgan", TINY, name="tiny")
    cfg.out_dir = str(root)
    cfg.data.cache_dir = str(root / "cache")
    return Trainer(cfg, root / "tiny").fit()


@pytest.fixture(scope="session")
def tiny_model(tiny_run):
    from ganforge.api import load

    return load(tiny_run)


@pytest.fixture(scope="session")
def tiny_cond_run(tmp_path_factory):
    """A tiny class-conditional run (mnist-cgan, 10 digit classes, 4 steps)."""
    from ganforge.training.trainer import Trainer

    root = tmp_path_factory.mktemp("cond-runs")
    cfg = load_config("mnist-cgan", TINY, name="tinyc")
    cfg.out_dir = str(root)
    cfg.data.cache_dir = str(root / "cache")
    return Trainer(cfg, root / "tinyc").fit()
