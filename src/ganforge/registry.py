"""Name -> object registries.

Every variant (data source, network, loss, recipe, metric) is registered
under a name by a decorator in the file that defines it, and looked up by
name.  This is what keeps the training loop free of if/elif chains on names:
``RECIPES.get(cfg.recipe)`` is the only place a recipe name is resolved.
"""

from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

from ganforge.errors import GanforgeError

T = TypeVar("T")


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring (what ``ganforge list`` prints for a registered name)."""
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


def error_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of ``exc``'s message (its class name when empty), at most ``limit`` characters.

    What a one-line GanforgeError quotes of a lower-level error (torch, safetensors, the OS).
    """
    return (first_line(str(exc)) or exc.__class__.__name__)[:limit]


class Registry(Generic[T]):
    """A named collection of objects of one kind (e.g. ``"loss"``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@LOSSES.register("hinge")`` adds the decorated object."""

        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        """Return the object called ``name``; unknown names get a "did you mean"."""
        try:
            return self._items[name]
        except KeyError:
            raise GanforgeError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"Unknown {self.kind} {name!r}.{hint} Choose one of: {', '.join(self.names())}."

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
