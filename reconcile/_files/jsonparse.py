"""Parsing JSON with every failure worded, and numbers too long for Python kept, not raised.

`json.loads` fails five ways: bad syntax (`JSONDecodeError`), bytes that are not UTF-8, nesting
deep enough to exhaust the stack (`RecursionError`), and an integer of more than 4,300 digits
(Python's int-conversion limit, a bare `ValueError`). `parse_json` turns the first three into a
`JsonProblem` with a one-line reason. For the fourth it parses again (only then: the common path is
`json.loads` itself) with each over-long integer replaced by a `HugeNumber` marker, and every object
holding one at any depth built as a `HugeNumberDict`: one bad number then costs only the notebook or
the spec field it sits in (the decoder refuses a body that is a `HugeNumberDict`; spec validation
reports the field), never the whole file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "INT_DIGITS_LIMIT",
    "HugeNumber",
    "HugeNumberDict",
    "JsonProblem",
    "decoder",
    "find_huge_number",
    "huge_int",
    "is_digit_limit",
    "mark_huge_ints",
    "parse_json",
]

#: Python's limit on the digits of an integer read from text (`sys.get_int_max_str_digits()`).
INT_DIGITS_LIMIT: int = sys.get_int_max_str_digits() or 4300


class HugeNumber:
    """Stands for a number too long to convert; keeps only how many digits it had."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number with {self.digits} digits"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HugeNumber) and other.digits == self.digits

    def __hash__(self) -> int:
        return hash((HugeNumber, self.digits))

    @property
    def problem(self) -> str:
        """The one-line reason, for an error message."""
        return f"a number with {self.digits} digits (more than the {INT_DIGITS_LIMIT} digits Python converts)"


#: The smallest magnitude `str()` refuses: an integer of more than `INT_DIGITS_LIMIT` decimal digits.
_TOO_BIG: int = 10**INT_DIGITS_LIMIT


def huge_int(value: int) -> HugeNumber | None:
    """The marker of an integer too long to print in decimal, or None when `str()` can write it.

    A parser that reads hexadecimal, octal or binary (YAML `0x...`, TOML `0o...`) is not held to
    Python's digit limit, so such a literal arrives as an `int` that only fails when a message
    prints it; this is the check for those.
    """
    if -_TOO_BIG < value < _TOO_BIG:
        return None
    magnitude = abs(value)
    digits = int(magnitude.bit_length() * 0.30102999566398120)  # log10(2): at most one short
    while magnitude >= 10**digits:
        digits += 1
    return HugeNumber(digits)


def mark_huge_ints(value: Any) -> Any:
    """`value` (plain data) with every integer too long to print replaced by its `HugeNumber`."""
    if type(value) is int:
        return huge_int(value) or value
    if isinstance(value, dict):
        return {key: mark_huge_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mark_huge_ints(item) for item in value]
    return value


class HugeNumberDict(dict[str, Any]):
    """A JSON object that holds a `HugeNumber` somewhere inside it."""


class JsonProblem(ValueError):
    """Text that is not JSON; `str()` is the reason, one line, without a file name.

    Attributes:
        reason: what is wrong (`invalid JSON at line 3 column 7: Expecting ','`).
        line: the 1-based line, when known.
    """

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(reason)


def is_digit_limit(exc: ValueError) -> bool:
    """Whether `exc` is Python's refusal to convert an integer of too many digits."""
    return "digits" in str(exc) and not isinstance(exc, json.JSONDecodeError)


def _huge_int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return HugeNumber(len(text.lstrip("-")))


def _holds_huge(value: Any) -> bool:
    if isinstance(value, HugeNumber | HugeNumberDict):
        return True
    if type(value) is list:
        return any(_holds_huge(v) for v in value)
    return False


def _marking(pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None) -> Callable[..., Any]:
    def hook(pairs: list[tuple[str, Any]]) -> Any:
        obj = pairs_hook(pairs) if pairs_hook is not None else dict(pairs)
        if type(obj) is dict and any(_holds_huge(v) for _, v in pairs):
            return HugeNumberDict(obj)
        return obj

    return hook


def decoder(
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None, *, mark_huge: bool = False
) -> json.JSONDecoder:
    """A decoder as `parse_json` uses: plain, or (`mark_huge`) keeping over-long integers as markers."""
    if not mark_huge:
        return json.JSONDecoder(object_pairs_hook=object_pairs_hook)
    return json.JSONDecoder(object_pairs_hook=_marking(object_pairs_hook), parse_int=_huge_int)


def parse_json(
    data: bytes | str, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> Any:
    """The value of a JSON text; an over-long integer becomes a `HugeNumber` (see the module).

    Args:
        data: the text, or its UTF-8 bytes.
        object_pairs_hook: as for `json.loads` (to refuse duplicate keys, say); a `ValueError` it
            raises becomes a `JsonProblem` with the same message.

    Raises:
        JsonProblem: not UTF-8, not JSON, or nested too deeply.
    """
    try:
        try:
            return json.loads(data, object_pairs_hook=object_pairs_hook)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            if not is_digit_limit(exc):
                raise
        return json.loads(data, object_pairs_hook=_marking(object_pairs_hook), parse_int=_huge_int)
    except json.JSONDecodeError as exc:
        raise JsonProblem(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", exc.lineno
        ) from None
    except UnicodeDecodeError as exc:
        raise JsonProblem(f"not UTF-8 text (byte at offset {exc.start})") from None
    except RecursionError:
        raise JsonProblem("JSON nested too deeply") from None
    except ValueError as exc:
        raise JsonProblem(f"invalid JSON: {exc}") from None


def find_huge_number(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first `HugeNumber` inside `value`, in document order, or None."""
    if isinstance(value, HugeNumber):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = find_huge_number(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = find_huge_number(item, (*path, i))
            if found is not None:
                return found
    return None
