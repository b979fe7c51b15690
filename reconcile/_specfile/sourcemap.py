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

import json
import os
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

    def release(self, path: str) -> None:
        """Loading is over: the map may drop what it kept for the loader's own messages."""

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
        self._text = _Text(text)
        self._entries = entry_lines
        self._lines: dict[Path_, int] | None = None
        self.duplicates: list[tuple[Path_, int]] = []

    def release(self, path: str) -> None:
        """Loading is over: drop the text, read it again (if unchanged) when a field line is asked for."""
        if self._lines is None:
            self._text.release(path)

    def _all(self) -> dict[Path_, int]:
        if self._lines is None:
            self._lines = {}
            text = self._text.get()
            if text is not None:
                try:
                    node = yaml.compose(text, Loader=BaseLoader)
                    if node is not None:
                        yaml_lines(node, (), self._lines, self.duplicates, set())
                except (yaml.YAMLError, RecursionError):
                    pass  # best effort: the problem itself was already reported
            self._text = _Text("")
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

    def __init__(self, text: str, top: dict[str, int], entries: dict[str, tuple[int, int]]) -> None:
        self._text = _Text(text)
        self._top = top  # key -> line of the key
        self._entries = entries  # local name -> (offset, line) of the key
        self._fields: dict[str, dict[Path_, int]] = {}

    def release(self, path: str) -> None:
        """Loading is over: drop the text, read it again (if unchanged) when a field line is asked for."""
        self._text.release(path)

    def _entry_fields(self, name: str) -> dict[Path_, int]:
        found = self._fields.get(name)
        if found is None:
            found = {}
            text = self._text.get()
            where = self._entries.get(name)
            if where is not None and text is not None:
                offset, line = where
                counter = _LineCounter(text, offset, line)
                try:
                    _, value_at = after_key(text, offset)
                    _scan(text, value_at, (), found, counter)
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
                    return self._entries[name][1]
                return self._entry_fields(name).get(path[2:])
        if len(path) == 1:
            return self._top.get(str(path[0]))
        return None

    def entry_line(self, name: str) -> int | None:
        where = self._entries.get(name)
        return None if where is None else where[1]

    def field_lines(self, name: str, raw: Any = None) -> dict[str, int | None]:
        return {dotted(p): line for p, line in self._entry_fields(name).items()}


class _LineCounter:
    """Lines of offsets met in increasing order, counted from a known (offset, line)."""

    def __init__(self, text: str, offset: int, line: int) -> None:
        self._text, self._offset, self._line = text, offset, line

    def __call__(self, offset: int) -> int:
        if offset >= self._offset:
            self._line += self._text.count("\n", self._offset, offset)
        else:  # pragma: no cover (the scan only moves forward)
            self._line -= self._text.count("\n", offset, self._offset)
        self._offset = offset
        return self._line


class _Text:
    """A file's text while loading; afterwards only where it lives, read again if it is unchanged."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._path: str | None = None
        self._stamp: tuple[int, int] | None = None
        self._digest = hash(text)

    def release(self, path: str) -> None:
        try:
            info = os.stat(path)
        except OSError:
            return  # keep the text: it cannot be read again
        self._path, self._stamp, self._text = path, (info.st_size, info.st_mtime_ns), None

    def get(self) -> str | None:
        if self._text is not None or self._path is None:
            return self._text
        try:
            info = os.stat(self._path)
            if (info.st_size, info.st_mtime_ns) != self._stamp:
                return None
            with open(self._path, encoding="utf-8-sig") as handle:  # a regular file: checked when loaded
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            return None
        if hash(text) != self._digest:
            self._path = None  # changed since it was loaded: no lines rather than wrong ones
            return None
        self._text = text  # kept from now on: a report asking for one entry's lines asks for all
        return text


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
