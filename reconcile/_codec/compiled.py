"""The observed notebook's one-pass decoder: a body to a `Notebook` and its JSON (`before`) at once.

A plan needs two things from each observed body: the typed `Notebook`, and the notebook as plain
JSON with its secrets dropped (Terraform's `before`, which is exactly `unstructure(notebook)`). The
converters make the first and `unstructure` rebuilds the second by walking the model again; this
module generates, once per model class, a function that reads each field of the body once and
writes both: the field's typed value for the instance, and its JSON value for `before`.

What the functions accept and build is what the fast converter (`observed_fast()`) accepts and
builds, field for field: `X | None` of exact scalar types (`bool` is not an `int`), finite numbers
for floats, open enums by value (an unknown value kept as a new member), nested objects as dicts,
lists for tuples, the second spellings of `model.ALIASES` read as `_apply_aliases` reads them, and
the top-level secret fields as `Secret`s left out of the JSON. Anything else raises, and the caller
then decodes with the converters, which accept what they accept and name every bad field: these
functions only ever have to be right on the values they take. A property test checks both halves
(the instance equals the converters', the JSON equals `unstructure` of it) on generated bodies.

Instances are built without their `__init__`, as `__init__` builds them: every model class is a
dict-based frozen attrs class with None defaults and no validators, converters or post-init hook
(checked when generating), so an instance is its `__dict__`, which is filled in place: every field
None, then each present one.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Callable
from typing import Any

import attrs

from reconcile._codec.factories import is_empty, is_optional, is_plain_union, is_tuple_of, strip_none
from reconcile._codec.hooks import is_open_enum, open_enum_members
from reconcile._core import model
from reconcile._core.secrets import Secret

__all__ = ["Compiled", "notebook_decoder", "notebook_only_decoder"]

#: A generated function: a body (a dict) to the instance, its JSON and the strings the JSON holds
#: (every string value at any depth, not the keys, which are the model's own field names), or an
#: exception.
Compiled = Callable[[dict[str, Any]], tuple[Any, dict[str, Any], list[str]]]

_SCALARS = (str, int, bool)


class _Unsupported(Exception):
    """A field type this generator does not handle (the converters then decode the class)."""


@functools.cache
def notebook_decoder() -> Compiled:
    """The generated decoder of a notebook body, its JSON and the JSON's strings (built on first use,
    kept for the process): a plan checks the strings for echoes of the notebook's token
    (`reconcile._core.secrets.echoed_in_strings`) without serialising the JSON again."""
    from reconcile._codec.converters import observed_fast

    return _Generator(observed_fast().get_unstructure_hook).build(model.Notebook)


@functools.cache
def notebook_only_decoder() -> Callable[[dict[str, Any]], model.Notebook]:
    """The generated decoder of a notebook body alone (`decode_notebook`: no JSON is kept)."""
    from reconcile._codec.converters import observed_fast

    function: Any = _Generator(observed_fast().get_unstructure_hook, json=False).build(model.Notebook)
    return function  # type: ignore[no-any-return]


class _Generator:
    """Writes one function per model class that a list holds (and the root), into one namespace.

    A nested object that is not in a list (`image`, `lease`, `user.domain`) is read inline, in its
    parent's function: no call, no pair to unpack. Each level of nesting has its own variables
    (`o1`, `d1`, `b1`, `v1`, ...: the body, the instance's dict and JSON, the field value).
    """

    def __init__(self, unstructure_hook: Callable[[Any], Callable[[Any], Any]], *, json: bool = True) -> None:
        self.unstructure_hook = unstructure_hook
        self.json = json  # write the JSON and collect its strings too (else the instance alone)
        self.names: dict[str, Any] = {
            "new": object.__new__,
            "isfinite": math.isfinite,
            "Secret": Secret,
            "empty": is_empty,
        }
        self.done: set[type] = set()
        self.sources: list[str] = []

    def build(self, root: type) -> Compiled:
        self._class(root, top=True)
        code = "\n\n".join(self.sources) + "\n"
        exec(compile(code, "<reconcile one-pass decoder>", "exec"), self.names)
        function: Compiled = self.names[_fn(root)]
        return function

    def _class(self, cls: type, *, top: bool = False) -> str:
        """The name of the function reading `cls` (written on first use)."""
        name = _fn(cls)
        if cls not in self.done:
            self.done.add(cls)
            # The strings are gathered in one list, `S`, made by the root's function and passed on.
            returned = ("i0, b0, S" if top else "i0, b0") if self.json else "i0"
            head = f"def {name}(o0):" if top or not self.json else f"def {name}(o0, S):"
            start = ["S = []"] if top and self.json else []
            lines = [head, *_indent(start + self._body(cls, 0, top=top), 1), f"    return {returned}"]
            self.sources.append("\n".join(lines))
        return name

    def _body(self, cls: type, n: int, *, top: bool = False) -> list[str]:
        """Lines reading the dict `o{n}` into the instance `i{n}` (its dict `d{n}`) and JSON `b{n}`."""
        attrs.resolve_types(cls)
        fields = attrs.fields(cls)
        for a in fields:
            if not a.init or a.kw_only or a.converter is not None or a.validator is not None:
                raise _Unsupported(f"{cls.__name__}.{a.name}")
            if a.default is not None:
                raise _Unsupported(f"{cls.__name__}.{a.name} has a default other than None")
        if hasattr(cls, "__attrs_post_init__") or "__slots__" in cls.__dict__:
            raise _Unsupported(cls.__name__)
        self.names[f"C_{cls.__name__}"] = cls
        self.names[f"D_{cls.__name__}"] = dict.fromkeys(a.name for a in fields)
        aliases = {canonical: alias for alias, canonical in model.ALIASES.get(cls, {}).items()}
        lines = [
            f"i{n} = new(C_{cls.__name__})",
            f"d{n} = i{n}.__dict__",
            f"d{n}.update(D_{cls.__name__})",  # every field None, then the present ones set
            *self._js(f"b{n} = {{}}"),
        ]
        for a in fields:
            lines += self._field(cls, a, aliases.get(a.name), n, top=top)
        return lines

    def _field(
        self, cls: type, a: attrs.Attribute[Any], alias: str | None, n: int, *, top: bool
    ) -> list[str]:
        """Reads field `a` of `o{n}` into `d{n}` and `b{n}` when present and not null."""
        key = a.name
        if not is_optional(a.type):
            raise _Unsupported(f"{cls.__name__}.{key}")
        inner = strip_none(a.type)
        o, d, b, v, x, m = (f"{name}{n}" for name in "odbvxm")
        body: list[str]
        if inner is Secret:
            if not (top and key in model.SECRET_FIELDS):
                raise _Unsupported(f"{cls.__name__}.{key}")
            body = [f"if type({v}) is not str: raise TypeError", f"{d}[{key!r}] = Secret({v})"]
        elif inner in _SCALARS:
            self.names[inner.__name__] = inner
            body = [
                f"if type({v}) is not {inner.__name__}: raise TypeError",
                self._store(d, b, key, v),
                *(self._js(f"S.append({v})") if inner is str else []),
            ]
        elif inner is float:
            body = [
                f"if (type({v}) is float or type({v}) is int) and isfinite({v}): {v} = float({v})",
                "else: raise TypeError",
                self._store(d, b, key, v),
            ]
        elif is_open_enum(inner):
            members, make, base = self._enum(inner)
            body = [  # inlined: a call per enum field would be a tenth of the decode
                f"if type({v}) is not {base}: raise TypeError",
                *self._js(f"{b}[{key!r}] = {v}"),
                *(self._js(f"S.append({v})") if base == "str" else []),
                f"{m} = {members}.get({v})",
                f"{d}[{key!r}] = {m} if {m} is not None else {make}({v})",
            ]
        elif attrs.has(inner) and n < _INLINE_DEPTH:
            body = [
                f"if type({v}) is not dict: raise TypeError",
                f"o{n + 1} = {v}",
                *self._body(inner, n + 1),
                f"{d}[{key!r}] = i{n + 1}",
                *self._js(f"{b}[{key!r}] = b{n + 1}"),
            ]
        elif attrs.has(inner):
            function = self._class(inner)
            body = [
                f"if type({v}) is not dict: raise TypeError",
                f"{d}[{key!r}], {b}[{key!r}] = {function}({v}, S)"
                if self.json
                else f"{d}[{key!r}] = {function}({v})",
            ]
        elif is_tuple_of(inner):
            body = self._items(key, typing.get_args(inner)[0], n)
        elif is_plain_union(inner) and set(typing.get_args(inner)) == {str, tuple[str, ...]}:
            hook = f"U_{cls.__name__}_{key}"
            self.names[hook] = self.unstructure_hook(a.type)
            body = [
                f"if type({v}) is list:",
                f"    for {x} in {v}:",
                f"        if type({x}) is not str: raise TypeError",
                f"    {v} = tuple({v})",
                *self._js(f"    S.extend({v})"),
                f"elif type({v}) is not str: raise TypeError",
                *self._js(f"else: S.append({v})"),
                f"{d}[{key!r}] = {v}",
                *self._js(f"{b}[{key!r}] = {hook}({v})"),
            ]
        else:
            raise _Unsupported(f"{cls.__name__}.{key}")
        if alias is None:
            return [
                f"if {key!r} in {o}:",
                f"    {v} = {o}[{key!r}]",
                f"    if {v} is not None:",
                *_indent(body, 2),
            ]
        # The second spelling is read when the first is absent, null or empty and it is not
        # (`factories._apply_aliases`).
        return [
            f"{v} = {o}[{key!r}] if {key!r} in {o} else None",
            f"if {alias!r} in {o}:",
            f"    {x} = {o}[{alias!r}]",
            f"    if {v} is None or (empty({v}) and not empty({x})):",
            f"        {v} = {x}",
            f"if {v} is not None:",
            *_indent(body, 1),
        ]

    def _js(self, line: str) -> list[str]:
        """`line`, which writes the JSON, when the JSON is written."""
        return [line] if self.json else []

    def _store(self, d: str, b: str, key: str, value: str) -> str:
        """The line storing `value` in the instance (and in the JSON, when it is written)."""
        return f"{d}[{key!r}] = {b}[{key!r}] = {value}" if self.json else f"{d}[{key!r}] = {value}"

    def _enum(self, cls: type) -> tuple[str, str, str]:
        """The names of an open enum's members by value and of the class (which makes a member
        of an unknown value), and the JSON type of its values."""
        self.names[f"M_{cls.__name__}"] = open_enum_members(cls)
        self.names[f"K_{cls.__name__}"] = cls
        return f"M_{cls.__name__}", f"K_{cls.__name__}", "str" if issubclass(cls, str) else "int"

    def _items(self, key: str, item: Any, n: int) -> list[str]:
        """A `tuple[X, ...]` field: a list whose items are each read as X; its JSON a new list."""
        d, b, v, x, m, t, j, y, z = (f"{name}{n}" for name in "dbvxmtjyz")
        head = [f"if type({v}) is not list: raise TypeError"]
        if item is str:
            return [
                *head,
                f"for {x} in {v}:",
                f"    if type({x}) is not str: raise TypeError",
                *self._js(f"{b}[{key!r}] = list({v})"),
                *self._js(f"S.extend({v})"),
                f"{d}[{key!r}] = tuple({v})",
            ]
        if is_open_enum(item):
            members, make, base = self._enum(item)
            return [
                *head,
                f"{t} = []",
                f"for {x} in {v}:",
                f"    if type({x}) is not {base}: raise TypeError",
                f"    {m} = {members}.get({x})",
                f"    {t}.append({m} if {m} is not None else {make}({x}))",
                *self._js(f"{b}[{key!r}] = list({v})"),
                *(self._js(f"S.extend({v})") if base == "str" else []),
                f"{d}[{key!r}] = tuple({t})",
            ]
        if attrs.has(item):
            function = self._class(item)
            return [
                *head,
                f"{t} = []",
                *self._js(f"{j} = []"),
                f"for {x} in {v}:",
                f"    if type({x}) is not dict: raise TypeError",
                f"    {y}, {z} = {function}({x}, S)" if self.json else f"    {y} = {function}({x})",
                f"    {t}.append({y})",
                *self._js(f"    {j}.append({z})"),
                f"{d}[{key!r}] = tuple({t})",
                *self._js(f"{b}[{key!r}] = {j}"),
            ]
        raise _Unsupported(f"tuple of {item!r}")


#: How deep nested objects are read inline before a function is called for them (the model nests
#: two deep: `user.domain`; a deeper or self-nesting class gets its own function).
_INLINE_DEPTH = 4


def _indent(lines: list[str], levels: int) -> list[str]:
    return [" " * (4 * levels) + line for line in lines]


def _fn(cls: type) -> str:
    return f"s_{cls.__name__}"
