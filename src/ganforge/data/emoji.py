"""Colour emoji rendered from the Noto Color Emoji font (Debian ``fonts-noto-color-emoji``).

``NotoColorEmoji.ttf`` is a CBDT bitmap font: every glyph, including the
multi-codepoint sequences (skin tones, ZWJ families and jobs, flags, keycaps),
is stored as one 136x128 PNG in the font's ``CBDT`` table.  We read those PNGs
directly with fontTools (a dependency of matplotlib), which gives every colour
glyph the font has (3,926 in Debian 12's 2.042 font), not just the ~1,400
single codepoints a cmap walk reaches.  Unicode *components* that are not
emoji on their own are dropped: bare digits / ``#`` / ``*``, the combining
keycap, regional-indicator letters, skin-tone swatches and hair-style
placeholders (3,878 images remain from Debian 12's font).

A colour font without a ``CBDT`` table (e.g. a COLRv1 build) falls back to
rendering each single codepoint of its cmap with Pillow (``embedded_color``),
keeping the glyphs that draw something.

Each glyph is composited at full size on the background colour
``data.variant`` -- ``white`` (default), ``black`` or ``#rrggbb`` -- padded to
a square and resized to ``data.resolution`` (default 64, antialiased).  The
font file is ``data.path`` if given, else the Debian path below; it and the
label table are inputs of the cache key, so a font upgrade re-renders.

Labels: each glyph's code point sequence (from the font's cmap, and its GSUB
ligatures for multi-codepoint emoji) is looked up in the committed Unicode
table (``emoji_table.py``): ``y`` is the emoji *group*, 9 classes named
``smileys-emotion`` ... ``flags``.  The per-glyph subgroup and name are
:func:`emoji_labels`; ``info["subgroups"]`` counts glyphs per subgroup.  A
glyph the table cannot place (none in Debian 12's font) is dropped and
counted in a notice.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ganforge.config import DataConfig
from ganforge.data import emoji_table
from ganforge.data.base import Dataset
from ganforge.data.registry import SOURCES, source_options
from ganforge.errors import GanforgeError

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),  # Debian / Ubuntu
    Path("/usr/share/fonts/noto-color-emoji/NotoColorEmoji.ttf"),  # some other distributions
    Path("/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf"),  # Fedora
)
DEFAULT_RESOLUTION = 64
DEFAULT_BACKGROUND = "white"
NAMED_BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0)}
BITMAP_SIZE = 109  # the one pixel size of Noto's CBDT strike; Pillow refuses others
# Codepoints that are emoji *components*, not pictures of their own.
COMPONENTS = (set(range(0x30, 0x3A)) | {0x23, 0x2A, 0x20E3}
              | set(range(0x1F1E6, 0x1F200))  # regional indicator letters (flags are pairs)
              | set(range(0x1F3FB, 0x1F400))  # skin-tone modifier swatches
              | set(range(0x1F9B0, 0x1F9B4)))  # hair-style components
# Code points that only ever end a ZWJ sequence (gender signs, "facing right",
# head-shaking arrows): a ligature starting with one is Noto's reversed copy.
ZWJ_TAILS = frozenset({0x2640, 0x2642, 0x27A1, 0x2194, 0x2195})
# Single-codepoint candidates for the Pillow fallback (fonts without CBDT).
EMOJI_RANGES = ((0x00A9, 0x00AE), (0x203C, 0x3299), (0x1F000, 0x1FAFF))
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


def font_path(cfg: DataConfig) -> Path:
    """The emoji font file: ``data.path`` if given, else the first system path that exists."""
    if cfg.path:
        path = Path(cfg.path).expanduser()
        if not path.is_file():
            raise GanforgeError(f"Emoji font {path} does not exist; give NotoColorEmoji.ttf with --set data.path=FILE, "
                                "or install it with `sudo apt-get install fonts-noto-color-emoji`.")
        return path
    for path in FONT_PATHS:
        if path.is_file():
            return path
    raise GanforgeError(f"The emoji source renders the Noto Color Emoji font, which is not installed "
                        f"(looked for {FONT_PATHS[0]}); install it with `sudo apt-get install fonts-noto-color-emoji`, "
                        "or give the .ttf file with --set data.path=/path/to/NotoColorEmoji.ttf.")


def parse_background(variant: str | None) -> tuple[int, int, int]:
    """``data.variant`` -> RGB: "white" (default), "black" or "#rrggbb"."""
    text = (variant or DEFAULT_BACKGROUND).strip().lower()
    if text in NAMED_BACKGROUNDS:
        return NAMED_BACKGROUNDS[text]
    match = _HEX_COLOUR.fullmatch(text)
    if not match:
        raise GanforgeError(f"Emoji background data.variant={variant!r} is not a colour; "
                            "use white, black or a hex colour like '#202830'.")
    value = match.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _inputs(cfg: DataConfig) -> list[Path]:
    return [font_path(cfg), emoji_table.TABLE_PATH]


@SOURCES.register("emoji")
@source_options(splits=("train", "all"), inputs=_inputs)
def load_emoji(cfg: DataConfig) -> Dataset:
    """~3,900 colour emoji (apt fonts-noto-color-emoji), labelled by Unicode group; data.variant = background colour."""
    path = font_path(cfg)
    background = parse_background(cfg.variant)
    size = cfg.resolution or DEFAULT_RESOLUTION
    glyphs, method = read_glyphs(path)
    labels = [emoji_table.lookup(codes) for codes, _ in glyphs]
    kept = [(image, label) for (_, image), label in zip(glyphs, labels) if label is not None]
    classes = emoji_table.group_names()
    images = np.stack([compose(image, background, size) for image, _ in kept])
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()  # (N, H, W, 3) -> (N, 3, H, W)
    y = torch.tensor([classes.index(label.group) for _, label in kept], dtype=torch.int64)
    info = {"font": str(path), "method": method, "background": "#%02x%02x%02x" % background,
            "subgroups": _subgroup_counts([label for _, label in kept])}
    if len(kept) < len(glyphs):
        info["notices"] = [f"emoji: {len(glyphs) - len(kept)} glyphs of {path.name} have no Unicode group in the "
                           "label table and were left out; regenerate it with `python -m ganforge.data.emoji_table`."]
    return Dataset(x=x, y=y, class_names=classes, info=info)


def emoji_labels(cfg: DataConfig | None = None) -> list[emoji_table.EmojiLabel]:
    """The label (group, subgroup, name) of every image the source yields, in its order (before ``data.limit``)."""
    glyphs, _ = read_glyphs(font_path(cfg or DataConfig(source="emoji")))
    return [label for label in (emoji_table.lookup(codes) for codes, _ in glyphs) if label is not None]


def _subgroup_counts(labels: list[emoji_table.EmojiLabel]) -> dict[str, dict[str, int]]:
    """{group: {subgroup: number of glyphs}}: the subgroup metadata kept with the data set."""
    counts: dict[str, dict[str, int]] = {}
    for label in labels:
        group = counts.setdefault(label.group, {})
        group[label.subgroup] = group.get(label.subgroup, 0) + 1
    return counts


def read_glyphs(path: Path) -> tuple[list[tuple[tuple[int, ...], Image.Image]], str]:
    """Every emoji glyph of the font as (code points, RGBA image), and how it was read ("cbdt" or "pillow")."""
    try:
        from fontTools.ttLib import TTFont, TTLibError
    except ImportError:  # fontTools comes with matplotlib; only a broken install lacks it
        raise GanforgeError("The emoji source needs fontTools to read the font; install it with `pip install fonttools`.") from None
    try:
        font = TTFont(str(path), lazy=True)
        has_cbdt = "CBDT" in font
    except (TTLibError, OSError, AssertionError) as exc:
        raise GanforgeError(f"{path} is not a readable font file ({exc.__class__.__name__}); "
                            "reinstall it with `sudo apt-get install --reinstall fonts-noto-color-emoji`.") from None
    glyphs = _cbdt_glyphs(font) if has_cbdt else _pillow_glyphs(path, font)
    if not glyphs:
        raise GanforgeError(f"{path} has no colour emoji glyphs; give the Noto Color Emoji font "
                            "(`sudo apt-get install fonts-noto-color-emoji`).")
    return glyphs, "cbdt" if has_cbdt else "pillow"


def _cbdt_glyphs(font) -> list[tuple[tuple[int, ...], Image.Image]]:
    """(code points, PNG) of every glyph in the font's largest CBDT strike, components dropped, in glyph order."""
    skip = {name for code, name in font.getBestCmap().items() if code in COMPONENTS}
    sequences = glyph_sequences(font)
    strikes = font["CBDT"].strikeData
    strike = max(strikes, key=len)
    order = {name: i for i, name in enumerate(font.getGlyphOrder())}
    glyphs = []
    for name in sorted(strike, key=lambda n: order.get(n, 1 << 30)):
        if name in skip:
            continue
        data = getattr(strike[name], "imageData", None)
        if not data:  # formats other than 17/18/19 hold raw bitmaps, not PNGs; Noto has none
            continue
        with Image.open(io.BytesIO(data)) as img:
            glyphs.append((sequences.get(name, ()), img.convert("RGBA")))
    return glyphs


