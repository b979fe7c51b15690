"""Reading one spec file into plain data and its source map, collecting every problem on the way.

The format follows the extension: YAML (safe loading only, the YAML 1.2 core schema: `yes`, `no`,
`on`, `off` stay text, `0100` is 100, `1:30` and `2026-12-01` are text, so the tool reads what
JSON-schema-aware editors read), JSON or TOML. The file is read through `reconcile._files.read_text`
(regular files only, a size cap, never blocks). A number too long for Python (more than 4,300
digits, or a hexadecimal, octal or binary literal as large: those are read without the limit and
would fail only when printed) becomes a `HugeNumber` marker that validation reports at its path,
instead of failing the whole run.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import yaml

from reconcile._codec import dotted
from reconcile._core.errors import SpecProblem
from reconcile._files import FileRefused, HugeNumber, read_text
from reconcile._files.jsonparse import INT_DIGITS_LIMIT, decoder, huge_int, is_digit_limit, mark_huge_ints
from reconcile._specfile.sourcemap import (
    BaseLoader,
    JsonSourceMap,
    SourceMap,
    TomlSourceMap,
    YamlSourceMap,
    after_key,
    skip_ws,
)

__all__ = [
    "EXTENSIONS",
    "INVALID",
    "MAX_SPEC_BYTES",
    "YAML12_RESOLVERS",
    "Collector",
    "Parsed",
    "read_document",
]

#: Spec files larger than this are refused before they are read.
MAX_SPEC_BYTES = 10 * 1024 * 1024
#: File extensions and the format each means.
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}

Path_ = tuple[str | int, ...]
INVALID = object()


@attrs.define
class Collector:
    """Problems of one file; their lines are looked up in its source map once all are known."""

    file: str
    lines: SourceMap = attrs.field(factory=SourceMap)
    found: list[tuple[Path_, str, int | None]] = attrs.field(factory=list)

    def add(self, path: Path_, message: str, line: int | None = None) -> None:
        """Record a problem at `path` (its line is looked up later unless given)."""
        self.found.append((path, message, line))

    @property
    def problems(self) -> list[SpecProblem]:
        """Every problem, with its line, sorted by line then path."""
        out = [
            SpecProblem(self.file, line if line is not None else self.lines.line_of(path), dotted(path), msg)
            for path, msg, line in self.found
        ]
        return sorted(out, key=lambda p: (p.line or 0, p.path, p.message))


@attrs.frozen
class Parsed:
    """What one file holds: the data (or `INVALID`) and where each part is written."""

    data: Any
    lines: SourceMap


# -- YAML ---------------------------------------------------------------------------------------


class _Loader(BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader that notices repeated keys, keeps entry lines, and reads YAML 1.2 booleans."""

    duplicates = False
    entry_lines: dict[str, int] | None = None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Checked before `<<` merges are flattened, for this mapping and any written inline in a merge.
        for mapping in (
            node,
            *(v for k, v in node.value if k.value == "<<" and isinstance(v, yaml.MappingNode)),
        ):
            keys = [k.value for k, _ in mapping.value if isinstance(k, yaml.ScalarNode)]
            if len(keys) != len(set(keys)):
                self.duplicates = True
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        # YAML 1.2 core: decimal (leading zeros too: `0100` is 100, not YAML 1.1's octal 64), `0o`
        # octal, `0x` hexadecimal. The last two are read without Python's digit limit and would
        # fail only when printed: past it, they become a marker as a long decimal does.
        text = str(self.construct_scalar(node))
        try:
            if text.startswith(("0o", "0x")):
                value = int(text[2:], 8 if text[1] == "o" else 16)
            else:
                value = int(text, 10)
        except ValueError as exc:
            if not is_digit_limit(exc):
                raise yaml.constructor.ConstructorError(
                    None, None, f"expected an integer, got {text!r}", node.start_mark
                ) from None
            return HugeNumber(len(re.sub(r"[^0-9]", "", text)))
        return huge_int(value) or value

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        self.entry_lines = _entry_lines(node)
        return self.construct_document(node)


# The YAML 1.2 core schema, as the editors that check specs with the JSON schema read them, in place
# of PyYAML's YAML 1.1 resolvers: booleans are true/false only (`yes`/`no`/`on`/`off` stay strings,
# and spec validation names them), integers are decimal, `0o` octal or `0x` hexadecimal (YAML 1.1
# read `0100` as 64, `1:30` as 90 and `1_000` as 1000), floats have no `_` or `:`, and there are no
# timestamps (`2026-12-01` is text) and no `=` value key.
_YAML11 = {f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp", "value")}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11]
    for first, resolvers in BaseLoader.yaml_implicit_resolvers.items()
}


