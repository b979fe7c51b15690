"""Worded JSON parsing (`reconcile._files.jsonparse`): every failure one line, long numbers kept as markers."""

from __future__ import annotations

import pytest

from reconcile._files import HugeNumber, HugeNumberDict, JsonProblem, find_huge_number, parse_json
from reconcile._files.jsonparse import INT_DIGITS_LIMIT, huge_int, mark_huge_ints


def test_valid_json_parses_as_json_loads() -> None:
    """Ordinary JSON comes back as `json.loads` gives it, from bytes or text."""
    assert parse_json(b'{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
    assert type(parse_json('{"a": 1}')) is dict


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a": ', "invalid JSON at line 1 column 7: Expecting value"),
        (b'{"a": "\xff"}', "not UTF-8 text (byte at offset 7)"),
        (b"[" * 200_000 + b"]" * 200_000, "JSON nested too deeply"),
    ],
)
def test_failures_are_worded(data: bytes, reason: str) -> None:
    """Syntax errors, bad bytes and deep nesting each become a `JsonProblem` with a one-line reason."""
    with pytest.raises(JsonProblem) as info:
        parse_json(data)
    assert info.value.reason == reason


def test_number_past_the_digit_limit_becomes_a_marker() -> None:
    """An integer of 5,000 digits is kept as a marker, its enclosing objects flagged, the rest intact."""
    data = parse_json('{"ok": {"n": 1}, "bad": [0, {"n": ' + "7" * 5000 + "}]}")
    assert isinstance(data, HugeNumberDict) and type(data["ok"]) is dict
    assert data["bad"][1]["n"] == HugeNumber(5000)
    assert find_huge_number(data) == ("bad", 1, "n")
    assert "5000 digits" in data["bad"][1]["n"].problem


@pytest.mark.parametrize("digits", [INT_DIGITS_LIMIT + 1, INT_DIGITS_LIMIT + 2, 6021])
def test_an_int_read_in_another_base_is_marked_by_its_decimal_digits(digits: int) -> None:
    """An int past the limit (as `0x...` arrives) becomes a marker counting its decimal digits exactly."""
    for value in (10 ** (digits - 1), 10**digits - 1, -(10**digits - 1)):
        assert huge_int(value) == HugeNumber(digits)


def test_an_int_str_can_print_is_left_alone() -> None:
    """The largest integer `str()` writes is no marker, and plain data keeps its shape and values."""
    assert huge_int(10**INT_DIGITS_LIMIT - 1) is None and huge_int(0) is None
    data = {"a": [1, True, 16**5000], "b": {"c": "x", "d": 2.5}}
    assert mark_huge_ints(data) == {"a": [1, True, HugeNumber(6021)], "b": {"c": "x", "d": 2.5}}
