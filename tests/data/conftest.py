"""Fixtures for the data tests: fresh notices, no stray data folders, tiny files."""

import gzip
import struct

import numpy as np
import pytest

from ganforge.data import registry


@pytest.fixture(autouse=True)
def _fresh_notices(monkeypatch, tmp_path):
    # Notices show once per process; each test must see its own.  HOME and
    # GANFORGE_DATA point at empty folders so a developer's own MNIST files
    # never change what these tests read.
    monkeypatch.setattr(registry, "_SHOWN", set())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GANFORGE_DATA", raising=False)


@pytest.fixture
def write_idx():
    """write_idx(path, uint8 array, gz=False): the array as an IDX file."""

    def write(path, array, gz=False):
        array = np.asarray(array, dtype=np.uint8)
        raw = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape) + array.tobytes()
        path.write_bytes(gzip.compress(raw) if gz else raw)
        return path

    return write
