"""Reading spec files: YAML (safe loading only), JSON or TOML, chosen by extension, merged.

Every problem in every file is collected and reported together, one per line, as
`FILE:LINE: dotted.path: what is wrong (what was expected)`. For YAML the line is the line of the
offending key; JSON gets the same from a YAML parse of the text where that works (JSON is YAML's
subset for all practical specs); TOML gives lines for syntax errors only.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import yaml

from reconcile._codec import convert
from reconcile._core.catalogue import IGNORABLE_PATHS
from reconcile._core.errors import SpecError, SpecProblem
from reconcile._core.spec import SPEC_VERSION, NotebookSpec, Spec, SpecDocument, SpecEntry

__all__ = ["EXTENSIONS", "MAX_SPEC_BYTES", "load_spec", "load_spec_file", "spec_from_data"]

#: Spec files larger than this are refused before they are read.
MAX_SPEC_BYTES = 10 * 1024 * 1024
#: File extensions and the format each means.
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}

_TOP_KEYS = {"version", "project_id", "notebooks", "$schema"}
_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LEASE_MIN_MS, _LEASE_MAX_MS = 3_600_000, 259_200_000
_MAX_CAPACITY_GB = 4096

Path_ = tuple[str | int, ...]


#: The YAML loader: libyaml's parser where PyYAML was built with it (about 10x faster on a large
#: fleet), PyYAML's pure-Python one otherwise. Both are safe loaders: no Python object tags.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader that notices a key written twice in one mapping (PyYAML keeps the last)."""

    duplicates = False

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


