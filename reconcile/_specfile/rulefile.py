"""Reading the policy and waiver files: YAML (safe), JSON or TOML by extension, with key lines.

A small reader of its own (the spec loader keeps its reading private): it parses the file, refuses
duplicate keys and anything that is not a mapping at the top, and answers "which line declares this
path" for error messages, for YAML and JSON (TOML keeps no positions).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import yaml

from reconcile._core.errors import SpecProblem
from reconcile._core.location import Location

__all__ = ["MAX_BYTES", "Collector", "Document", "read_document"]

#: Policy and waiver files larger than this are refused before they are read.
MAX_BYTES = 4 * 1024 * 1024
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


def dotted(path: Path_) -> str:
    """`("rules", "MA005", "max_lease")` as `rules.MA005.max_lease`; list items as `[0]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@attrs.define
class Document:
    """A parsed file: its data and the line of each key or list item (empty for TOML)."""

    file: str
    data: Any
    lines: dict[Path_, int] = attrs.field(factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of the nearest enclosing key that has one."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def location(self, path: Path_) -> Location:
        """Where `path` is declared."""
        return Location(self.file, self.line_of(path), dotted(path))


@attrs.define
class Collector:
    """The problems of one file, reported together, sorted by line."""

    file: str
    line_of: Callable[[Path_], int | None] = lambda _: None
    found: list[SpecProblem] = attrs.field(factory=list)

    def add(self, path: Path_, message: str, line: int | None = None) -> None:
        self.found.append(
            SpecProblem(self.file, line if line is not None else self.line_of(path), dotted(path), message)
        )

    @property
    def problems(self) -> list[SpecProblem]:
        return sorted(self.found, key=lambda p: (p.line or 0, p.path, p.message))


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int], depth: int = 0) -> None:
    if depth > 64:
        return
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                key = (*path, k.value)
                out.setdefault(key, k.start_mark.line + 1)
                _lines(v, key, out, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = (*path, i)
            out.setdefault(key, item.start_mark.line + 1)
            _lines(item, key, out, depth + 1)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {k.value!r} written twice", k.start_mark
                    )
                seen.add(k.value)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} written twice")
        out[k] = v
    return out


def read_document(path: str | Path, what: str) -> tuple[Document | None, list[SpecProblem]]:
    """Read a policy or waiver file (`what` names it in messages).

    Returns:
        The document (None when it cannot be read or parsed) and the problems found.
    """
    file = str(path)
    col = Collector(file)
    p = Path(path)
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt is None:
        col.add((), f"unknown extension (expected a {what} file ending in .yaml, .yml, .json or .toml)")
        return None, col.problems
    try:
        if not p.is_file():
            col.add((), "not a regular file" if p.exists() else "no such file")
            return None, col.problems
        if p.stat().st_size > MAX_BYTES:
            col.add((), f"larger than {MAX_BYTES // (1024 * 1024)} MiB (expected a {what} file)")
            return None, col.problems
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        col.add((), f"not UTF-8 text (byte {exc.start})")
        return None, col.problems
    except OSError as exc:
        col.add((), exc.strerror or str(exc))
        return None, col.problems
    lines: dict[Path_, int] = {}
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text, object_pairs_hook=_no_duplicates)
        else:
            data = yaml.load(text, Loader=_Loader)  # a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        col.add((), f"invalid YAML: {exc.problem or exc}", mark.line + 1 if mark else None)
        return None, col.problems
    except yaml.YAMLError as exc:
        col.add((), f"invalid YAML: {exc}")
        return None, col.problems
    except json.JSONDecodeError as exc:
        col.add((), f"invalid JSON: {exc.msg}", exc.lineno)
        return None, col.problems
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        col.add((), f"invalid {fmt.upper()}: {' '.join(str(exc).split())}")
        return None, col.problems
    if fmt != "toml":
        try:
            node = yaml.compose(text, Loader=_BaseLoader)
            if node is not None:
                _lines(node, (), lines)
        except (yaml.YAMLError, RecursionError):
            pass  # JSON that YAML cannot read: no lines, the data is still good
    if not isinstance(data, dict):
        col.add(
            (),
            f"expected a mapping with `version: 1`, got {'nothing' if data is None else type(data).__name__}",
        )
        return None, col.problems
    return Document(file, data, lines), []