def glyph_sequences(font) -> dict[str, tuple[int, ...]]:
    """Glyph name -> the code points that draw it: the cmap for single ones, GSUB ligatures for sequences.

    Noto lists ZWJ ligatures twice, forwards and reversed (for right-to-left
    text); :func:`_orientation_score` picks the forward one.
    """
    sequences = {name: (code,) for code, name in sorted(font.getBestCmap().items())}
    ligatures: dict[str, list[list[str]]] = {}
    if "GSUB" in font:
        for lookup in font["GSUB"].table.LookupList.Lookup:
            for sub in lookup.SubTable if lookup.LookupType == 4 else ():
                for first, ligs in sub.ligatures.items():
                    for lig in ligs:
                        ligatures.setdefault(lig.LigGlyph, []).append([first, *lig.Component])

    def resolve(name: str, depth: int = 0) -> tuple[int, ...] | None:
        if name in sequences:
            return sequences[name]
        if depth > 8 or name not in ligatures:  # ligatures of ligatures are shallow; guard against cycles
            return None
        options = [codes for parts in ligatures[name]
                   if None not in (codes := [resolve(p, depth + 1) for p in parts])]
        options = [tuple(c for part in codes for c in part) for codes in options]
        return max(options, key=_orientation_score, default=None)

    for name in ligatures:
        codes = resolve(name)
        if codes is not None:
            sequences[name] = codes
    return sequences


