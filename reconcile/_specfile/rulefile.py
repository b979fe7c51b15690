"""Reading the policy and waiver files: YAML (safe), JSON or TOML by extension, with key lines.

Parsing is the spec reader's (`reconcile._specfile.document`), so these files get the same guards:
regular files only and a size cap (the guarded reader), duplicate keys refused, YAML 1.2 booleans
(`no` is text, never false), numbers past Python's digit limit reported at their line, nesting and
alias bombs bounded. This module adds what the policy and waiver validators need on top: a mapping
at the top, and "which line declares this path" for their messages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import yaml

from reconcile._core.errors import SpecProblem
from reconcile._core.location import Location
from reconcile._specfile import document as _document

__all__ = ["Collector", "Document", "read_document"]

Path_ = tuple[str | int, ...]
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_document(path: str | Path, what: str) -> tuple[Document | None, list[SpecProblem]]:
    """Read a policy or waiver file (`what` names it in messages).

    Returns:
        The document (None when it cannot be read or parsed) and the problems found.
    """
    file = str(path)
    col = _document.Collector(file)
    parsed = _document.read_document(path, col)
    problems = [attrs.evolve(p, message=p.message.replace("spec file", f"{what} file")) for p in col.problems]
    if parsed.data is _document.INVALID or problems:
        return None, problems
    data: Any = parsed.data
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        return None, [SpecProblem(file, None, "", f"expected a mapping with `version: 1`, got {found}")]
    return Document(file, data, _key_lines(Path(path))), []


def _key_lines(path: Path) -> dict[Path_, int]:
    """The line of every key and list item of a YAML or JSON file (JSON read as YAML); none for TOML.

    Each node is walked once, so a node reached again through an alias (an alias bomb) costs nothing.
    """
    if _document.EXTENSIONS.get(path.suffix.lower()) == "toml":
        return {}
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_BaseLoader)
    except (yaml.YAMLError, RecursionError, OSError, ValueError):
        return {}  # JSON that YAML cannot read: no lines, the data is still good
    out: dict[Path_, int] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Path_]] = [(node, ())] if node is not None else []
    while stack:
        current, at = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    out.setdefault((*at, key.value), key.start_mark.line + 1)
                    stack.append((value, (*at, key.value)))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                out.setdefault((*at, i), item.start_mark.line + 1)
                stack.append((item, (*at, i)))
    return out
