import json

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import emoji, emoji_table, load_dataset
from ganforge.errors import GanforgeError

def test_emoji_shapes_dtype_and_limit(tmp_path):
    data = load_dataset(DataConfig(source="emoji", limit=32, cache_dir=str(tmp_path)))
    assert data.x.shape == (32, 3, 64, 64) and data.x.dtype == torch.uint8 and data.y.shape == (32,)
    assert data.info["method"] == "cbdt"
    again = load_dataset(DataConfig(source="emoji", limit=32, cache_dir=str(tmp_path)))  # from the cache
    assert torch.equal(again.x, data.x)
    assert len(list(tmp_path.glob("emoji-*.safetensors"))) == 1


def test_emoji_count_and_resolution(tmp_path):
    data = load_dataset(DataConfig(source="emoji", resolution=16, cache=False))
    assert data.x.shape[1:] == (3, 16, 16) and 3000 < len(data) < 4500


def test_emoji_background_compositing():
    white = load_dataset(DataConfig(source="emoji", limit=8, resolution=32, cache=False))
    black = load_dataset(DataConfig(source="emoji", limit=8, resolution=32, variant="black", cache=False))
    teal = load_dataset(DataConfig(source="emoji", limit=8, resolution=32, variant="#008080", cache=False))
    corner = (slice(None), slice(None), 0, 0)  # emoji leave the corners transparent
    assert (white.x[corner] == 255).all() and (black.x[corner] == 0).all()
    assert teal.x[0, :, 0, 0].tolist() == [0, 128, 128]
    assert not torch.equal(white.x, black.x)
    centre = (slice(None), slice(None), 16, 16)
    assert (white.x[centre] != black.x[centre]).sum() < white.x[centre].numel()  # opaque pixels agree


def test_missing_font_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(emoji, "FONT_PATHS", (tmp_path / "NotoColorEmoji.ttf",))
    with pytest.raises(GanforgeError, match="apt-get install fonts-noto-color-emoji"):
        load_dataset(DataConfig(source="emoji", cache=False))
    with pytest.raises(GanforgeError, match="does not exist"):
        load_dataset(DataConfig(source="emoji", path=str(tmp_path / "nope.ttf"), cache=False))


def test_bad_background_and_bad_font(tmp_path):
    with pytest.raises(GanforgeError, match="not a colour"):
        emoji.parse_background("blue-ish")
    assert emoji.parse_background("#FF8000") == (255, 128, 0) and emoji.parse_background(None) == (255, 255, 255)
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(GanforgeError, match="not a readable font"):
        load_dataset(DataConfig(source="emoji", path=str(bad), cache=False))


def test_pillow_fallback_renders_single_codepoints():
    from fontTools.ttLib import TTFont

    path = next(p for p in emoji.FONT_PATHS if p.is_file())
    glyphs = emoji._pillow_glyphs(path, TTFont(str(path), lazy=True))
    assert 1000 < len(glyphs) < 2000 and all(g.getbbox() for _, g in glyphs[:20])
    assert all(len(codes) == 1 for codes, _ in glyphs)  # one code point each, the key of its label


# ---------------------------------------------------------------------------- labels (Unicode groups)

GROUPS = ["smileys-emotion", "people-body", "animals-nature", "food-drink", "travel-places", "activities",
          "objects", "symbols", "flags"]


def test_table_has_the_nine_groups_and_no_components():
    assert emoji_table.group_names() == GROUPS
    assert emoji_table.lookup([0x1F3FB]) is None  # a skin-tone swatch is a Unicode component, not a class
    assert emoji_table.lookup([0x41]) is None  # "A" is no emoji


@pytest.mark.parametrize("codes, group, subgroup", [
    ([0x1F600], "smileys-emotion", "face-smiling"),  # grinning face
    ([0x1F355], "food-drink", "food-prepared"),  # pizza
    ([0x2764, 0xFE0F], "smileys-emotion", "heart"),  # variation selectors are ignored
    ([0x1F468, 0x200D, 0x1F373], "people-body", "person-role"),  # man cook (ZWJ sequence)
    ([0x1F1EF, 0x1F1F5], "flags", "country-flag"),  # JP: regional-indicator pair
    ([0x1F426, 0x200D, 0x1F525], "animals-nature", "animal-bird"),  # phoenix (Unicode 15.1): longest known prefix
    ([0x1F3C3, 0x200D, 0x2640, 0x200D, 0x27A1], "people-body", "person-activity"),  # woman running facing right
    ([0xFE4E5], "flags", "country-flag"),  # Noto's private-use flag of Japan
    ([0xFE82E], "symbols", "keycap"),  # Noto's private-use keycap 1
])
def test_lookup_known_sequences(codes, group, subgroup):
    label = emoji_table.lookup(codes)
    assert (label.group, label.subgroup) == (group, subgroup)


