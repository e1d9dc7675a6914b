"""ganforge: train, watch, measure and use generative adversarial networks.

    import ganforge
    run_dir = ganforge.train("mnist-dcgan", overrides=["train.steps=500"])
    images = ganforge.load(run_dir).sample(16, seed=0)     # (16, 1, 28, 28) in [-1, 1]
"""

__version__ = "0.1.0"

from ganforge.errors import GanforgeError  # noqa: E402

__all__ = ["GanforgeError", "GeneratorModel", "__version__", "load", "train"]


def __getattr__(name: str):
    # Lazy: `import ganforge` stays cheap, and submodules import without the whole stack.
    if name in ("train", "load", "GeneratorModel"):
        from ganforge import api

        return getattr(api, name)
    raise AttributeError(f"module 'ganforge' has no attribute {name!r}")
