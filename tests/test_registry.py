import pytest

from ganforge.errors import GanforgeError
from ganforge.registry import Registry


def test_register_get_and_names():
    reg = Registry("thing")
    reg.register("b")(2)
    reg.register("a")(1)
    assert reg.get("a") == 1 and reg.names() == ["a", "b"] and "b" in reg and len(reg) == 2


def test_duplicate_name_is_refused():
    reg = Registry("thing")
    reg.register("a")(1)
    with pytest.raises(ValueError):
        reg.register("a")(2)


def test_unknown_name_lists_choices_and_suggests():
    reg = Registry("thing")
    reg.register("dcgan")(1)
    reg.register("mlp")(2)
    with pytest.raises(GanforgeError, match=r"Unknown thing 'dcgn'\. Did you mean 'dcgan'\? Choose one of: dcgan, mlp\."):
        reg.get("dcgn")