def _not_plain_data(loader: _Loader, node: yaml.Node) -> Any:
    # A set, bytes, a date or an ordered map is no JSON value (and a set prints in hash order).
    raise yaml.constructor.ConstructorError(
        None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark
    )


for _name in ("set", "binary", "timestamp", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_name}", _not_plain_data)


#: The YAML 1.2 core schema's resolvers of plain scalars: (tag, pattern, first characters). The spec
#: writer quotes a string either schema would read as something else.
YAML12_RESOLVERS: tuple[tuple[str, re.Pattern[str], list[str]], ...] = (
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    (
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    ),
)
for _tag, _pattern, _first in YAML12_RESOLVERS:
    _Loader.add_implicit_resolver(_tag, _pattern, _first)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _entry_lines(root: yaml.Node) -> dict[str, int] | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "notebooks"
            and isinstance(value, yaml.MappingNode)
        ):
            lines: dict[str, int] = {}
            for entry_key, _ in value.value:
                if isinstance(entry_key, yaml.ScalarNode):
                    lines.setdefault(entry_key.value, entry_key.start_mark.line + 1)
            return lines
    return None


def _parse_yaml(text: str, col: Collector) -> Any:
    lines = YamlSourceMap(text)
    col.lines = lines
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except RecursionError:
        col.add((), "nested too deeply (a spec is a few levels deep)")
        return INVALID
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line: int | None = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
            tag = re.search(r"'([^']*)'", problem)
            shown = (tag.group(1) if tag else problem).replace("tag:yaml.org,2002:", "!!")
            message = f"refused YAML tag {shown}: a spec holds plain data only (safe loading)"
        elif isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc):
            message = "more than one YAML document (expected exactly one)"
        else:
            context = getattr(exc, "context", None)
            message = f"invalid YAML: {context + ', ' if context else ''}{problem}"
        col.add((), message, line)
        return INVALID
    finally:
        loader.dispose()
    col.lines = YamlSourceMap(text, loader.entry_lines)
    if loader.duplicates:
        col.lines.line(("",))  # the walk finds where
        for path, dupe_line in col.lines.duplicates:
            col.add(path, "duplicate key (each key may appear once)", dupe_line)
    return data


# -- JSON ---------------------------------------------------------------------------------------