def _orientation_score(codes: tuple[int, ...]) -> tuple[int, bool]:
    """Rank a ligature's component order: the longer prefix the label table lists, then
    not starting with a ZWJ tail (gender sign, arrow), which Unicode only ever puts last."""
    return emoji_table.listed_prefix(codes), codes[0] not in ZWJ_TAILS


def _pillow_glyphs(path: Path, font) -> list[tuple[tuple[int, ...], Image.Image]]:
    """Fallback: each single emoji codepoint of the cmap drawn by Pillow; empty drawings dropped."""
    codes = sorted(c for c in font.getBestCmap() if c not in COMPONENTS and any(a <= c <= b for a, b in EMOJI_RANGES))
    try:
        pil_font = ImageFont.truetype(str(path), BITMAP_SIZE)
    except OSError:
        pil_font = ImageFont.truetype(str(path), 128)  # scalable colour fonts (COLR) take any size
    images = []
    for code in codes:
        img = Image.new("RGBA", (136, 136), (0, 0, 0, 0))  # the size of Noto's bitmaps
        ImageDraw.Draw(img).text((68, 68), chr(code), font=pil_font, embedded_color=True, anchor="mm")
        box = img.getbbox()
        if box is not None:
            images.append(((code,), img))
    return images


def compose(glyph: Image.Image, background: tuple[int, int, int], size: int) -> np.ndarray:
    """RGBA glyph -> uint8 (size, size, 3): on ``background``, centred in a square, resized.

    Compositing before resizing keeps the edge pixels free of a dark or light
    fringe that resizing straight alpha would leave.
    """
    side = max(glyph.size)
    canvas = Image.new("RGBA", (side, side), (*background, 255))
    canvas.alpha_composite(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    image = canvas.convert("RGB")
    if side != size:
        image = image.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return np.asarray(image, dtype=np.uint8)
