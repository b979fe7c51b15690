"""How the codec words a bad value and a path: `describe_value`, `dotted`, and `Mismatch`.

Nothing here imports cattrs: spec loading, offline observation and error messages use these without
loading the converters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconcile._core.secrets import REDACTED, Secret
from reconcile._files.jsonparse import HugeNumber

__all__ = ["MAX_SHOWN", "Mismatch", "describe_value", "dotted", "type_name"]

#: Characters of a bad value quoted in an error message.
MAX_SHOWN = 60

Path = tuple[str | int, ...]


class Mismatch(TypeError):
    """A value of the wrong type or outside its allowed set; worded later, when the path is known.

    The value is kept so the message can quote it, unless the field turns out to hold a secret.

    Attributes:
        expected: what was expected (`int`, `one of RUNNING, STOPPED`).
        value: the value found.
        message: the whole message, when "expected X, got Y" is not the right wording.
    """

    def __init__(self, expected: str, value: Any, message: str | None = None) -> None:
        self.expected = expected
        self.value = value
        self.message = message
        super().__init__(message or f"expected {expected}")


def describe_value(value: Any) -> str:
    """A short, JSON-like rendering of a bad value for an error message (never a secret's value)."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, HugeNumber):
        return value.problem
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except ValueError:  # an int past Python's digit limit cannot even be printed
            return "a number too long to print"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def type_name(tp: Any) -> str:
    """The JSON name of a Python scalar type (`string`, `int`, `bool`, `number`)."""
    names = {str: "string", int: "int", bool: "bool", float: "number"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def dotted(path: Path) -> str:
    """`("notebooks", "a", "endpoints", 0, "ssh_keys")` -> `notebooks.a.endpoints[0].ssh_keys`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
