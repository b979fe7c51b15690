"""Decoding and encoding with cattrs: the only module that imports cattrs.

Building a converter (`make_converter`) is separate from configuring it (`configure`), so tests,
benchmarks and the CLI all use the same configuration. Two configured converters exist per mode: a
fast one, and one with cattrs' detailed validation that is used only after the fast one failed, to
name every bad field by its path. The observed mode is lenient about *shape* (unknown fields are
ignored, every field may be null or absent, unknown enum values are kept) and strict about *types*
(`"false"` is not a bool, `"3600000"` is not an int: the official SDK coerces both; we refuse).
The spec mode (`structure_spec`) is strict about both: an unknown key is an error.
"""

from __future__ import annotations

import difflib
import enum
import functools
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from reconcile._core import model, normalize, spec
from reconcile._core.enums import (
    DevService,
    Feature,
    LeaseType,
    OpenIntEnum,
    OpenStrEnum,
    VolumeCategory,
    VolumeOwnership,
)
from reconcile._core.errors import DecodeError, FieldProblem
from reconcile._core.secrets import REDACTED, Secret

__all__ = [
    "Mismatch",
    "configure",
    "decode_notebook",
    "decode_notebook_list",
    "describe_value",
    "dotted",
    "flatten_errors",
    "make_converter",
    "structure_strict",
    "unstructure",
]

T = TypeVar("T")
_NONE = type(None)
_MAX_SHOWN = 60  # characters of a bad value quoted in an error message


class Mismatch(TypeError):
    """A value of the wrong type or outside its allowed set; formatted later, when the path is known.

    The value is kept so the message can quote it, unless the field turns out to hold a secret.
    """

    def __init__(self, expected: str, value: Any) -> None:
        self.expected = expected
        self.value = value
        super().__init__(f"expected {expected}")


def describe_value(value: Any) -> str:
    """A short, JSON-like rendering of a bad value for an error message."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _type_name(tp: Any) -> str:
    names = {str: "string", int: "int", bool: "bool", float: "number"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


# -- leaf hooks ---------------------------------------------------------------------------------


def _strict_scalar(tp: type) -> Callable[[Any, Any], Any]:
    """A hook that accepts exactly `tp` (bool is not an int; an int is a float)."""
    name = _type_name(tp)
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


def _open_enum_hook(cls: type) -> Callable[[Any, Any], Any]:
    """Known values map to members; an undocumented value keeps its exact text."""
    base = str if issubclass(cls, OpenStrEnum) else int
    members = cls._value2member_map_  # type: ignore[attr-defined]
    expected = "string" if base is str else "int"

    def hook(v: Any, _: Any) -> Any:
        member = members.get(v) if type(v) is base else None
        if member is not None:
            return member
        if type(v) is base:
            return cls(v)
        raise Mismatch(expected, v)

    return hook


def _open_enum_classes() -> list[type]:
    """Every open enum class defined in `reconcile._core.enums` (and subclasses defined elsewhere)."""
    found: list[type] = []
    stack: list[type] = [OpenStrEnum, OpenIntEnum]
    while stack:
        cls = stack.pop()
        sub: type
        for sub in cls.__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def _secret_hook(v: Any, _: Any) -> Secret:
    if type(v) is str:
        return Secret(v)
    raise Mismatch("string", v)


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and _NONE in typing.get_args(tp)


def _strip_none(tp: Any) -> Any:
    args = tuple(a for a in typing.get_args(tp) if a is not _NONE)
    return args[0] if len(args) == 1 else typing.Union[args]  # noqa: UP007 (runtime construction)


def _is_tuple_of(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def configure(converter: cattrs.Converter, *, strict_keys: bool = False) -> cattrs.Converter:
    """Install our hooks on `converter`: strict scalars, open enums, secrets, tuples, aliases.

    Args:
        converter: a converter from `make_converter` (or a bare cattrs Converter).
        strict_keys: refuse unknown keys (spec mode) instead of ignoring them (observed mode).

    Returns:
        The same converter, configured.
    """
    for tp in (str, int, bool, float):
        converter.register_structure_hook(tp, _strict_scalar(tp))
    # Our enums subclass str and int, so each is registered by its own class: the most specific wins.
    for enum_cls in _open_enum_classes():
        converter.register_structure_hook(enum_cls, _open_enum_hook(enum_cls))
    converter.register_structure_hook(Secret, _secret_hook)
    # Plain values out: an enum member unstructures to its exact text (or number), never the member.
    converter.register_unstructure_hook(OpenStrEnum, str.__str__)
    converter.register_unstructure_hook(OpenIntEnum, int)
    converter.register_unstructure_hook(Secret, Secret.reveal)
    converter.register_structure_hook_factory(
        _is_optional, _optional_factory(converter, fast_enums=not strict_keys)
    )
    converter.register_structure_hook_factory(_is_plain_union, _union_factory(converter))
    converter.register_structure_hook_factory(_is_tuple_of, _tuple_factory(converter))
    converter.register_structure_hook_factory(attrs.has, _class_factory(converter, strict_keys=strict_keys))
    converter.register_unstructure_hook_factory(_is_optional, _optional_unstructure_factory(converter))
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)
    )
    return converter


def _optional_unstructure_factory(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    """`X | None` out: plain values pass through; anything else goes to X's hook, chosen once."""

    def factory(tp: Any) -> Callable[[Any], Any]:
        inner = _strip_none(tp)
        if inner in (str, int, bool, float):
            return identity  # cattrs' own: its generated code then copies the value inline
        if _is_tuple_of(inner) and typing.get_args(inner)[0] in (str, int, bool, float):
            return _list_or_none
        if _is_tuple_of(inner):
            item_hook = converter.get_unstructure_hook(typing.get_args(inner)[0])

            def items_hook(v: Any) -> Any:
                return None if v is None else [item_hook(x) for x in v]

            return items_hook
        inner_hook = converter.get_unstructure_hook(inner)

        def hook(v: Any) -> Any:
            return None if v is None else inner_hook(v)

        return hook

    return factory


