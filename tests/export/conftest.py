"""Tiny models of every registered architecture, saved as model directories (no training: fast)."""

import pytest
import torch

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from ganforge.api import GeneratorModel  # noqa: E402
from ganforge.errors import GanforgeError  # noqa: E402
from ganforge.nets import ARCHS, build_generator, options_of  # noqa: E402

# Tried in order: the first shape an architecture accepts is used.
SHAPES = ([1, 16, 16], [3, 32, 32], [1, 28, 28], [3, 64, 64], [2])
Z_DIM = 6


def tiny_options(arch: str) -> dict:
    options = options_of(ARCHS.get(arch).generator)
    return {k: v for k, v in {"width": 4, "hidden": [16]}.items() if k in options}


def _tiny_spec(arch: str, conditioning: str | None = None) -> dict:
    """The smallest generator spec of ``arch`` (and conditioning) that builds."""
    for shape in SHAPES:
        spec = {"arch": arch, "shape": shape, "z_dim": Z_DIM, "g": tiny_options(arch)}
        if conditioning:
            spec.update(conditioning=conditioning, num_classes=3, embed_dim=None)
        try:
            build_generator(spec)
            return spec
        except (GanforgeError, ValueError, TypeError):
            continue
    raise AssertionError(f"no tiny shape builds architecture {arch!r}; add one to SHAPES")


def make_model(spec: dict, seed: int = 0) -> GeneratorModel:
    """A GeneratorModel with random weights and non-trivial batch-norm statistics (a few train-mode passes)."""
    torch.manual_seed(seed)
    net = build_generator(spec)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            z = torch.randn(8, spec["z_dim"]) * 2
            args = (z, torch.randint(0, spec["num_classes"], (8,))) if spec.get("conditioning") else (z,)
            net(*args)
    meta = {"generator": spec, "arch": spec["arch"], "z_dim": spec["z_dim"], "shape": spec["shape"],
            "class_names": ["a", "b", "c"] if spec.get("conditioning") else None, "step": 7, "recipe": "gan",
            "precision": "fp32", "config": {"name": "tinyexport", "data": {"source": "toy2d" if len(spec["shape"]) == 1 else "mnist"},
                                            "train": {"ema_decay": 0.0, "batch_size": 8}}}
    return GeneratorModel(net, meta, source=None)


@pytest.fixture
def saved_model(tmp_path):
    """spec -> path of a save_pretrained directory of a tiny model built from it."""
    def make(spec: dict):
        model = make_model(spec)
        model.source = tmp_path / "source"  # where provenance looks for the weights: the saved folder itself
        path = model.save_pretrained(tmp_path / "model")
        return path
    return make


@pytest.fixture
def tiny_spec():
    """(arch, conditioning=None) -> the smallest generator spec of that architecture that builds."""
    return _tiny_spec
