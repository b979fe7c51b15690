"""Where each key and list item of a spec document is written: the source map of one file.

A `SourceMap` answers `line(path)` for a document path (`("notebooks", "box", "lease", "duration")`)
and, per entry, `entry_line(name)` and `field_lines(name)` (dotted paths inside the entry, as written:
`lease.duration`, `endpoints[0].allowed_access_ips`, `ignore_changes[1]`).

Cost is kept off the common path: entry lines are read while the document is parsed (YAML: from the
root node the parser builds anyway; JSON: from the offsets of one walk of the top level), and the
lines of fields are found only when first asked for: YAML composes the text again (once per file),
JSON scans just that entry's text from its recorded offset. TOML keeps no positions (`tomllib` has
none): every line is None there, but the paths are still listed.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from reconcile._codec import dotted

__all__ = [
    "JsonSourceMap",
    "SourceMap",
    "TomlSourceMap",
    "YamlSourceMap",
    "after_key",
    "skip_ws",
    "yaml_lines",
]

Path_ = tuple[str | int, ...]

#: The YAML loader family: libyaml's parser where PyYAML was built with it, PyYAML's own otherwise.
BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SourceMap:
    """Lines of a document with no positions (data given in code): every answer is None."""

    def line(self, path: Path_) -> int | None:
        """The line of `path`, or None."""
        return None

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of the nearest enclosing key that has one."""
        for end in range(len(path), 0, -1):
            found = self.line(path[:end])
            if found is not None:
                return found
        return None

    def entry_line(self, name: str) -> int | None:
        """The line of the key `notebooks.NAME`."""
        return self.line(("notebooks", name))

    def field_lines(self, name: str, raw: Any = None) -> dict[str, int | None]:
        """Every key and list item under entry `name`, by dotted path inside it, with its line.

        `raw` (the entry as parsed) lists the paths where the format keeps no positions.
        """
        out: dict[str, int | None] = {}
        _paths(raw, (), out)
        return out