def _list_or_none(v: Any) -> Any:
    return None if v is None else list(v)


Hook = Callable[[Any, Any], Any]


def _optional_factory(converter: cattrs.Converter, *, fast_enums: bool) -> Callable[[Any], Hook]:
    """`X | None`: None passes; anything else goes to X's hook (inlined for scalars and open enums)."""

    def factory(tp: Any) -> Hook:
        inner = _strip_none(tp)
        if inner in (str, int, bool):
            # The hot path of decoding: one call per field, no second dispatch.
            name = _type_name(inner)

            def scalar_hook(v: Any, _: Any) -> Any:
                if v is None or type(v) is inner:
                    return v
                raise Mismatch(name, v)

            return scalar_hook
        inner_hook = converter.get_structure_hook(inner)
        if fast_enums and isinstance(inner, type) and issubclass(inner, OpenStrEnum | OpenIntEnum):
            members = inner._value2member_map_

            def enum_hook(v: Any, _: Any) -> Any:
                if v is None:
                    return None
                member = members.get(v) if type(v) is str or type(v) is int else None
                return member if member is not None else inner_hook(v, inner)

            return enum_hook
        direct = getattr(inner_hook, "structure_dict", None)
        if direct is not None:
            # A nested object: a dict goes straight to the generated function (one call, not three).

            def object_hook(v: Any, _: Any) -> Any:
                if v is None:
                    return None
                return direct(v, inner) if type(v) is dict else inner_hook(v, inner)

            return object_hook

        def hook(v: Any, _: Any) -> Any:
            return None if v is None else inner_hook(v, inner)

        return hook

    return factory


def _is_plain_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and not _is_optional(tp)


def _union_factory(converter: cattrs.Converter) -> Callable[[Any], Hook]:
    """`str | tuple[str, ...]`: the branch is chosen by the JSON type of the value."""

    def factory(tp: Any) -> Hook:
        args = typing.get_args(tp)
        expected = " or ".join("list" if _is_tuple_of(a) else _type_name(a) for a in args)

        def hook(v: Any, _: Any) -> Any:
            for arg in args:
                if (arg is str and type(v) is str) or (_is_tuple_of(arg) and type(v) is list):
                    return converter.structure(v, arg)
            raise Mismatch(expected, v)

        return hook

    return factory


def _tuple_factory(converter: cattrs.Converter) -> Callable[[Any], Hook]:
    """`tuple[X, ...]` from a JSON list only (a string is not a list of characters)."""

    def factory(tp: Any) -> Hook:
        item_type = typing.get_args(tp)[0]
        item_hook = converter.get_structure_hook(item_type)
        detailed = converter.detailed_validation

        def hook(v: Any, _: Any) -> tuple[Any, ...]:
            if type(v) is not list:
                raise Mismatch("list", v)
            if item_type is str and all(type(x) is str for x in v):
                return tuple(v)
            if not detailed:
                return tuple([item_hook(x, item_type) for x in v])
            out, errors = [], []
            for i, x in enumerate(v):
                try:
                    out.append(item_hook(x, item_type))
                except Exception as exc:
                    note = IterableValidationNote(f"Structuring {tp} @ index {i}", i, item_type)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {tp}", errors, tp)
            return tuple(out)

        return hook

    return factory


