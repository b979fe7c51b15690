"""Hypothesis strategies for valid ModelArts responses, built from the observed model's type hints."""

from __future__ import annotations

import types
import typing
from typing import Any

import attrs
from hypothesis import strategies as st

from reconcile._core import model
from reconcile._core.enums import OpenIntEnum, OpenStrEnum
from reconcile._core.secrets import Secret

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_undocumented = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=12)


def json_for(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy of JSON values that the decoder must accept for type `tp`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(json_for(a) for a in typing.get_args(tp)))
    if tp is type(None):
        return st.none()
    if origin is tuple:
        return st.lists(json_for(typing.get_args(tp)[0]), max_size=3)
    if tp is str or tp is Secret:
        return text
    if tp is int:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if tp is bool:
        return st.booleans()
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if isinstance(tp, type) and issubclass(tp, OpenStrEnum):
        return st.sampled_from([m.value for m in tp]) | _undocumented
    if isinstance(tp, type) and issubclass(tp, OpenIntEnum):
        return st.sampled_from([m.value for m in tp]) | st.integers(min_value=0, max_value=99)
    if attrs.has(tp):
        return object_for(tp)
    raise TypeError(f"no strategy for {tp!r}")


def object_for(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of JSON objects for attrs class `cls`: any subset of its fields."""
    hints = typing.get_type_hints(cls)
    optional = {f.name: json_for(hints[f.name]) for f in attrs.fields(cls)}
    return st.fixed_dictionaries({}, optional=optional)


notebook_json = st.deferred(lambda: object_for(model.Notebook))
