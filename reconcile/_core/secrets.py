"""`Secret`: a string that never shows itself.

The notebook `token`, the AK/SK, the security token and the X-Auth-Token are held as `Secret`s, so a
repr, a log line, an f-string or an exception message that happens to include one prints
`<redacted>` instead of the value. The value is read only through `reveal()`, where it is needed
(signing a request, sending a header).
"""

from __future__ import annotations

from typing import Any, Final, Self

__all__ = ["REDACTED", "Secret"]

#: What a secret prints as, everywhere.
REDACTED: Final = "<redacted>"


class Secret:
    """A secret string: redacted in `repr`, `str` and `format`; equal to another Secret of the same value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret holds a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret value itself; call only where the value must leave this object."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str:  # pickling would write the value to disk or a pipe
        raise TypeError("a Secret cannot be pickled")

    # `copy` falls back on `__reduce__`, which refuses; a Secret is immutable, so a copy is itself.
    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self
