"""Data sources, registered by name; ``load_dataset(cfg)`` is the only entry point.

Each source lives in its own module and registers a loader
``fn(cfg: DataConfig) -> Dataset`` with ``@SOURCES.register("name")``.
"""

from ganforge.data.base import Dataset, IndexSampler, to_uint8_images
from ganforge.data.registry import SOURCES, load_dataset

# Importing the modules registers the sources.
from ganforge.data import mnist, fashion_mnist, digits, cifar10, folder, toy2d  # noqa: E402,F401
from ganforge.data import emoji  # noqa: E402,F401
from ganforge.data import paired, translation_demos  # noqa: E402,F401
from ganforge.data import tensor_file  # noqa: E402,F401
from ganforge.data import streaming  # noqa: E402,F401  (the folder source's streaming path)

__all__ = ["Dataset", "IndexSampler", "SOURCES", "load_dataset", "to_uint8_images"]
