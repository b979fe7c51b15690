"""Loading spec files: structure each entry, apply the rules, merge the files, keep the source map.

Every problem in every file is collected and reported together, one per line, as
`FILE:LINE: dotted.path: what is wrong (what was expected)`, sorted by line: syntax, types, unknown
keys, values, and the identity checks across files (a local name, a notebook id or a looked-up name
used twice), which run on every entry whose identity can be read even when the file has other
problems. Each `SpecEntry` keeps its `location` and its `field_locations` (see `SpecEntry`).

Reading and parsing are `reconcile._specfile.document`'s; the lines `reconcile._specfile.sourcemap`'s;
the rules `reconcile._specfile.rules`'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from reconcile._codec import StructureError, describe_value, structure_spec
from reconcile._core.errors import SpecError, SpecProblem
from reconcile._core.location import Location
from reconcile._core.spec import SPEC_VERSION, IgnoreRule, NotebookSpec, Spec, SpecDocument, SpecEntry
from reconcile._specfile import rules
from reconcile._specfile.document import EXTENSIONS, INVALID, MAX_SPEC_BYTES, Collector, read_document
from reconcile._specfile.sourcemap import JsonSourceMap, SourceMap, YamlSourceMap

__all__ = [
    "EXTENSIONS",
    "MAX_SPEC_BYTES",
    "FieldLocations",
    "LoadedFile",
    "load_spec",
    "load_spec_file",
    "spec_from_data",
]

Path_ = tuple[str | int, ...]


class FieldLocations(Mapping[str, Location]):
    """`SpecEntry.field_locations`: the lines of one entry's fields, found on first access."""

    __slots__ = ("_built", "_file", "_lines", "_name", "_raw")

    def __init__(self, file: str, name: str, lines: SourceMap, raw: Any) -> None:
        self._file, self._name, self._lines, self._raw = file, name, lines, raw
        self._built: dict[str, Location] | None = None

    def _all(self) -> dict[str, Location]:
        if self._built is None:
            prefix = f"notebooks.{self._name}."
            found = self._lines.field_lines(self._name, self._raw)
            self._built = {
                key: Location(self._file, line, prefix + key.removeprefix(".")) for key, line in found.items()
            }
            self._raw = None
        return self._built

    def __getitem__(self, key: str) -> Location:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"FieldLocations({self._file!r}, {self._name!r})"


@attrs.frozen
class LoadedFile:
    """One spec file after loading: its document (None with problems), problems, source map.

    Attributes:
        document: the valid entries (all of them only when `problems` is empty).
        problems: every problem found in the file, sorted by line.
        lines: the file's source map.
        identities: `(local name, "id" | "name", value)` of every entry whose identity could be read,
            valid or not, for the checks across files.
        raw: each entry as parsed (TOML lists its field paths from it).
    """

    document: SpecDocument | None
    problems: list[SpecProblem]
    lines: SourceMap
    identities: list[tuple[str, str, str]] = attrs.field(factory=list)
    raw: Mapping[str, Any] = attrs.field(factory=dict)


def _identity(raw: Any) -> tuple[str, str] | None:
    if not isinstance(raw, Mapping):
        return None
    for key in ("id", "name"):
        value = raw.get(key)
        if type(value) is str and value.strip():
            return key, value
        if key in raw and value is not None:
            return None  # a bad id is reported as such, not looked up by name
    return None


def _structure_entry(name: str, raw: Any, col: Collector) -> NotebookSpec | None:
    base: Path_ = ("notebooks", name)
    if not isinstance(raw, Mapping):
        col.add(base, f"expected a mapping of notebook settings, got {describe_value(raw)}")
        return None
    raw = dict(raw)
    if raw.get("ignore_changes", 0) is None:
        del raw["ignore_changes"]
    tags_ok = "tags" not in raw or raw["tags"] is None or rules.check_tags(raw["tags"], base, col)
    if not tags_ok:
        del raw["tags"]
    try:
        nb = structure_spec(raw, NotebookSpec)
    except StructureError as exc:
        bad = set()
        for issue in exc.issues:
            col.add((*base, *issue.path), issue.message)
            if issue.path:
                bad.add(issue.path[0])
        # Check what is left too, so one run reports every problem of the entry.
        try:
            rest = structure_spec({k: v for k, v in raw.items() if k not in bad}, NotebookSpec)
        except StructureError:
            return None
        written = raw.get("ignore_changes") if "ignore_changes" not in bad else None
        rules.check_entry(name, rest, col, written, skip_identity=bool(bad & {"id", "name"}))
        return None
    rules.check_entry(name, nb, col, raw.get("ignore_changes"))
    return nb if tags_ok else None


def _document(
    data: Any, col: Collector, identities: list[tuple[str, str, str]] | None = None
) -> SpecDocument | None:
    """The document of parsed `data`: every valid entry, or None when it is not a spec at all."""
    if not isinstance(data, Mapping):
        col.add((), f"expected a mapping with `version: 1` and `notebooks`, got {describe_value(data)}")
        return None
    rules.unknown_top_keys(data, col)
    version = data.get("version")
    if "version" not in data:
        col.add((), "missing `version` (expected `version: 1`)", 1)
    elif type(version) is not int or version != SPEC_VERSION:
        col.add(
            ("version",), f"unsupported spec version {describe_value(version)} (this release reads version 1)"
        )
    project_id = data.get("project_id")
    if project_id is not None and type(project_id) is not str:
        col.add(("project_id",), f"expected string, got {describe_value(project_id)}")
        project_id = None
    notebooks = data.get("notebooks")
    entries: dict[str, NotebookSpec] = {}
    if "notebooks" not in data:
        col.add((), "missing `notebooks` (expected a mapping of local name to notebook settings)", 1)
    elif notebooks is None:
        pass  # `notebooks:` with nothing under it: a valid, empty fleet
    elif not isinstance(notebooks, Mapping):
        col.add(
            ("notebooks",),
            f"expected a mapping of local name to notebook settings, got {describe_value(notebooks)}",
        )
    else:
        for name, raw in notebooks.items():
            if type(name) is not str or not rules.LOCAL_NAME.fullmatch(name):
                col.add(
                    ("notebooks", str(name)),
                    "invalid local name (expected letters, digits, _ and -, starting with a letter or _)",
                )
                continue
            identity = _identity(raw)
            if identity is not None and identities is not None:
                identities.append((name, *identity))
            nb = _structure_entry(name, raw, col)
            if nb is not None:
                entries[name] = nb
    unmanaged = rules.ignore_rules(data.get("unmanaged"), col)
    return SpecDocument(
        version=SPEC_VERSION, notebooks=entries, project_id=project_id, unmanaged_ignore=unmanaged
    )


