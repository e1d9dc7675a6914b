"""How ``ganforge generate`` picks its output format: --format, else --out's suffix, else png."""

import pytest

from ganforge.art.sample_formats import SAMPLE_FORMATS, choose_format
from ganforge.errors import GanforgeError


@pytest.mark.parametrize("out, expected", [
    ("samples.npy", "npy"), ("GRID.PNG", "png"), ("grid.png", "png"),
    ("folder", "png"), (None, "png"), ("a.jpeg", "png"),
])
def test_without_format_the_suffix_of_out_picks_it(out, expected):
    assert choose_format(None, out) is SAMPLE_FORMATS.get(expected)


@pytest.mark.parametrize("name, out", [
    ("npy", "s.npy"), ("npy", "samples"), ("png", "g.png"), ("png", "grid"), ("png-dir", "pngs"), ("png", None),
])
def test_an_explicit_format_with_a_matching_or_neutral_out_is_kept(name, out):
    assert choose_format(name, out) is SAMPLE_FORMATS.get(name)


@pytest.mark.parametrize("name, out, fix", [
    ("npy", "grid.png", "end it in .npy"),
    ("png", "s.npy", "end it in .png"),
    ("png-dir", "pngs.png", "give a folder name without a suffix"),
])
def test_a_suffix_naming_another_format_is_refused_with_the_fix(name, out, fix):
    with pytest.raises(GanforgeError) as error:
        choose_format(name, out)
    message = str(error.value)
    assert f"--format is {name}" in message and fix in message and "\n" not in message


def test_every_file_format_has_a_distinct_suffix():
    suffixes = [SAMPLE_FORMATS.get(n).suffix for n in SAMPLE_FORMATS if not SAMPLE_FORMATS.get(n).folder]
    assert all(suffixes) and len(set(suffixes)) == len(suffixes)
