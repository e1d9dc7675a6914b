"""The Unicode group / subgroup of every emoji: a small committed table, and the script that makes it.

The emoji source labels each glyph with its Unicode emoji *group* (smileys &
emotion, people & body, ... flags: 9 classes; the "Component" group -- skin
tone and hair swatches -- is not a class, the source drops those glyphs) and
keeps its *subgroup* and name as metadata.  The truth is Unicode's
``emoji-test.txt``; it ships in Debian's ``unicode-data`` package, which a
user should not need at run time, so this module's ``__main__`` derives
``emoji_groups.json`` (committed beside it) from that file once::

    apt-get install unicode-data
    python -m ganforge.data.emoji_table /usr/share/unicode/emoji/emoji-test.txt

Keys are code point sequences in upper-case hex joined by spaces, with the
variation selectors U+FE0E / U+FE0F removed (fonts and emoji-test.txt do not
agree on where those appear).  :func:`lookup` falls back to the longest known
prefix of a sequence, which labels sequences newer than the table the way
Unicode groups them: "phoenix" (bird ZWJ fire) is a bird, "person running
facing right" is a person running, "lime" (lemon ZWJ green square) is a fruit.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ganforge.errors import GanforgeError

TABLE_PATH = Path(__file__).with_name("emoji_groups.json")
EMOJI_TEST = Path("/usr/share/unicode/emoji/emoji-test.txt")  # Debian unicode-data
VARIATION_SELECTORS = frozenset({0xFE0E, 0xFE0F})
SKIPPED_GROUP = "Component"
# Google's private-use code points in Noto Color Emoji (legacy Android emoji):
# the ten original country flags and the keycaps #, 0-9 (checked by eye on the
# rendered glyphs).  Unicode has no entry for them, so the table adds these.
PRIVATE_USE = {
    **{f"{code:X}": ("Flags", "country-flag", f"flag (private use U+{code:X})") for code in range(0xFE4E5, 0xFE4EF)},
    **{f"{code:X}": ("Symbols", "keycap", f"keycap (private use U+{code:X})")
       for code in (0xFE82C, *range(0xFE82E, 0xFE838))},
}
_GROUP = re.compile(r"#\s*group:\s*(.+)")
_SUBGROUP = re.compile(r"#\s*subgroup:\s*(.+)")
_VERSION = re.compile(r"#\s*Version:\s*(\S+)")


@dataclass(frozen=True)
class EmojiLabel:
    """One emoji's place in Unicode's taxonomy: group slug (the class), subgroup and CLDR name."""

    group: str
    subgroup: str
    name: str


def slug(group: str) -> str:
    """"Smileys & Emotion" -> "smileys-emotion": the class name used on the command line."""
    return re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")


def sequence_key(codes) -> str:
    """Code points (ints) -> the table key: upper-case hex joined by spaces, variation selectors dropped."""
    return " ".join(f"{c:X}" for c in codes if c not in VARIATION_SELECTORS)


# ----------------------------------------------------------------------------
# building the table from emoji-test.txt


def parse_emoji_test(text: str) -> tuple[str, dict[str, tuple[str, str, str]]]:
    """emoji-test.txt -> (its version, {key: (group, subgroup, name)}), the first qualification of each kept."""
    version, group, subgroup, table = "unknown", None, None, {}
    for line in text.splitlines():
        if m := _VERSION.match(line):
            version = m.group(1)
        elif m := _GROUP.match(line):
            group = m.group(1).strip()
        elif m := _SUBGROUP.match(line):
            subgroup = m.group(1).strip()
        elif line.strip() and not line.startswith("#") and group != SKIPPED_GROUP:
            codes, rest = line.split(";", 1)
            key = sequence_key(int(c, 16) for c in codes.split())
            name = rest.split("#", 1)[1].split(None, 2)[2].strip()  # "# 😀 E1.0 grinning face"
            table.setdefault(key, (group, subgroup, name))
    return version, table


def build_table(emoji_test: Path) -> dict:
    """The JSON document written to ``emoji_groups.json``: groups in Unicode's order, subgroups, entries."""
    try:
        version, table = parse_emoji_test(Path(emoji_test).read_text(encoding="utf-8"))
    except OSError as exc:
        raise GanforgeError(f"Cannot read {emoji_test} ({exc.strerror or exc}); install it with "
                            "`apt-get install unicode-data` or give the path of emoji-test.txt.") from None
    if not table:
        raise GanforgeError(f"{emoji_test} has no emoji lines; give Unicode's emoji-test.txt.")
    table.update({k: v for k, v in PRIVATE_USE.items() if k not in table})
    groups = list(dict.fromkeys(slug(g) for g, _, _ in table.values()))
    subgroups = list(dict.fromkeys(s for _, s, _ in table.values()))
    entries = {key: [groups.index(slug(g)), subgroups.index(s), name] for key, (g, s, name) in table.items()}
    return {"source": f"Unicode emoji-test.txt {version} (Debian unicode-data) + Noto private-use glyphs",
            "groups": groups, "subgroups": subgroups, "emoji": entries}


# ----------------------------------------------------------------------------
# using it


@lru_cache(maxsize=1)
def load_table(path: Path = TABLE_PATH) -> dict:
    """The committed table (read once per process)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GanforgeError(f"The emoji label table {path} is unreadable ({exc.__class__.__name__}); restore it from "
                            "git or regenerate it with `python -m ganforge.data.emoji_table`.") from None


def group_names() -> list[str]:
    """The 9 class names (group slugs) in Unicode's order."""
    return list(load_table()["groups"])


def listed_prefix(codes) -> int:
    """How many leading code points (variation selectors dropped) form a sequence the table lists; 0 if none."""
    emoji = load_table()["emoji"]
    codes = [c for c in codes if c not in VARIATION_SELECTORS]
    return next((end for end in range(len(codes), 0, -1) if sequence_key(codes[:end]) in emoji), 0)


def lookup(codes) -> EmojiLabel | None:
    """Code points (ints) of one emoji -> its label, from the longest prefix the table knows; None if none."""
    table = load_table()
    codes = [c for c in codes if c not in VARIATION_SELECTORS]
    end = listed_prefix(codes)
    if end == 0:
        return None
    group, subgroup, name = table["emoji"][sequence_key(codes[:end])]
    return EmojiLabel(table["groups"][group], table["subgroups"][subgroup], name)


def main(argv: list[str] | None = None) -> int:
    """``python -m ganforge.data.emoji_table [emoji-test.txt] [out.json]``: (re)write the committed table."""
    from ganforge.files import write_text_atomic

    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else EMOJI_TEST
    out = Path(args[1]) if len(args) > 1 else TABLE_PATH
    doc = build_table(source)
    write_text_atomic(out, json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"wrote {out}: {len(doc['emoji'])} emoji in {len(doc['groups'])} groups ({doc['source']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