def load_spec_file(path: str | Path) -> LoadedFile:
    """Read and validate one spec file (see `LoadedFile`)."""
    col = Collector(str(path))
    parsed = read_document(path, col)
    if parsed.data is INVALID:
        return LoadedFile(None, col.problems, col.lines)
    if parsed.data is None:
        col.add((), "file holds no data (expected a mapping with `version: 1` and `notebooks`)")
        return LoadedFile(None, col.problems, col.lines)
    identities: list[tuple[str, str, str]] = []
    doc = _document(parsed.data, col, identities)
    problems = col.problems  # their lines are looked up now, while the text is at hand
    col.lines.release(str(path))
    notebooks = parsed.data.get("notebooks") if isinstance(parsed.data, Mapping) else None
    raw = notebooks if isinstance(notebooks, Mapping) else {}
    return LoadedFile(doc, problems, col.lines, identities, raw)


def _entry(file: str, name: str, nb: NotebookSpec, lines: SourceMap, raw: Any) -> SpecEntry:
    if isinstance(lines, YamlSourceMap | JsonSourceMap):
        raw = None  # their paths come from the text: the parsed entry need not be kept
    return SpecEntry(
        name,
        nb,
        file,
        location=Location(file, lines.entry_line(name), f"notebooks.{name}"),
        field_locations=FieldLocations(file, name, lines, raw),
    )


def spec_from_data(data: Mapping[str, Any], file: str = "<data>") -> Spec:
    """Validate an already-parsed spec document (what a YAML, JSON or TOML file holds).

    Raises:
        SpecError: listing every problem, with paths (no lines: there is no file).
    """
    col = Collector(file)
    doc = _document(data, col)
    if doc is None or col.found:
        raise SpecError(col.problems)
    notebooks = data.get("notebooks") or {}
    return Spec(
        entries=tuple(_entry(file, n, nb, col.lines, notebooks.get(n)) for n, nb in doc.notebooks.items()),
        project_id=doc.project_id,
        files=(file,),
        unmanaged_ignore=doc.unmanaged_ignore,
    )


def load_spec(paths: Sequence[str | Path]) -> Spec:
    """Read, validate and merge spec files.

    Raises:
        SpecError: listing every problem in every file: syntax, types, unknown keys, values, a local
            name or a notebook id used twice, contradictory project ids.
    """
    if not paths:
        raise SpecError([SpecProblem("<command line>", None, "", "no spec files given")])
    problems: list[SpecProblem] = []
    entries: dict[str, SpecEntry] = {}
    declared: dict[str, tuple[str, SourceMap]] = {}  # local name -> the file (and its lines) declaring it
    managed: dict[tuple[str, str], str] = {}  # identity -> the entry that manages it
    project: tuple[str, str] | None = None
    ignore: list[IgnoreRule] = []
    for path in paths:
        loaded = load_spec_file(path)
        problems += loaded.problems
        file, lines = str(path), loaded.lines
        doc = loaded.document
        if doc is not None and doc.project_id is not None:
            if project is not None and project[0] != doc.project_id:
                problems.append(
                    SpecProblem(
                        file,
                        lines.line(("project_id",)),
                        "project_id",
                        f'"{doc.project_id}" contradicts "{project[0]}" in {project[1]}',
                    )
                )
            project = project or (doc.project_id, file)
        for name, key, value in loaded.identities:
            if name in declared:
                first_file, first_lines = declared[name]
                first_line = first_lines.entry_line(name)
                first = first_file + (f":{first_line}" if first_line else "")
                problems.append(
                    SpecProblem(
                        file,
                        lines.entry_line(name),
                        f"notebooks.{name}",
                        f"local name defined twice (also in {first})",
                    )
                )
                continue
            declared[name] = (file, lines)
            if (key, value) in managed:
                what = f"notebook {value}" if key == "id" else f"a notebook named {value!r}"
                problems.append(
                    SpecProblem(
                        file,
                        lines.line(("notebooks", name, key)),
                        f"notebooks.{name}.{key}",
                        f"{what} is already managed as {managed[key, value]}",
                    )
                )
                continue
            managed[key, value] = f"notebooks.{name}"
        if doc is not None and not problems:
            ignore += doc.unmanaged_ignore
            for name, nb in doc.notebooks.items():
                if name not in entries:
                    entries[name] = _entry(file, name, nb, lines, loaded.raw.get(name))
    if problems:
        order = {str(p): i for i, p in reversed(list(enumerate(paths)))}
        problems.sort(key=lambda p: (order.get(p.file, len(order)), p.line or 0, p.path))
        raise SpecError(problems)
    return Spec(
        entries=tuple(entries.values()),
        project_id=project[0] if project else None,
        files=tuple(str(p) for p in paths),
        unmanaged_ignore=tuple(ignore),
    )
