"""`schemas/notebook.schema.json` agrees with the observed model and its decoder."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given

from reconcile._codec import decode_notebook
from reconcile._core import model
from reconcile._core.enums import OpenIntEnum, OpenStrEnum
from reconcile._core.errors import DecodeError
from reconcile._core.secrets import Secret
from reconcile._schema.files import load_schema
from tests.strategies import notebook_json

SCHEMA = load_schema("notebook")
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
LIST_VALIDATOR = jsonschema.Draft202012Validator({**SCHEMA, "$ref": "#/$defs/NotebookList"})


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return SCHEMA if node["$ref"] == "#" else SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for alt in node.get("anyOf", ()):
        if "$ref" in alt:
            return _resolve(alt)
    return node


def _json_types(tp: Any) -> set[str]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_json_types(a) for a in typing.get_args(tp)))
    if tp is type(None):
        return {"null"}
    if origin is tuple:
        return {"array"}
    if tp is bool:
        return {"boolean"}
    if (isinstance(tp, type) and issubclass(tp, OpenIntEnum)) or tp is int:
        return {"integer"}
    if tp is float:
        return {"number"}
    if tp is str or tp is Secret or (isinstance(tp, type) and issubclass(tp, OpenStrEnum)):
        return {"string"}
    if attrs.has(tp):
        return {"object"}
    raise TypeError(tp)


def _schema_types(node: dict[str, Any]) -> set[str]:
    if "$ref" in node:
        return {"object"}
    if "type" in node:
        t = node["type"]
        return {t} if isinstance(t, str) else set(t)
    return set().union(*(_schema_types(alt) for alt in node["anyOf"]))


def _classes() -> list[type]:
    return [
        c
        for c in vars(model).values()
        if isinstance(c, type) and attrs.has(c) and c.__module__ == model.__name__
    ]


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: c.__name__)
def test_schema_and_model_have_the_same_fields_and_types(cls: type) -> None:
    """Every model field is in the schema with the same JSON types, and every schema property is a field or an alias."""
    node = SCHEMA if cls is model.Notebook else SCHEMA["$defs"][cls.__name__]
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in attrs.fields(cls)}
    aliases = model.ALIASES.get(cls, {})
    assert set(node["properties"]) == fields | set(aliases)
    for name in fields:
        assert _schema_types(node["properties"][name]) == _json_types(hints[name]), name
    assert node.get("additionalProperties", True) is True  # unknown fields are accepted


def test_known_enum_values_are_documented() -> None:
    """The schema lists the documented values of each option list, e.g. the notebook status."""
    from reconcile._core.enums import NotebookStatus, VolumeCategory

    for node, enum_cls in (
        (SCHEMA["properties"]["status"], NotebookStatus),
        (SCHEMA["$defs"]["VolumeRes"]["properties"]["category"], VolumeCategory),
    ):
        documented = next(alt["enum"] for alt in node["anyOf"] if "enum" in alt)
        assert documented == [m.value for m in enum_cls]


def test_examples_validate(example_body: bytes, rich_body: bytes) -> None:
    """The API page's example and the rich response validate against the schema."""
    for body in (example_body, rich_body):
        assert list(VALIDATOR.iter_errors(json.loads(body))) == []


def test_schema_accepts_what_the_decoder_accepts() -> None:
    """Unknown fields, undocumented enum values and nulls are valid for the schema too."""
    doc = {
        "status": "HIBERNATING",
        "brand_new": 1,
        "lease": None,
        "volume": {"category": "Turbo", "capacity": None},
    }
    decode_notebook(doc)
    assert list(VALIDATOR.iter_errors(doc)) == []


@pytest.mark.parametrize(
    "doc",
    [
        {"lease": {"duration": "abc"}},
        {"lease": {"enable": "false"}},
        {"name": 3},
        {"endpoints": [{"ssh_keys": "k"}]},
        {"image": {"size": 1.5}},
        {"action_progress": {}},
        {"status": 3},
    ],
)
def test_schema_rejects_what_the_decoder_rejects(doc: dict[str, Any]) -> None:
    """A wrong type is refused by both the decoder and the schema."""
    with pytest.raises(DecodeError):
        decode_notebook(doc)
    assert list(VALIDATOR.iter_errors(doc)) != []


def test_list_response_schema() -> None:
    """The list response shape validates through `$defs/NotebookList`."""
    assert (
        list(
            LIST_VALIDATOR.iter_errors(
                {"current": 0, "data": [{"id": "a"}], "pages": 1, "size": 1, "total": 1}
            )
        )
        == []
    )
    assert list(LIST_VALIDATOR.iter_errors({"data": [{"id": 1}]})) != []


@given(notebook_json)
def test_generated_responses_validate(raw: dict[str, Any]) -> None:
    """Every response the decoder accepts (generated) is valid for the schema."""
    decode_notebook(raw)
    assert list(VALIDATOR.iter_errors(raw)) == []
