"""ganforge.outputs: output places are checked (and created) before the work, with one sentence."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.outputs import output_file, output_folder


def test_output_file_creates_missing_parents(tmp_path):
    path = output_file(tmp_path / "a" / "b" / "grid.png")
    assert path.parent.is_dir() and not path.exists()
    assert list(path.parent.iterdir()) == []  # the write probe leaves nothing behind


def test_output_file_refuses_a_folder_and_a_path_through_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(GanforgeError, match="is an existing folder; give a file name"):
        output_file(tmp_path)
    with pytest.raises(GanforgeError, match="--out: '.*f' is a file, not a folder"):
        output_file(tmp_path / "f" / "grid.png")
    with pytest.raises(GanforgeError, match="A part of .* is a file, not a folder"):
        output_file(tmp_path / "f" / "deeper" / "grid.png")


def test_output_folder_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(GanforgeError, match="--format '.*f' is an existing file; give a folder name"):
        output_folder(tmp_path / "f", "--format")
    assert output_folder(tmp_path / "new").is_dir()


def test_unwritable_folder_is_one_sentence(tmp_path, monkeypatch):
    import pathlib

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "touch", refuse)  # as root, chmod cannot make a folder unwritable
    with pytest.raises(GanforgeError, match="--out: Cannot write .*permission denied or read-only"):
        output_file(tmp_path / "grid.png")
