"""`reconcile._files.jsonencode.encoder`: the same text as `json.dumps` with the same flags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reconcile._files.jsonencode import encoder

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)

FLAGS = [
    {"sort_keys": sort, "ensure_ascii": ascii_only, "compact": compact}
    for sort in (True, False)
    for ascii_only in (True, False)
    for compact in (True, False)
]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "-".join(k for k, v in f.items() if v) or "plain")
@given(value=values)
@example(value={"b": [1.5, -0.0, 1e-07], "a": "\u00e9\ud800\u2028"})
def test_the_text_is_json_dumps_with_the_same_flags(flags: dict[str, bool], value: Any) -> None:
    """Every flag combination writes what `json.dumps` writes, or refuses what it refuses (NaN)."""
    separators = (",", ":") if flags["compact"] else (", ", ": ")
    try:
        expected = json.dumps(
            value,
            sort_keys=flags["sort_keys"],
            ensure_ascii=flags["ensure_ascii"],
            separators=separators,
            allow_nan=False,
        )
    except ValueError:
        with pytest.raises(ValueError, match="not JSON compliant"):
            encoder(**flags)(value)
        return
    assert encoder(**flags)(value) == expected


def test_an_object_that_is_not_json_is_refused_by_type() -> None:
    """A value JSON cannot hold raises TypeError naming its type, as `json.dumps` does."""
    with pytest.raises(TypeError, match="set"):
        encoder(sort_keys=True, ensure_ascii=True)({"a": {1}})
