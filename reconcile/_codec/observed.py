"""Decoding API bodies into the observed model, and plain JSON values back out.

Observed mode is lenient about *shape* (unknown fields are ignored, every field may be null or
absent, unknown enum values are kept) and strict about *types*. The converters are built on the
first call (`reconcile._codec.converters`), so importing this module, or the package, loads no
cattrs.

Errors: every failure is a `DecodeError` naming each bad field; a value that holds the notebook's
own `token` (as sent or encoded) is printed as `<redacted>`; a number too long for Python anywhere in
the body is a `DecodeError` for that body alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from reconcile._codec.errors import Issue
from reconcile._codec.wording import describe_value
from reconcile._core import model
from reconcile._core.errors import DecodeError, FieldProblem
from reconcile._core.secrets import Scrubber, echoed_in_strings
from reconcile._files.jsonparse import HugeNumberDict, JsonProblem, find_huge_number, parse_json

__all__ = [
    "before_of",
    "decode_for_plan",
    "decode_notebook",
    "decode_notebook_list",
    "echo_of",
    "unstructure",
]

T = TypeVar("T")


class _Bound:
    """The fast converter's methods, looked up once on first use (a call then costs one attribute)."""

    structure: Callable[[Any, Any], Any] | None = None
    unstructure: Callable[[Any], Any] | None = None
    notebook: Callable[[dict[str, Any]], model.Notebook] | None = None
    planned: Callable[[dict[str, Any]], tuple[model.Notebook, dict[str, Any], list[str]]] | None = None

    @classmethod
    def load(cls) -> None:
        from reconcile._codec.converters import observed_fast

        cls.structure, cls.unstructure = observed_fast().structure, observed_fast().unstructure


def _structure_fast() -> Callable[[Any, Any], Any]:
    if _Bound.structure is None:
        _Bound.load()
    assert _Bound.structure is not None
    return _Bound.structure


#: Where a decoded notebook keeps its JSON (`before_of`) and whether that JSON echoes its token
#: (`echo_of`): entries of the instance's `__dict__` that no attrs method reads (fields are read by
#: name), so equality, hashing and the repr ignore them.
_BEFORE = "_reconcile_json"
_ECHOED = "_reconcile_echoed"


_json_loads = json.loads


def _one_pass(data: Any, *, with_json: bool) -> model.Notebook | None:
    """The common case in one pass: a valid body, as text or a dict; None for anything else (bad
    JSON, a long number, a field the one-pass decoder refuses), which then goes the way that words
    every problem."""
    try:
        raw = _json_loads(data) if type(data) is bytes or type(data) is str else data
        if type(raw) is not dict:
            return None
        if not with_json:
            return (_Bound.notebook or _load_one_pass(with_json=False))(raw)
        notebook, before, strings = (_Bound.planned or _load_one_pass(with_json=True))(raw)
        # Whether the JSON echoes the token, from the strings the pass gathered (None: it cannot
        # tell, and `echoed` of the JSON decides when asked).
        echoed = echoed_in_strings(notebook.token, strings, _KEY_BYTES) if notebook.token else False
    except Exception:
        return None
    found = notebook.__dict__
    found[_BEFORE] = before  # kept with the notebook for `before_of`
    if echoed is not None:
        found[_ECHOED] = echoed
    return notebook


def _load_one_pass(*, with_json: bool) -> Callable[[dict[str, Any]], Any]:
    """The one-pass decoder of a notebook, with its JSON or without (each generated on first use)."""
    from reconcile._codec import compiled

    if with_json:
        _Bound.planned = compiled.notebook_decoder()
        return _Bound.planned
    _Bound.notebook = compiled.notebook_only_decoder()
    return _Bound.notebook


def _parse(data: bytes | str | Mapping[str, Any], source: str | None) -> Any:
    if type(data) is dict or isinstance(data, Mapping):
        return data
    try:
        return parse_json(data)
    except JsonProblem as exc:
        reason = "body is not UTF-8 text" if exc.reason.startswith("not UTF-8") else exc.reason
        raise DecodeError([FieldProblem("", reason)], source) from None


def _scrubber(raw: Mapping[str, Any]) -> Scrubber:
    """Redacts the body's own secrets (`token`, as a string or strings in a list) from messages."""
    values: list[str] = []
    for field in model.SECRET_FIELDS:
        value = raw.get(field)
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, list):
            values.extend(v for v in value if isinstance(v, str))
    return Scrubber.of(*values)


