"""Every registered export format, whatever its name: ``ganforge export --format NAME`` writes it, a model card
beside it that shows how to use it, and prints the format's own viewing hint (if it declares one)."""

import pytest

from ganforge.cli import main
from ganforge.export import FORMATS


@pytest.mark.parametrize("name", FORMATS.names())
def test_format_is_written_with_a_card_through_the_cli(name, tiny_run, tmp_path, capsys):
    spec = FORMATS.get(name)
    out = tmp_path / "out" / spec.example_out.rstrip("/")
    assert main(["export", str(tiny_run), "--format", name, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.exists() and f"Wrote {out} ({name})" in printed
    card = ((out if out.is_dir() else out.parent) / "README.md").read_text()
    assert f"--format {name}" in card
    if spec.view:
        assert spec.view.format(path=out) in printed  # e.g. web: how to serve the folder
    else:
        assert printed.strip().splitlines() == [f"Wrote {out} ({name}) and its model card beside it"]
