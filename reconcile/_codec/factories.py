"""Hook factories: how a whole type (`X | None`, `tuple[X, ...]`, a union, an attrs class) is built.

Each factory is a small class holding what it needs (the converter, the build's `Generated` table),
so nothing travels through function attributes. cattrs calls a factory once per type, on first use.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from reconcile._codec.hooks import Hook, is_open_enum, open_enum_members
from reconcile._codec.wording import Mismatch, type_name
from reconcile._core.model import ALIASES

__all__ = [
    "ClassFactory",
    "Generated",
    "OptionalFactory",
    "OptionalUnstructureFactory",
    "TupleFactory",
    "UnionFactory",
    "fast_structure_fn",
    "is_empty",
    "is_optional",
    "is_plain_union",
    "is_tuple_of",
    "unstructure_class",
]

_NONE = type(None)
_SCALARS = (str, int, bool, float)


def is_optional(tp: Any) -> bool:
    """`X | None`."""
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and _NONE in typing.get_args(tp)


def strip_none(tp: Any) -> Any:
    """`X | None` -> `X`."""
    args = tuple(a for a in typing.get_args(tp) if a is not _NONE)
    return args[0] if len(args) == 1 else typing.Union[args]  # noqa: UP007 (runtime construction)


def is_tuple_of(tp: Any) -> bool:
    """`tuple[X, ...]`."""
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def is_plain_union(tp: Any) -> bool:
    """A union without None (`str | tuple[str, ...]`)."""
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and not is_optional(tp)


#: The generated dict-structuring function of each attrs class, filled by `ClassFactory`.
Generated = dict[type, Hook]


@attrs.frozen(eq=False)
class OptionalFactory:
    """`X | None`: None passes; anything else goes to X's hook (inlined for scalars and open enums)."""

    converter: cattrs.Converter
    generated: Generated
    fast_open_enums: bool

    def __call__(self, tp: Any) -> Hook:
        inner = strip_none(tp)
        if inner in (str, int) or (inner is bool and self.fast_open_enums):
            # The hot path of decoding: one call per field, no second dispatch. (A spec's bool keeps
            # its own hook, which names YAML 1.1's `yes` and `off`.)
            name = type_name(inner)

            def scalar_hook(v: Any, _: Any) -> Any:
                if v is None or type(v) is inner:
                    return v
                raise Mismatch(name, v)

            return scalar_hook
        inner_hook = self.converter.get_structure_hook(inner)
        if self.fast_open_enums and is_open_enum(inner):
            members = open_enum_members(inner)

            def enum_hook(v: Any, _: Any) -> Any:
                if v is None:
                    return None
                member = members.get(v) if type(v) is str or type(v) is int else None
                return member if member is not None else inner_hook(v, inner)

            return enum_hook
        direct = self.generated.get(inner)
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


@attrs.frozen(eq=False)
class UnionFactory:
    """`str | tuple[str, ...]`: the branch is chosen by the JSON type of the value."""

    converter: cattrs.Converter

    def __call__(self, tp: Any) -> Hook:
        args = typing.get_args(tp)
        expected = " or ".join("list" if is_tuple_of(a) else type_name(a) for a in args)
        converter = self.converter

        def hook(v: Any, _: Any) -> Any:
            for arg in args:
                if (arg is str and type(v) is str) or (is_tuple_of(arg) and type(v) is list):
                    return converter.structure(v, arg)
            raise Mismatch(expected, v)

        return hook


@attrs.frozen(eq=False)
class TupleFactory:
    """`tuple[X, ...]` from a JSON list only (a string is not a list of characters)."""

    converter: cattrs.Converter

    def __call__(self, tp: Any) -> Hook:
        item_type = typing.get_args(tp)[0]
        item_hook = self.converter.get_structure_hook(item_type)
        detailed = self.converter.detailed_validation

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


@attrs.frozen(eq=False)
class ClassFactory:
    """attrs classes from JSON objects only, reading second spellings (`model.ALIASES`)."""

    converter: cattrs.Converter
    generated: Generated
    strict_keys: bool

    def __call__(self, cls: type) -> Hook:
        aliases = ALIASES.get(cls, {})
        generated: Hook = (
            make_dict_structure_fn(
                cls,
                self.converter,
                _cattrs_forbid_extra_keys=self.strict_keys,
                _cattrs_detailed_validation=True,
            )
            if self.converter.detailed_validation
            else fast_structure_fn(cls, self.converter, self.generated, strict_keys=self.strict_keys)
        )

        if aliases:  # never bypassed: the aliases must be read first

            def alias_hook(v: Any, _: Any) -> Any:
                if type(v) is not dict and not isinstance(v, Mapping):
                    raise Mismatch("an object", v)
                return generated(_apply_aliases(v, aliases), cls)

            return alias_hook

        def hook(v: Any, _: Any) -> Any:
            if type(v) is not dict and not isinstance(v, Mapping):
                raise Mismatch("an object", v)
            return generated(v, cls)

        self.generated[cls] = generated  # for OptionalFactory: a dict goes straight in
        return hook


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
            if current is None or (is_empty(current) and not is_empty(value)):
                out[canonical] = value
    return out


def is_empty(value: Any) -> bool:
    """None, or an empty list or text: a spelling that gives way to a second one that is not."""
    return value is None or ((type(value) is list or type(value) is str) and not value)