def _class_factory(converter: cattrs.Converter, *, strict_keys: bool) -> Callable[[Any], Hook]:
    """attrs classes from JSON objects only, reading second spellings (`model.ALIASES`)."""

    def factory(cls: type) -> Hook:
        aliases = model.ALIASES.get(cls, {})
        generated: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls,
            converter,
            _cattrs_forbid_extra_keys=strict_keys,
            _cattrs_detailed_validation=converter.detailed_validation,
        )

        if aliases:

            def alias_hook(v: Any, _: Any) -> Any:
                if type(v) is not dict and not isinstance(v, Mapping):
                    raise Mismatch("an object", v)
                return generated(_apply_aliases(v, aliases), cls)

            return alias_hook

        def hook(v: Any, _: Any) -> Any:
            if type(v) is not dict and not isinstance(v, Mapping):
                raise Mismatch("an object", v)
            return generated(v, cls)

        hook.structure_dict = generated  # type: ignore[attr-defined]  # for _optional_factory
        return hook

    return factory


def _apply_aliases(v: Mapping[str, Any], aliases: Mapping[str, str]) -> Mapping[str, Any]:
    """Read a second spelling into the canonical field when the canonical one is absent, null or
    empty (`ssh_keys: []` beside a non-empty `key_pair_names`: the non-empty one is read)."""
    if v.keys().isdisjoint(aliases):
        return v
    out = dict(v)
    for alias, canonical in aliases.items():
        if alias in out:
            value = out.pop(alias)
            current = out.get(canonical)
            if current is None or (_empty(current) and not _empty(value)):
                out[canonical] = value
    return out


def _empty(value: Any) -> bool:
    return value is None or ((type(value) is list or type(value) is str) and not value)


def _closed_enum_hook(cls: type[enum.Enum]) -> Callable[[Any, Any], Any]:
    """Spec enums: case-insensitive on input, canonical member out, anything else refused."""
    by_upper = {m.value.upper(): m for m in cls}
    expected = "one of " + ", ".join(m.value for m in cls)

    def hook(v: Any, _: Any) -> Any:
        member = by_upper.get(v.upper()) if type(v) is str else None
        if member is None:
            raise Mismatch(expected, v)
        return member

    return hook


def _duration_hook(v: Any, _: Any) -> int:
    if type(v) is int or type(v) is str:
        return normalize.parse_duration(v)
    raise Mismatch("milliseconds or text like 2h, 90m, 1h30m", v)


def _cidr_hook(v: Any, _: Any) -> str:
    if type(v) is str:
        return normalize.canonical_cidr(v)
    raise Mismatch("an IP address or CIDR string", v)


def _tags_hook(v: Any, _: Any) -> tuple[tuple[str, str], ...]:
    """Spec `tags`: a map of text keys to text values, as (key, value) pairs sorted by key."""
    if type(v) is not dict or not all(type(k) is str and type(x) is str for k, x in v.items()):
        raise Mismatch("a map of text keys to text values", v)
    return tuple(sorted(v.items()))


def configure_spec(converter: cattrs.Converter) -> cattrs.Converter:
    """Install the spec-only hooks: closed case-insensitive enums, durations, CIDRs and tags."""
    for cls in (spec.DesiredStatus, DevService, Feature, LeaseType, VolumeCategory, VolumeOwnership):
        converter.register_structure_hook(cls, _closed_enum_hook(cls))
    converter.register_structure_hook(spec.Duration, _duration_hook)
    converter.register_structure_hook(spec.Cidr, _cidr_hook)
    converter.register_structure_hook_func(lambda tp: tp == tuple[tuple[str, str], ...], _tags_hook)
    return converter


def make_converter(*, detailed: bool = False, strict_keys: bool = False) -> cattrs.Converter:
    """Build and configure a converter: observed mode by default; spec mode with `strict_keys`."""
    converter = configure(
        cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=strict_keys),
        strict_keys=strict_keys,
    )
    return configure_spec(converter) if strict_keys else converter


_FAST = make_converter()


@functools.cache
def _detailed() -> cattrs.Converter:
    """The observed-mode converter with detailed validation: built on the first decode error."""
    return make_converter(detailed=True)


@functools.cache
def _strict() -> cattrs.Converter:
    """The spec-mode converter: built when the first spec is read."""
    return make_converter(detailed=True, strict_keys=True)


# -- errors -------------------------------------------------------------------------------------


