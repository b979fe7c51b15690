"""`schemas/notebook.schema.json`: the schema of a notebook response body, walked from the observed model.

Each attrs class of `reconcile._core.model` becomes an object schema (its docstring's summary is the
description, its `Attributes:` lines the property descriptions), each class once under `$defs`;
open enums list their documented values and accept any other, as the decoder does; every field may
be null and unknown fields are allowed, because the decoder accepts both.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import attrs

from reconcile._core import model
from reconcile._core.enums import OpenIntEnum, OpenStrEnum
from reconcile._core.secrets import Secret

__all__ = ["notebook_schema"]

_UNLISTED = "a value the documentation does not list yet; kept as sent"


def _summary(cls: type) -> str:
    """The first line of a class's docstring."""
    return (cls.__doc__ or "").strip().split("\n")[0]


def _attribute_docs(cls: type) -> dict[str, str]:
    """The `name: text` entries of a class docstring's `Attributes:` section, continuation lines joined."""
    out: dict[str, str] = {}
    doc = cls.__doc__ or ""
    if "Attributes:" not in doc:
        return out
    current: str | None = None
    for line in doc.split("Attributes:")[1].splitlines():
        text = line.strip()
        if not text:
            continue
        head = text.split(":")[0]
        if ":" in text and not line.startswith(" " * 12) and head.isidentifier():
            current, _, rest = text.partition(":")
            out[current] = rest.strip()
        elif current is not None:
            out[current] += " " + text
    return out


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """`node` that also accepts null."""
    if "$ref" in node:
        return {"anyOf": [node, {"type": "null"}]}
    out = dict(node)
    out["type"] = [node["type"], "null"]
    if "anyOf" in out:
        out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


def _open_enum(json_type: str, values: list[Any]) -> dict[str, Any]:
    """An open enum: the documented values, or any other value of the same JSON type."""
    return {
        "type": json_type,
        "anyOf": [{"enum": values}, {"type": json_type, "description": _UNLISTED}],
    }


class _ModelSchemas:
    """Builds the schemas of model classes, collecting each class reached once in `defs`."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self._started: set[str] = set()

    def of_type(self, tp: Any) -> dict[str, Any]:
        """The schema of one annotated type (`str | None`, `tuple[Image, ...]`, an enum, a class)."""
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                return _nullable(self.of_type(args[0]))
            return {"anyOf": [*(self.of_type(a) for a in args), {"type": "null"}]}
        if origin is tuple:
            return {"type": "array", "items": self.of_type(typing.get_args(tp)[0])}
        scalar = _SCALARS.get(tp)
        if scalar is not None:
            return {"type": scalar}
        if tp is Secret:
            return {
                "type": "string",
                "description": "secret: never printed or written by modelarts-reconcile",
            }
        if isinstance(tp, type) and issubclass(tp, OpenStrEnum):
            return _open_enum("string", [m.value for m in tp])
        if isinstance(tp, type) and issubclass(tp, OpenIntEnum):
            return _open_enum("integer", [m.value for m in tp])
        if isinstance(tp, type) and attrs.has(tp):
            name = tp.__name__
            if name not in self._started:
                self._started.add(name)
                self.defs[name] = self.of_class(tp)
            return {"$ref": f"#/$defs/{name}"}
        raise TypeError(f"no JSON Schema for {tp!r}")

    def of_class(self, cls: type) -> dict[str, Any]:
        """The object schema of an attrs class: its fields, then its second spellings (`model.ALIASES`)."""
        hints = typing.get_type_hints(cls)
        docs = _attribute_docs(cls)
        props: dict[str, Any] = {}
        for field in attrs.fields(cls):
            node = self.of_type(hints[field.name])
            if field.name in docs:
                node = {"description": docs[field.name], **node}
            props[field.name] = node
        for alias, canonical in model.ALIASES.get(cls, {}).items():
            props[alias] = {
                "description": f"second spelling of `{canonical}`, read when `{canonical}` is absent",
                **{k: v for k, v in props[canonical].items() if k != "description"},
            }
        return {
            "type": "object",
            "description": _summary(cls),
            "properties": props,
            "additionalProperties": True,
        }


_SCALARS: dict[Any, str] = {str: "string", int: "integer", bool: "boolean", float: "number"}


def notebook_schema() -> dict[str, Any]:
    """The schema of the notebook details body, with the list response under `$defs/NotebookList`."""
    schemas = _ModelSchemas()
    root = schemas.of_class(model.Notebook)
    defs = dict(sorted(schemas.defs.items()))
    listing = schemas.of_class(model.NotebookList)
    listing["properties"]["data"] = {"type": ["array", "null"], "items": {"$ref": "#"}}  # the root schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://modelarts-reconcile.invalid/schemas/notebook.schema.json",
        "title": "ModelArts notebook details (GET /v1/{project_id}/notebooks/{id})",
        "description": (
            "The response body modelarts-reconcile decodes. Unknown fields, undocumented enum values "
            "and nulls are accepted, as the decoder accepts them; known values are listed in each anyOf."
        ),
        **{k: v for k, v in root.items() if k != "description"},
        "$defs": {**defs, "NotebookList": listing},
    }
