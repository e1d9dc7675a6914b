"""What each registered variant declares about itself is what the generic code reads instead of its name.

One test per registry whose entries carry declarations (data sources, toy2d variants, discriminator
conditionings, picture kinds, model kinds): every entry, whatever its name, declares them and
behaves as declared; an entry registered tomorrow is covered with no new test code.
"""

from pathlib import Path

import pytest
import torch

from ganforge.art.provenance import ANIMATIONS, FORMAT, PICTURE_KINDS, regenerate
from ganforge.data import SOURCES
from ganforge.data.registry import source_options, source_trait
from ganforge.data.toy2d import VARIANTS, mode_centres
from ganforge.errors import GanforgeError
from ganforge.model import MODEL_KINDS, _checked_spec, model_kind
from ganforge.nets import ARCHS
from ganforge.nets.conditional import D_CONDITIONING, ConditionalDiscriminator

TRAITS = ("is_image", "path_is_data", "mirror_invariant")


@pytest.mark.parametrize("name", SOURCES.names())
def test_every_source_declares_its_traits(name):
    assert all(isinstance(source_trait(name, trait), bool) for trait in TRAITS)


def test_an_undeclared_loader_has_the_default_traits(monkeypatch):
    monkeypatch.setattr(SOURCES, "_items", dict(SOURCES._items))
    SOURCES.register("bare")(lambda cfg: None)
    defaults = source_options()(lambda cfg: None)
    assert [source_trait("bare", t) for t in TRAITS] == [getattr(defaults, t) for t in TRAITS] == [True, False, False]
    with pytest.raises(GanforgeError, match="Unknown data source 'nope'"):
        source_trait("nope", "is_image")


@pytest.mark.parametrize("name", VARIANTS.names())
def test_every_toy2d_variant_gives_distinct_centres_and_a_spread(name):
    centres, std = mode_centres(name)
    assert centres.dtype == torch.float32 and centres.dim() == 2 and centres.shape[1] == 2 and len(centres) > 1
    assert torch.pdist(centres).min() > 6 * std > 0  # modes 3 std apart on each side: countable


def test_an_unknown_toy2d_variant_lists_the_registered_ones():
    with pytest.raises(GanforgeError, match=f"one of: {', '.join(VARIANTS.names())}"):
        mode_centres("ring9")


@pytest.mark.parametrize("how", D_CONDITIONING.names())
def test_every_discriminator_conditioning_classifies_exactly_when_it_says_so(how):
    classifies = D_CONDITIONING.get(how).classifies
    assert isinstance(classifies, bool)
    d = ConditionalDiscriminator(ARCHS.get("mlp").discriminator, (2,), num_classes=3, mode=how, hidden=[8])
    assert hasattr(d, "classifier") == classifies  # ACGAN's class head, read by D.classify
    if classifies:  # real/fake logits (B,) and class logits (B, K) from one pass
        logits, classes = d.classify(torch.randn(4, 2))
        assert logits.shape == (4,) and classes.shape == (4, 3)


@pytest.mark.parametrize("kind", PICTURE_KINDS.names())
def test_every_picture_kind_names_the_fields_it_is_remade_from(kind):
    spec = PICTURE_KINDS.get(kind)
    assert spec.needed and all(isinstance(f, str) for f in spec.needed) and callable(spec.remake)
    assert (kind in ANIMATIONS) == spec.animation
    with pytest.raises(GanforgeError, match="lacks run, checkpoint, " + ", ".join(spec.needed)):
        regenerate({"ganforge": FORMAT, "kind": kind})  # refused before any model is loaded


@pytest.mark.parametrize("kind", MODEL_KINDS.names())
def test_every_model_kind_says_what_it_is(kind):
    spec = MODEL_KINDS.get(kind)
    assert isinstance(spec.generator, bool) and spec.description
    assert model_kind({"kind": kind}) is spec
    if not spec.generator:  # load_generator's refusal names it and says what to use instead
        assert spec.use and _checked_spec({"generator": {"kind": kind}}, Path("m.json")) == {"kind": kind}


def test_a_description_without_kind_is_a_generator_and_an_unknown_kind_is_refused():
    assert model_kind({}).generator
    with pytest.raises(GanforgeError, match="unknown kind 'hologram'"):
        _checked_spec({"generator": {"kind": "hologram"}}, Path("m.json"))
    with pytest.raises(GanforgeError, match="unknown kind"):
        _checked_spec({"generator": {"kind": ["a list"]}}, Path("m.json"))