EMOJI_TEST_SNIPPET = """\
# Version: 99.0
# group: Smileys & Emotion

# subgroup: face-smiling
1F600                                                  ; fully-qualified     # 😀 E1.0 grinning face

# group: Component

# subgroup: skin-tone
1F3FB                                                  ; component           # 🏻 E1.0 light skin tone

# group: Food & Drink

# subgroup: food-fruit
1F347                                                  ; fully-qualified     # 🍇 E0.6 grapes
263A FE0F                                              ; fully-qualified     # ☺️ E0.6 not really fruit
263A                                                   ; unqualified         # ☺ E0.6 not really fruit
"""


def test_build_table_from_emoji_test(tmp_path):
    source = tmp_path / "emoji-test.txt"
    source.write_text(EMOJI_TEST_SNIPPET, encoding="utf-8")
    out = tmp_path / "groups.json"
    assert emoji_table.main([str(source), str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["groups"] == ["smileys-emotion", "food-drink", "flags", "symbols"]  # + the private-use glyphs' groups
    assert "99.0" in doc["source"] and "1F3FB" not in doc["emoji"]
    assert doc["emoji"]["263A"] == [1, doc["subgroups"].index("food-fruit"), "not really fruit"]
    with pytest.raises(GanforgeError, match="apt-get install unicode-data"):
        emoji_table.build_table(tmp_path / "missing.txt")


def test_committed_table_is_what_the_script_makes_from_emoji_test():
    assert emoji_table.build_table(emoji_table.EMOJI_TEST) == emoji_table.load_table()


def test_labels_cover_every_glyph_and_are_stable(tmp_path):
    first = load_dataset(DataConfig(source="emoji", resolution=16, cache=False))
    again = load_dataset(DataConfig(source="emoji", resolution=16, cache_dir=str(tmp_path)))
    cached = load_dataset(DataConfig(source="emoji", resolution=16, cache_dir=str(tmp_path)))
    assert first.class_names == GROUPS and first.num_classes == 9
    assert first.y.shape == (len(first),) and "notices" not in first.info  # every glyph has a group
    assert torch.equal(first.y, again.y) and torch.equal(first.y, cached.y) and cached.class_names == GROUPS
    counts = torch.bincount(first.y, minlength=9)
    assert (counts > 50).all()  # every group is well represented
    assert sum(sum(s.values()) for s in first.info["subgroups"].values()) == len(first)
    labels = emoji.emoji_labels()
    assert [GROUPS.index(label.group) for label in labels] == first.y.tolist()


def test_ligatures_read_forwards():
    from fontTools.ttLib import TTFont

    path = next(p for p in emoji.FONT_PATHS if p.is_file())
    sequences = emoji.glyph_sequences(TTFont(str(path), lazy=True))
    # Noto also lists each ZWJ ligature reversed (for right-to-left text); a gender sign or arrow never leads.
    assert not [codes for codes in sequences.values() if len(codes) > 1 and codes[0] in emoji.ZWJ_TAILS]
    names = {label.name for label in emoji.emoji_labels()}
    assert {"grinning face", "pizza", "flag: Canada", "flag: England", "woman running"} <= names


def test_conditional_emoji_by_group_samples_by_name(tmp_path):
    import ganforge
    from ganforge.presets import load_config
    from ganforge.training.trainer import Trainer

    cfg = load_config("emoji-dcgan", [
        "recipe={name: projection}", "data.resolution=32", "data.limit=64", "model.z_dim=8",
        "model.g={width: 4, norm: batch}",
        "model.d={width: 4}", "train.batch_size=8", "train.steps=2", "train.grid_size=9", "train.sample_every=2",
        "train.checkpoint_every=2", "train.progress=false", "train.device=cpu", "train.precision=fp32",
        f"data.cache_dir={tmp_path / 'cache'}"], name="emoji-by-group")
    cfg.out_dir = str(tmp_path / "runs")
    run = Trainer(cfg).fit()
    model = ganforge.load(run)
    assert model.class_names == GROUPS
    assert model.sample(3, seed=0, labels="food-drink").shape == (3, 3, 32, 32)
    with pytest.raises(GanforgeError, match="valid classes: smileys-emotion"):
        model.sample(1, labels="food")
    from ganforge.studio.service import Studio  # the studio's class picker lists the groups and takes their names

    studio = Studio(run.parent)
    try:
        assert studio.run_info(run.name)["class_names"] == GROUPS
        assert studio.generate(run.name, n=2, label="food-drink").is_file()
    finally:
        studio.close()