def _paths(value: Any, path: Path_, out: dict[str, int | None]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = (*path, str(key))
            out.setdefault(dotted(child), None)
            _paths(item, child, out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out.setdefault(dotted((*path, i)), None)
            _paths(item, (*path, i), out)


class TomlSourceMap(SourceMap):
    """TOML: no positions (`tomllib` keeps none); the paths are still listed."""


def yaml_lines(
    node: yaml.Node, path: Path_, out: dict[Path_, int], dupes: list[tuple[Path_, int]], seen: set[int]
) -> None:
    """Record the line of every key and list item under `node`, and keys repeated in one mapping.

    Each node is visited once: an alias points at a node already recorded where its anchor is, so
    a "billion laughs" document costs no more than its text.
    """
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys_here: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in keys_here:
                dupes.append((child, line))
            keys_here.add(key)
            out.setdefault(child, line)
            yaml_lines(value_node, child, out, dupes, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.setdefault((*path, i), item.start_mark.line + 1)
            yaml_lines(item, (*path, i), out, dupes, seen)


class YamlSourceMap(SourceMap):
    """YAML: entry lines from the parse; every other line from composing the text again, once."""

    def __init__(self, text: str, entry_lines: dict[str, int] | None = None) -> None:
        self._text: str | None = text
        self._entries = entry_lines
        self._lines: dict[Path_, int] | None = None
        self.duplicates: list[tuple[Path_, int]] = []

    def _all(self) -> dict[Path_, int]:
        if self._lines is None:
            self._lines = {}
            if self._text is not None:
                try:
                    node = yaml.compose(self._text, Loader=BaseLoader)
                    if node is not None:
                        yaml_lines(node, (), self._lines, self.duplicates, set())
                except (yaml.YAMLError, RecursionError):
                    pass  # best effort: the problem itself was already reported
                self._text = None
        return self._lines

    def line(self, path: Path_) -> int | None:
        if self._entries is not None and len(path) == 2 and path[0] == "notebooks":
            found = self._entries.get(str(path[1]))
            if found is not None:
                return found
        return self._all().get(path)

    def field_lines(self, name: str, raw: Any = None) -> dict[str, int | None]:
        prefix = ("notebooks", name)
        return {dotted(p[2:]): line for p, line in self._all().items() if p[:2] == prefix and len(p) > 2}


class JsonSourceMap(SourceMap):
    """JSON: top-level keys and entry offsets from the parse; an entry's fields scanned on demand."""

    def __init__(self, text: str, top: dict[str, int], entries: dict[str, int]) -> None:
        self._text = text
        self._top = top  # key -> offset of the key
        self._entries = entries  # local name -> offset of the key
        self._newlines: list[int] | None = None
        self._fields: dict[str, dict[Path_, int]] = {}

    def _line_at(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        return bisect.bisect_left(self._newlines, offset) + 1

    def _entry_fields(self, name: str) -> dict[Path_, int]:
        found = self._fields.get(name)
        if found is None:
            found = {}
            offset = self._entries.get(name)
            if offset is not None:
                try:
                    _, value_at = after_key(self._text, offset)
                    _scan(self._text, value_at, (), found, self._line_at)
                except (ValueError, IndexError, RecursionError):
                    pass  # best effort: what was found so far stays
            self._fields[name] = found
        return found

    def line(self, path: Path_) -> int | None:
        if not path:
            return None
        if path[0] == "notebooks" and len(path) >= 2:
            name = str(path[1])
            if name in self._entries:
                if len(path) == 2:
                    return self._line_at(self._entries[name])
                return self._entry_fields(name).get(path[2:])
        if len(path) == 1 and str(path[0]) in self._top:
            return self._line_at(self._top[str(path[0])])
        return None

    def entry_line(self, name: str) -> int | None:
        offset = self._entries.get(name)
        return None if offset is None else self._line_at(offset)

    def field_lines(self, name: str, raw: Any = None) -> dict[str, int | None]:
        return {dotted(p): line for p, line in self._entry_fields(name).items()}


_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = json.JSONDecoder(parse_int=lambda s: 0, parse_float=lambda s: 0.0)


def skip_ws(text: str, at: int) -> int:
    match = _WS.match(text, at)
    return match.end() if match else at


def after_key(text: str, at: int) -> tuple[str, int]:
    """The key string starting at `at` (its opening quote) and the offset of its value."""
    key, end = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
    end = skip_ws(text, end)
    if text[end] != ":":
        raise ValueError("expected ':'")
    return key, skip_ws(text, end + 1)


def _scan(text: str, at: int, path: Path_, out: dict[Path_, int], line_at: Any) -> int:
    """Record the line of every key and item of the JSON value at `at`; returns the offset after it."""
    at = skip_ws(text, at)
    char = text[at]
    if char == "{":
        at = skip_ws(text, at + 1)
        if text[at] == "}":
            return at + 1
        while True:
            key, value_at = after_key(text, at)
            child = (*path, key)
            out.setdefault(child, line_at(at))
            at = skip_ws(text, _scan(text, value_at, child, out, line_at))
            if text[at] == "}":
                return at + 1
            if text[at] != ",":
                raise ValueError("expected ',' or '}'")
            at = skip_ws(text, at + 1)
    if char == "[":
        at = skip_ws(text, at + 1)
        if text[at] == "]":
            return at + 1
        i = 0
        while True:
            child = (*path, i)
            out.setdefault(child, line_at(at))
            at = skip_ws(text, _scan(text, at, child, out, line_at))
            if text[at] == "]":
                return at + 1
            if text[at] != ",":
                raise ValueError("expected ',' or ']'")
            at = skip_ws(text, at + 1)
            i += 1
    _, end = _SCALAR.scan_once(text, at)  # type: ignore[attr-defined]
    return int(end)