def _no_duplicates() -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An `object_pairs_hook` that refuses a key written twice in one object.

    The walk parses entry by entry, so the parser's own key memo is lost between entries: this hook
    keeps one string per key spelling for the parse instead (10,000 entries share one "flavor", as
    with a single `json.loads`).
    """
    keys: dict[str, str] = {}
    shared = keys.setdefault

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for written, value in pairs:
            out[shared(written, written)] = value
        if len(out) != len(pairs):  # a key written twice: name the first one repeated
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise ValueError(f'duplicate key "{key}"')
                seen.add(key)
        return out

    return hook


def _walk_json(text: str, dec: Any) -> tuple[Any, dict[str, int], dict[str, tuple[int, int]]]:
    """Parse `text`, noting the offsets of the top-level keys and of each `notebooks` key.

    Only those two levels are walked here; every value below is parsed by the C decoder.
    """
    top: dict[str, int] = {}
    entries: dict[str, tuple[int, int]] = {}
    lines = _Lines(text)
    at = skip_ws(text, 0)
    if at >= len(text) or text[at] != "{":
        return dec.decode(text), top, entries
    pairs: list[tuple[str, Any]] = []
    at = skip_ws(text, at + 1)
    if text[at] != "}":
        while True:
            key, value_at = after_key(text, at)
            top.setdefault(key, lines(at))
            if key == "notebooks" and text[value_at] == "{":
                value, end = _walk_members(text, value_at, dec, entries, lines)
            else:
                value, end = dec.raw_decode(text, value_at)
            pairs.append((key, value))
            at = skip_ws(text, end)
            if text[at] == "}":
                break
            if text[at] != ",":
                raise ValueError("expected ',' or '}'")
            at = skip_ws(text, at + 1)
    if skip_ws(text, at + 1) != len(text):
        raise ValueError("extra data")
    return dec.object_pairs_hook(pairs), top, entries


class _Lines:
    """The line of offsets met in increasing order (one count of newlines between each two)."""

    def __init__(self, text: str) -> None:
        self._text, self._offset, self._line = text, 0, 1

    def __call__(self, offset: int) -> int:
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def _walk_members(
    text: str, at: int, dec: Any, offsets: dict[str, tuple[int, int]], lines: _Lines
) -> tuple[Any, int]:
    # The hot loop of a large JSON spec: one C scan per entry, a few C calls around it.
    ws: Any = _WS.match  # always matches (the pattern accepts nothing)
    scan, scanstring = dec.scan_once, json.decoder.scanstring  # type: ignore[attr-defined]
    pairs: list[tuple[str, Any]] = []
    at = skip_ws(text, at + 1)
    if text[at] == "}":
        return dec.object_pairs_hook(pairs), at + 1
    while True:
        if text[at] != '"':
            raise ValueError("expected a key")
        key, end = scanstring(text, at + 1)
        if key not in offsets:
            offsets[key] = (at, lines(at))
        end = ws(text, end).end()
        if text[end] != ":":
            raise ValueError("expected ':'")
        try:
            value, end = scan(text, ws(text, end + 1).end())
        except StopIteration:
            raise ValueError("expected a value") from None
        pairs.append((key, value))
        at = ws(text, end).end()
        if text[at] == "}":
            return dec.object_pairs_hook(pairs), at + 1
        if text[at] != ",":
            raise ValueError("expected ',' or '}'")
        at = ws(text, at + 1).end()


_WS = re.compile(r"[ \t\n\r]*")


def _json_error(text: str, col: Collector) -> None:
    """Word the error of a JSON text that did not parse (the standard parser says where)."""
    try:
        decoder(_no_duplicates(), mark_huge=True).decode(text)
    except json.JSONDecodeError as exc:
        col.add((), f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
    except RecursionError:
        col.add((), "nested too deeply (a spec is a few levels deep)")
    except ValueError as exc:
        col.add((), f"invalid JSON: {exc}")
    else:
        col.add((), "invalid JSON")


def _parse_json(text: str, col: Collector) -> Any:
    for mark_huge in (False, True):
        try:
            data, top, entries = _walk_json(text, decoder(_no_duplicates(), mark_huge=mark_huge))
        except RecursionError:
            col.add((), "nested too deeply (a spec is a few levels deep)")
            return INVALID
        except (ValueError, IndexError) as exc:
            if not mark_huge and isinstance(exc, ValueError) and is_digit_limit(exc):
                continue
            _json_error(text, col)
            return INVALID
        col.lines = JsonSourceMap(text, top, entries)
        return data
    return INVALID  # pragma: no cover (the second pass either parses or reports)


# -- TOML ---------------------------------------------------------------------------------------


#: A TOML hexadecimal, octal or binary integer long enough to pass the digit limit in decimal.
_LONG_RADIX_INT = re.compile(r"0[xob][0-9A-Fa-f_]{1000,}")


def _parse_toml(text: str, col: Collector) -> Any:
    col.lines = TomlSourceMap()
    try:
        data = tomllib.loads(text)
        # `0x...`, `0o...` and `0b...` are read without the digit limit, and would fail only when
        # printed: such a number becomes a marker, reported at its path as a decimal one would be.
        return mark_huge_ints(data) if _LONG_RADIX_INT.search(text) else data
    except RecursionError:
        col.add((), "nested too deeply (a spec is a few levels deep)")
        return INVALID
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "syntax error"
        col.add((), f"invalid TOML: {message}", line)
        return INVALID
    except ValueError as exc:
        if not is_digit_limit(exc):
            raise
        long_number = re.search(f"[0-9_]{{{INT_DIGITS_LIMIT + 1},}}", text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else None
        digits = len(long_number.group().replace("_", "")) if long_number else INT_DIGITS_LIMIT + 1
        col.add((), HugeNumber(digits).problem, line)
        return INVALID


_PARSERS = {"yaml": _parse_yaml, "json": _parse_json, "toml": _parse_toml}


def read_document(path: str | Path, col: Collector) -> Parsed:
    """Read and parse one spec file; problems go to `col` and the data is then `INVALID`."""
    suffix = Path(path).suffix.lower()
    try:
        if suffix not in EXTENSIONS and not Path(path).is_dir():
            if not Path(path).exists():
                raise FileRefused(str(path), "no such file")
            expected = "expected .yaml, .yml, .json or .toml"
            col.add((), f'unknown spec file extension "{Path(path).suffix}" ({expected})')
            return Parsed(INVALID, col.lines)
        text = read_text(path, what="a spec file: .yaml, .yml, .json or .toml", limit=MAX_SPEC_BYTES)
    except FileRefused as exc:
        col.add((), exc.reason, exc.line)
        return Parsed(INVALID, col.lines)
    if not text.strip():
        col.add((), "file is empty (expected a mapping with `version: 1` and `notebooks`)")
        return Parsed(INVALID, col.lines)
    data = _PARSERS[EXTENSIONS[suffix]](text, col)
    return Parsed(data, col.lines)