def _decode(data: bytes | str | Mapping[str, Any], cls: type[T], source: str | None) -> T:
    raw = _parse(data, source)
    if type(raw) is not dict:
        if isinstance(raw, HugeNumberDict):
            where = find_huge_number(raw) or ()
            problem = Issue(where, describe_value(_at(raw, where))).problem()
            raise DecodeError([FieldProblem(problem.path, _scrubber(raw).text(problem.message))], source)
        if not isinstance(raw, Mapping):
            raise DecodeError([FieldProblem("", f"expected an object, got {describe_value(raw)}")], source)
    try:
        return _structure_fast()(raw, cls)  # type: ignore[no-any-return]
    except Exception:
        pass
    from reconcile._codec.converters import observed_detailed
    from reconcile._codec.translate import issues

    try:
        value: T = observed_detailed().structure(raw, cls)
    except Exception as exc:
        found = issues(exc, _scrubber(raw))
        raise DecodeError([i.problem() for i in found], source) from None
    return value  # pragma: no cover (the fast pass fails exactly when the detailed one does)


def _at(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def decode_notebook(data: bytes | str | Mapping[str, Any], source: str | None = None) -> model.Notebook:
    """Decode a `GET /v1/{project_id}/notebooks/{id}` response body.

    Args:
        data: the raw body (bytes or str) or an already-parsed mapping (`parse_json`'s output keeps
            over-long numbers as markers, which fail here, for this body only).
        source: where the body came from, for error messages.

    Raises:
        DecodeError: the body is not JSON, or a field has the wrong type; lists every bad field.
    """
    return _one_pass(data, with_json=False) or _decode(data, model.Notebook, source)


def decode_for_plan(data: bytes | str | Mapping[str, Any], source: str | None = None) -> model.Notebook:
    """`decode_notebook`, keeping the notebook's JSON beside it for `before_of` (what a plan's
    `before` is): one pass builds both, where a plan would otherwise unstructure the notebook again.

    The JSON lives as long as the notebook: a plan keeps it anyway (its `before`); a caller that
    only reads notebooks should use `decode_notebook`, which keeps none.
    """
    return _one_pass(data, with_json=True) or _decode(data, model.Notebook, source)


def decode_notebook_list(
    data: bytes | str | Mapping[str, Any], source: str | None = None
) -> model.NotebookList:
    """Decode a `GET /v1/{project_id}/notebooks` list body: `{current, data, pages, size, total}`."""
    return _decode(data, model.NotebookList, source)


def unstructure(obj: Any, *, reveal_secrets: bool = False) -> Any:
    """Turn a model instance into plain JSON values, leaving out absent (None) fields.

    Secrets are left out unless `reveal_secrets` is set (tests and round trips only).
    """
    if _Bound.unstructure is None:
        _Bound.load()
    assert _Bound.unstructure is not None
    data = _Bound.unstructure(obj)
    if not reveal_secrets and isinstance(data, dict):
        # Secrets are top-level fields of the notebook only (tests/test_codec.py checks the model).
        for key in model.SECRET_FIELDS & data.keys():
            del data[key]
    return data


def before_of(notebook: model.Notebook) -> dict[str, Any]:
    """`unstructure(notebook)`, made once: the JSON the decoder wrote beside the notebook.

    A notebook that `decode_for_plan` made carries it (one pass built both); any other (from
    `decode_notebook`, built by hand, `attrs.evolve`d, decoded by the converters after the fast pass
    refused it) is unstructured now. The dict is shared, not copied: callers must not modify it (a plan's
    `before` is never modified once built).
    """
    before = notebook.__dict__.get(_BEFORE) if hasattr(notebook, "__dict__") else None
    return before if before is not None else unstructure(notebook)  # type: ignore[no-any-return]


def echo_of(notebook: model.Notebook) -> bool | None:
    """Whether the notebook's JSON (`before_of`) holds its token, in any encoded form, in any string,
    as `decode_for_plan` found from the strings its pass gathered; None when it was not decoded so
    (or could not tell), and `secrets.echoed(token, before_of(notebook))` must decide."""
    found: bool | None = notebook.__dict__.get(_ECHOED) if hasattr(notebook, "__dict__") else None
    return found


def _key_bytes() -> bytes:
    """Every byte of every field name of the observed model: the keys a plan's JSON can hold."""
    import attrs

    names: set[str] = set()
    for cls in vars(model).values():
        if isinstance(cls, type) and attrs.has(cls) and cls.__module__ == model.__name__:
            names.update(field.name for field in attrs.fields(cls))
    return bytes(sorted({byte for name in names for byte in name.lower().encode()}))


#: The bytes the observed model's field names are made of (`echoed_in_strings`).
_KEY_BYTES = _key_bytes()
