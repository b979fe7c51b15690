"""Leaf hooks: how one JSON value becomes one Python value, or a `Mismatch`.

Plain functions of `(value, type)`, as cattrs calls them; nothing here imports cattrs, so the hooks
can be read (and tested through the converters) without its machinery. Observed mode is strict about
types (`"false"` is not a bool, `"3600000"` is not an int: the official SDK coerces both; we refuse)
and keeps unknown enum values; spec mode adds closed, case-insensitive enums, durations and CIDRs.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable
from typing import Any

from reconcile._codec.wording import MAX_SHOWN, Mismatch, describe_value, type_name
from reconcile._core import normalize
from reconcile._core.enums import OpenIntEnum, OpenStrEnum
from reconcile._core.secrets import Secret

__all__ = [
    "YAML11_BOOLEANS",
    "Hook",
    "cidr",
    "closed_enum",
    "duration",
    "is_open_enum",
    "open_enum",
    "open_enum_members",
    "secret",
    "spec_bool",
    "strict_scalar",
    "tags",
]

Hook = Callable[[Any, Any], Any]

#: Words YAML 1.1 reads as booleans and YAML 1.2 (and JSON-schema-aware editors) as strings.
YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


def strict_scalar(tp: type) -> Hook:
    """A hook that accepts exactly `tp` (bool is not an int; an int is a float)."""
    name = type_name(tp)
    if tp is float:

        def hook_float(v: Any, _: Any) -> Any:
            # JSON has no NaN or infinity (json.loads accepts them, and 1e999 overflows to inf):
            # refusing them here keeps every plan writable as strict JSON.
            if ((type(v) is float) or (type(v) is int)) and math.isfinite(v):
                return float(v)
            raise Mismatch("finite number" if type(v) is float else name, v)

        return hook_float

    def hook(v: Any, _: Any) -> Any:
        if type(v) is tp:
            return v
        raise Mismatch(name, v)

    return hook


def spec_bool(v: Any, _: Any) -> bool:
    """A spec boolean: `true` or `false` only; YAML 1.1's `yes`, `off`, `y` ... are refused by name."""
    if type(v) is bool:
        return v
    if type(v) is str and v.lower() in YAML11_BOOLEANS:
        raise Mismatch("bool", v, f'"{v}" is not a boolean in YAML 1.2; write true or false')
    raise Mismatch("bool", v)


def is_open_enum(tp: Any) -> bool:
    """Whether `tp` is an open enum class (a subclass of `OpenStrEnum` or `OpenIntEnum`)."""
    return isinstance(tp, type) and issubclass(tp, OpenStrEnum | OpenIntEnum)


def open_enum_members(cls: type) -> dict[Any, Any]:
    """The documented members of an open enum, by value."""
    return cls._value2member_map_  # type: ignore[attr-defined,no-any-return]


def open_enum(v: Any, cls: Any) -> Any:
    """Any open enum, whenever its class was defined: known values map to members, others keep their text."""
    base = str if issubclass(cls, OpenStrEnum) else int
    if type(v) is not base:
        raise Mismatch("string" if base is str else "int", v)
    member = open_enum_members(cls).get(v)
    return member if member is not None else cls(v)


def secret(v: Any, _: Any) -> Secret:
    """A string held as a `Secret`."""
    if type(v) is str:
        return Secret(v)
    raise Mismatch("string", v)


def closed_enum(cls: type[enum.Enum]) -> Hook:
    """Spec enums: case-insensitive on input, canonical member out, anything else refused."""
    by_upper = {m.value.upper(): m for m in cls}
    expected = "one of " + ", ".join(m.value for m in cls)

    def hook(v: Any, _: Any) -> Any:
        member = by_upper.get(v.upper()) if type(v) is str else None
        if member is None:
            raise Mismatch(expected, v)
        return member

    return hook


def duration(v: Any, _: Any) -> int:
    """Milliseconds from an int or text such as `2h`, `90m`, `1h30m`."""
    expected = "milliseconds or text like 2h, 90m, 1h30m"
    if type(v) is str and len(v) > MAX_SHOWN:  # the parser's message would quote it all
        raise Mismatch(expected, v, f"invalid duration {describe_value(v)} (expected {expected})")
    if type(v) is str:
        return _duration_text(v)
    if type(v) is int:
        return normalize.parse_duration(v)
    raise Mismatch(expected, v)


#: How many distinct texts the memos below keep (a fleet repeats the same few durations and CIDRs).
_MEMO_SIZE = 4096


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _duration_text(text: str) -> int:
    """`normalize.parse_duration` of a text, remembered (a text that fails is parsed again, to raise)."""
    return normalize.parse_duration(text)


def cidr(v: Any, _: Any) -> str:
    """A canonical CIDR from an address or a network."""
    if type(v) is str:
        return _canonical_cidr(v)
    raise Mismatch("an IP address or CIDR string", v)


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _canonical_cidr(text: str) -> str:
    """`normalize.canonical_cidr`, remembered (a text that fails is parsed again, to raise)."""
    return normalize.canonical_cidr(text)


def tags(v: Any, _: Any) -> tuple[tuple[str, str], ...]:
    """Spec tags: a mapping of text to text, as `(key, value)` pairs sorted by key."""
    if not isinstance(v, dict) or not all(type(k) is str and type(x) is str for k, x in v.items()):
        raise Mismatch("a mapping of tag keys to text values", v)
    return tuple(sorted(v.items()))