def dotted(path: tuple[str | int, ...]) -> str:
    """`("notebooks", "a", "endpoints", 0, "ssh_keys")` -> `notebooks.a.endpoints[0].ssh_keys`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _note_step(exc: BaseException) -> str | int | None:
    """The attribute name or list index cattrs noted on a sub-error, if any."""
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return note.name
        if isinstance(note, IterableValidationNote):
            return note.index
    return None


def flatten_errors(
    exc: BaseException, path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], str]]:
    """Every leaf problem under a cattrs validation error, as (path, message), in document order.

    A value inside a secret field (see `model.SECRET_FIELDS`) is never quoted.
    """
    if isinstance(exc, ClassValidationError | IterableValidationError):
        out: list[tuple[tuple[str | int, ...], str]] = []
        for sub in exc.exceptions:
            step = _note_step(sub)
            out.extend(flatten_errors(sub, (*path, step) if step is not None else path))
        return out
    if isinstance(exc, ForbiddenExtraKeysError):
        known = sorted(a.name for a in attrs.fields(exc.cl)) if attrs.has(exc.cl) else []
        out = []
        for key in sorted(exc.extra_fields, key=str):
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]}?" if close else "expected one of " + ", ".join(known)
            out.append(((*path, key), f"unknown field ({hint})"))
        return out
    if isinstance(exc, Mismatch):
        secret = bool(path) and path[-1] in model.SECRET_FIELDS
        got = REDACTED if secret else describe_value(exc.value)
        return [(path, f"expected {exc.expected}, got {got}")]
    if isinstance(exc, KeyError):
        missing: str | int | None = exc.args[0] if exc.args else None
        at = path if missing is None or (path and path[-1] == missing) else (*path, missing)
        return [(at, "required field is missing")]
    message = str(exc) or type(exc).__name__
    return [(path, message)]


# -- observed decoding --------------------------------------------------------------------------


def _parse(data: bytes | str | Mapping[str, Any], source: str | None) -> Any:
    if type(data) is dict or isinstance(data, Mapping):
        return data
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        problem = FieldProblem("", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
        raise DecodeError([problem], source) from None
    except UnicodeDecodeError:
        raise DecodeError([FieldProblem("", "body is not UTF-8 text")], source) from None
    except RecursionError:
        raise DecodeError([FieldProblem("", "JSON nested too deeply")], source) from None


def _decode(data: bytes | str | Mapping[str, Any], cls: type[T], source: str | None) -> T:
    raw = _parse(data, source)
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise DecodeError([FieldProblem("", f"expected an object, got {describe_value(raw)}")], source)
    try:
        return _FAST.structure(raw, cls)
    except Exception:
        pass
    try:
        value = _detailed().structure(raw, cls)
    except Exception as exc:
        problems = [FieldProblem(dotted(p), m) for p, m in flatten_errors(exc)]
        raise DecodeError(problems, source) from None
    return value  # pragma: no cover (the fast pass fails exactly when the detailed one does)


def decode_notebook(data: bytes | str | Mapping[str, Any], source: str | None = None) -> model.Notebook:
    """Decode a `GET /v1/{project_id}/notebooks/{id}` response body.

    Args:
        data: the raw body (bytes or str) or an already-parsed mapping.
        source: where the body came from, for error messages.

    Raises:
        DecodeError: the body is not JSON, or a field has the wrong type; lists every bad field.
    """
    return _decode(data, model.Notebook, source)


def decode_notebook_list(
    data: bytes | str | Mapping[str, Any], source: str | None = None
) -> model.NotebookList:
    """Decode a `GET /v1/{project_id}/notebooks` list body: `{current, data, pages, size, total}`."""
    return _decode(data, model.NotebookList, source)


def unstructure(obj: Any, *, reveal_secrets: bool = False) -> Any:
    """Turn a model instance into plain JSON values, leaving out absent (None) fields.

    Secrets are left out unless `reveal_secrets` is set (tests and round trips only).
    """
    data = _FAST.unstructure(obj)
    if not reveal_secrets:
        _drop_secrets(data)
    return data


def _drop_secrets(data: Any) -> None:
    # Secrets are top-level fields of the notebook only (checked when this module loads), so there
    # is nothing to look for deeper down.
    if isinstance(data, dict):
        for key in model.SECRET_FIELDS & data.keys():
            del data[key]


def _secrets_only_at_the_top() -> None:
    """Fail loudly at import if a nested model class ever gains a Secret field."""
    for cls in vars(model).values():
        if isinstance(cls, type) and attrs.has(cls) and cls is not model.Notebook:
            hints = typing.get_type_hints(cls)
            if any("Secret" in str(hints[f.name]) for f in attrs.fields(cls)):
                raise AssertionError(f"{cls.__name__} holds a Secret: teach _drop_secrets to find it")


_secrets_only_at_the_top()


# -- spec structuring ---------------------------------------------------------------------------


def structure_strict(raw: Any, cls: type[T]) -> T:
    """Structure `raw` into `cls` refusing unknown keys and wrong types (spec mode).

    Raises:
        cattrs' validation errors; `flatten_errors` turns them into (path, message) pairs.
    """
    return _strict().structure(raw, cls)