class _LineMap:
    """The line of every key and list item of a YAML or JSON text, built only when first asked for.

    A valid spec never needs it, so a large fleet pays for one parse, not two.
    """

    def __init__(self, text: str | None) -> None:
        self._text = text
        self._lines: dict[Path_, int] | None = None
        self.duplicates: list[tuple[Path_, int]] = []

    def get(self, path: Path_) -> int | None:
        if self._lines is None:
            self._lines = {}
            if self._text is not None:
                try:
                    node = yaml.compose(self._text, Loader=_BaseLoader)
                    if node is not None:
                        _yaml_lines(node, (), self._lines, self.duplicates, set())
                except (yaml.YAMLError, RecursionError):
                    pass  # best effort: the problem itself was already reported
        return self._lines.get(path)

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of the nearest enclosing key that has one."""
        for end in range(len(path), 0, -1):
            line = self.get(path[:end])
            if line is not None:
                return line
        return None


@attrs.define
class _Collector:
    """Problems of one file; their lines are looked up once all are known."""

    file: str
    lines: _LineMap = attrs.field(factory=lambda: _LineMap(None))
    found: list[tuple[Path_, str, int | None]] = attrs.field(factory=list)

    def add(self, path: Path_, message: str, line: int | None = None) -> None:
        self.found.append((path, message, line))

    @property
    def problems(self) -> list[SpecProblem]:
        """Every problem, with its line, sorted by line then path."""
        out = [
            SpecProblem(
                self.file, line if line is not None else self.lines.line_of(path), convert.dotted(path), msg
            )
            for path, msg, line in self.found
        ]
        return sorted(out, key=lambda p: (p.line or 0, p.path, p.message))


# -- parsing ------------------------------------------------------------------------------------


def _yaml_lines(
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
            _yaml_lines(value_node, child, out, dupes, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.setdefault((*path, i), item.start_mark.line + 1)
            _yaml_lines(item, (*path, i), out, dupes, seen)


def _parse_yaml(text: str, col: _Collector) -> Any:
    col.lines = _LineMap(text)
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except RecursionError:
        col.add((), "nested too deeply (a spec is a few levels deep)")
        return _INVALID
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
        return _INVALID
    finally:
        loader.dispose()
    if loader.duplicates:
        col.lines.get(())  # the walk finds where
        for path, dupe_line in col.lines.duplicates:
            col.add(path, "duplicate key (each key may appear once)", dupe_line)
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f'duplicate key "{key}"')
        out[key] = value
    return out


def _parse_json(text: str, col: _Collector) -> Any:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        col.add((), f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
        return _INVALID
    except ValueError as exc:
        col.add((), f"invalid JSON: {exc}")
        return _INVALID
    except RecursionError:
        col.add((), "nested too deeply (a spec is a few levels deep)")
        return _INVALID
    col.lines = _LineMap(text)  # JSON is YAML for line numbers, looked up only if needed
    return data


def _parse_toml(text: str, col: _Collector) -> Any:
    try:
        return tomllib.loads(text)
    except RecursionError:
        col.add((), "nested too deeply (a spec is a few levels deep)")
        return _INVALID
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "syntax error"
        col.add((), f"invalid TOML: {message}", line)
        return _INVALID


_INVALID = object()
_PARSERS = {"yaml": _parse_yaml, "json": _parse_json, "toml": _parse_toml}


def _read_text(path: Path, col: _Collector) -> str | None:
    if not path.exists():
        col.add((), "no such file")
        return None
    if path.is_dir():
        col.add((), "is a directory (expected a spec file: .yaml, .yml, .json or .toml)")
        return None
    if path.suffix.lower() not in EXTENSIONS:
        col.add((), f'unknown spec file extension "{path.suffix}" (expected .yaml, .yml, .json or .toml)')
        return None
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            col.add(
                (), f"file is too large ({size / 2**20:.1f} MiB; the limit is {MAX_SPEC_BYTES // 2**20} MiB)"
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        col.add((), f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col.add((), f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line)
        return None
    if not text.strip():
        col.add((), "file is empty (expected a mapping with `version: 1` and `notebooks`)")
        return None
    return text


# -- validation ---------------------------------------------------------------------------------


def _type_word(value: Any) -> str:
    return convert.describe_value(value)


#: Text fields that name something and so cannot be blank.
_NON_BLANK: tuple[Path_, ...] = (
    ("id",),
    ("name",),
    ("flavor",),
    ("workspace_id",),
    ("image", "id"),
    ("image", "name"),
    ("image", "tag"),
    ("image", "swr_path"),
    ("volume", "mount_path"),
    ("pool", "id"),
    ("pool", "name"),
)


def _blank_fields(nb: NotebookSpec) -> Iterator[Path_]:
    for path in _NON_BLANK:
        value: Any = nb
        for step in path:
            value = getattr(value, str(step), None)
        if isinstance(value, str) and not value.strip():
            yield path


def _check_entry(
    name: str,
    nb: NotebookSpec,
    col: _Collector,
    written_ignores: Sequence[str] | None,
    *,
    skip_identity: bool = False,
) -> None:
    base: Path_ = ("notebooks", name)
    for path in _blank_fields(nb):
        col.add((*base, *path), "must not be empty")
    if nb.id is None and nb.name is None and not skip_identity:
        col.add(base, "no identity (expected `id`, or `name` alone to look the notebook up by name)")
    if nb.image is not None:
        chosen = [k for k in ("id", "name", "swr_path") if getattr(nb.image, k) is not None]
        if len(chosen) != 1:
            col.add(
                (*base, "image"),
                "name the image by exactly one of `id`, `name` (with `tag`) or `swr_path`"
                + (f" (got {', '.join(chosen)})" if chosen else ""),
            )
        if nb.image.tag is not None and nb.image.name is None:
            col.add((*base, "image", "tag"), "`tag` goes with `name` (expected `name` beside it)")
    if (
        nb.volume is not None
        and nb.volume.capacity is not None
        and not 1 <= nb.volume.capacity <= _MAX_CAPACITY_GB
    ):
        col.add(
            (*base, "volume", "capacity"), f"{nb.volume.capacity} is out of range (expected 1 to 4096 GB)"
        )
    seen: dict[str, int] = {}
    for i, ep in enumerate(nb.endpoints or ()):
        where = (*base, "endpoints", i)
        if ep.dev_service.value in seen:
            first = seen[ep.dev_service.value]
            message = f"{ep.dev_service.value} endpoint listed twice (also at endpoints[{first}])"
            col.add((*where, "dev_service"), message)
        seen.setdefault(ep.dev_service.value, i)
        if ep.dev_service.value != "SSH":
            for key in ("allowed_access_ips", "ssh_keys"):
                if getattr(ep, key) is not None:
                    col.add((*where, key), f"`{key}` applies to the SSH endpoint only")
    lease = nb.lease
    enabled_duration = lease.duration if lease is not None and lease.enable is not False else None
    if enabled_duration is not None and not _LEASE_MIN_MS <= enabled_duration <= _LEASE_MAX_MS:
        message = f"{enabled_duration} ms is out of range (expected 1h to 72h, the API's auto-stop range)"
        col.add((*base, "lease", "duration"), message)
    if nb.pool is not None and nb.pool.id is None and nb.pool.name is None:
        col.add((*base, "pool"), "empty pool (expected `id` or `name`)")
    # The paths as written (the spec keeps them sorted and unique), so index and line are right.
    for i, ignored in enumerate(written_ignores or ()):
        if ignored not in IGNORABLE_PATHS:
            close = difflib.get_close_matches(ignored, sorted(IGNORABLE_PATHS), n=1)
            hint = (
                f"did you mean {close[0]}?"
                if close
                else "expected a managed field path such as lease.duration"
            )
            col.add((*base, "ignore_changes", i), f'unknown path "{ignored}" ({hint})')


def _structure_entry(name: str, raw: Any, col: _Collector) -> NotebookSpec | None:
    base: Path_ = ("notebooks", name)
    if not isinstance(raw, Mapping):
        col.add(base, f"expected a mapping of notebook settings, got {_type_word(raw)}")
        return None
    raw = dict(raw)
    ignore = raw.get("ignore_changes")
    if ignore is None:
        raw.pop("ignore_changes", None)
    try:
        nb = convert.structure_strict(raw, NotebookSpec)
    except Exception as exc:
        bad = set()
        for path, message in convert.flatten_errors(exc):
            col.add((*base, *path), message)
            if path:
                bad.add(path[0])
        # Check what is left too, so one run reports every problem of the entry.
        try:
            rest = convert.structure_strict({k: v for k, v in raw.items() if k not in bad}, NotebookSpec)
        except Exception:
            return None
        written = raw.get("ignore_changes") if "ignore_changes" not in bad else None
        _check_entry(name, rest, col, written, skip_identity=bool(bad & {"id", "name"}))
        return None
    _check_entry(name, nb, col, raw.get("ignore_changes"))
    return nb


def _document(data: Any, col: _Collector) -> SpecDocument | None:
    if not isinstance(data, Mapping):
        col.add((), f"expected a mapping with `version: 1` and `notebooks`, got {_type_word(data)}")
        return None
    # `x-` keys are free for YAML anchors (`x-gpu: &gpu {...}`), as in docker-compose files.
    extra = {k for k in data if not (isinstance(k, str) and k.startswith("x-"))} - _TOP_KEYS
    for key in sorted(extra, key=str):
        close = difflib.get_close_matches(str(key), sorted(_TOP_KEYS - {"$schema"}), n=1)
        col.add(
            (str(key),),
            "unknown field"
            + (f" (did you mean {close[0]}?)" if close else " (expected version, project_id, notebooks)"),
        )
    version = data.get("version")
    if "version" not in data:
        col.add((), "missing `version` (expected `version: 1`)", 1)
    elif type(version) is not int or version != SPEC_VERSION:
        col.add(
            ("version",), f"unsupported spec version {_type_word(version)} (this release reads version 1)"
        )
    project_id = data.get("project_id")
    if project_id is not None and type(project_id) is not str:
        col.add(("project_id",), f"expected string, got {_type_word(project_id)}")
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
            f"expected a mapping of local name to notebook settings, got {_type_word(notebooks)}",
        )
    else:
        for name, raw in notebooks.items():
            if type(name) is not str or not _LOCAL_NAME.fullmatch(name):
                col.add(
                    ("notebooks", str(name)),
                    "invalid local name (expected letters, digits, _ and -, starting with a letter or _)",
                )
                continue
            nb = _structure_entry(name, raw, col)
            if nb is not None:
                entries[name] = nb
    if col.found:
        return None
    return SpecDocument(version=SPEC_VERSION, notebooks=entries, project_id=project_id)


def load_spec_file(path: str | Path) -> tuple[SpecDocument | None, list[SpecProblem], _LineMap]:
    """Read and validate one spec file.

    Returns:
        The document (None when there are problems), every problem found (sorted by line), and the
        file's line map (`.get(path)`), built only if something asks for a line.
    """
    file = str(path)
    col = _Collector(file)
    text = _read_text(Path(path), col)
    if text is None:
        return None, col.problems, col.lines
    data = _PARSERS[EXTENSIONS[Path(path).suffix.lower()]](text, col)
    if data is _INVALID:
        return None, col.problems, col.lines
    if data is None:
        col.add((), "file holds no data (expected a mapping with `version: 1` and `notebooks`)")
        return None, col.problems, col.lines
    doc = _document(data, col)
    return doc, col.problems, col.lines


def spec_from_data(data: Mapping[str, Any], file: str = "<data>") -> Spec:
    """Validate an already-parsed spec document (what a YAML, JSON or TOML file holds).

    Raises:
        SpecError: listing every problem, with paths (no lines: there is no file).
    """
    col = _Collector(file)
    doc = _document(data, col)
    if doc is None:
        raise SpecError(col.problems)
    return Spec(
        entries=tuple(SpecEntry(n, nb, file) for n, nb in doc.notebooks.items()),
        project_id=doc.project_id,
        files=(file,),
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
    where: dict[str, _LineMap] = {}  # the line map of the file each local name came from
    managed: dict[tuple[str, str | None], str] = {}  # identity -> the entry that manages it
    project: tuple[str, str] | None = None
    for path in paths:
        doc, found, lines = load_spec_file(path)
        problems += found
        if doc is None:
            continue
        file = str(path)
        if doc.project_id is not None:
            if project is not None and project[0] != doc.project_id:
                problems.append(
                    SpecProblem(
                        file,
                        lines.get(("project_id",)),
                        "project_id",
                        f'"{doc.project_id}" contradicts "{project[0]}" in {project[1]}',
                    )
                )
            project = project or (doc.project_id, file)
        for name, nb in doc.notebooks.items():
            if name in entries:
                first_line = where[name].get(("notebooks", name))
                first = entries[name].file + (f":{first_line}" if first_line else "")
                problems.append(
                    SpecProblem(
                        file,
                        lines.get(("notebooks", name)),
                        f"notebooks.{name}",
                        f"local name defined twice (also in {first})",
                    )
                )
                continue
            # The identity: the id, or the name when there is no id (validation ensured one).
            key, value = ("id", nb.id) if nb.id is not None else ("name", nb.name)
            if (key, value) in managed:
                what = f"notebook {value}" if key == "id" else f"a notebook named {value!r}"
                problems.append(
                    SpecProblem(
                        file,
                        lines.get(("notebooks", name, key)),
                        f"notebooks.{name}.{key}",
                        f"{what} is already managed as {managed[key, value]}",
                    )
                )
                continue
            managed[key, value] = f"notebooks.{name}"
            entries[name] = SpecEntry(name, nb, file)
            where[name] = lines
    if problems:
        raise SpecError(problems)
    return Spec(
        entries=tuple(entries.values()),
        project_id=project[0] if project else None,
        files=tuple(str(p) for p in paths),
    )