def fast_structure_fn(
    cls: type, converter: cattrs.Converter, generated: Generated, *, strict_keys: bool
) -> Hook:
    """The dict-structuring function of an attrs class for a fast (non-detailed) converter.

    What cattrs' `make_dict_structure_fn` generates (each present key through its field's hook,
    then one `cls(**res)`; with `strict_keys`, an unknown key fails), with the hot fields' hooks
    inlined: an optional `str` or `int` (and, in observed mode, `bool`) is checked in place, an
    open enum's documented value is looked up in place, a nested object's dict goes straight to its
    class's function and a list's items straight to their hook. Any failure raises, and the caller then runs
    the detailed converter, which names every bad field: this function only has to accept exactly
    what the hooks accept, and build the same instance.
    """
    observed = not strict_keys
    attrs.resolve_types(cls)
    lines = ["def structure(o, _):"]
    names: dict[str, Any] = {"Mismatch": Mismatch, "cls": cls}
    if strict_keys:
        names["allowed"] = frozenset(a.name for a in attrs.fields(cls))
        lines.append("    if not allowed.issuperset(o):")
        lines.append("        raise Mismatch('known keys only', o)")
    lines.append("    res = {}")
    for i, a in enumerate(attrs.fields(cls)):
        lines += _field_lines(i, a, converter, generated, names, observed=observed)
    lines.append("    return cls(**res)")
    code = "\n".join(lines) + "\n"
    exec(compile(code, f"<reconcile fast structure {cls.__module__}.{cls.__qualname__}>", "exec"), names)
    function: Hook = names["structure"]
    return function


def _field_lines(
    i: int,
    a: attrs.Attribute[Any],
    converter: cattrs.Converter,
    generated: Generated,
    names: dict[str, Any],
    *,
    observed: bool,
) -> list[str]:
    """The lines of `fast_structure_fn` reading field number `i` (its helpers added to `names`)."""
    lines: list[str] = []
    key, arg, tp = a.name, a.alias, a.type
    inner = strip_none(tp) if is_optional(tp) else None
    lines.append(f"    if {key!r} in o:")
    lines.append(f"        v = o[{key!r}]")
    if inner in (str, int) or (inner is bool and observed):
        names[f"t{i}"] = inner
        names[f"n{i}"] = type_name(inner)
        lines.append(f"        if v is not None and type(v) is not t{i}:")
        lines.append(f"            raise Mismatch(n{i}, v)")
    elif observed and inner is not None and is_open_enum(inner):
        names[f"m{i}"] = open_enum_members(inner)
        names[f"h{i}"] = converter.get_structure_hook(tp)
        names[f"t{i}"] = tp
        lines.append("        if v is not None:")
        lines.append(f"            m = m{i}.get(v) if type(v) is str or type(v) is int else None")
        lines.append(f"            v = m if m is not None else h{i}(v, t{i})")
    elif inner is not None and attrs.has(inner) and inner not in ALIASES:
        # A nested object: a dict goes straight to its generated function (as `OptionalFactory`).
        names[f"h{i}"] = converter.get_structure_hook(tp)
        names[f"t{i}"] = tp
        names[f"c{i}"] = inner
        names[f"g{i}"] = generated.get(inner) or names[f"h{i}"]
        lines.append("        if v is not None:")
        lines.append(f"            v = g{i}(v, c{i}) if type(v) is dict else h{i}(v, t{i})")
    elif inner is not None and is_tuple_of(inner):
        # A list (`TupleFactory`): strings pass whole, other items through the item's hook.
        item = typing.get_args(inner)[0]
        names[f"i{i}"] = converter.get_structure_hook(item)
        names[f"c{i}"] = item
        lines.append("        if v is not None:")
        lines.append("            if type(v) is not list:")
        lines.append("                raise Mismatch('list', v)")
        if item is str:
            lines.append("            if not all(type(x) is str for x in v):")
            lines.append("                raise Mismatch('str', v)")
            lines.append("            v = tuple(v)")
        else:
            lines.append(f"            v = tuple([i{i}(x, c{i}) for x in v])")
    else:
        names[f"h{i}"] = converter.get_structure_hook(tp)
        names[f"t{i}"] = tp
        lines.append(f"        v = h{i}(v, t{i})")
    lines.append(f"        res[{arg!r}] = v")
    return lines


@attrs.frozen(eq=False)
class OptionalUnstructureFactory:
    """`X | None` out: plain values pass through; anything else goes to X's hook, chosen once."""

    converter: cattrs.Converter

    def __call__(self, tp: Any) -> Callable[[Any], Any]:
        inner = strip_none(tp)
        if inner in _SCALARS:
            return identity  # cattrs' own: its generated code then copies the value inline
        if is_tuple_of(inner) and typing.get_args(inner)[0] in _SCALARS:
            return _list_or_none
        if is_tuple_of(inner):
            item_hook = self.converter.get_unstructure_hook(typing.get_args(inner)[0])

            def items_hook(v: Any) -> Any:
                return None if v is None else [item_hook(x) for x in v]

            return items_hook
        inner_hook = self.converter.get_unstructure_hook(inner)

        def hook(v: Any) -> Any:
            return None if v is None else inner_hook(v)

        return hook


def _list_or_none(v: Any) -> Any:
    return None if v is None else list(v)


def unstructure_class(converter: cattrs.Converter) -> Callable[[type], Callable[[Any], Any]]:
    """attrs classes out: a dict without the fields left at their default (None)."""

    def factory(cls: type) -> Callable[[Any], Any]:
        return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)

    return factory
