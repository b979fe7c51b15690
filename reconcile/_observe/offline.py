"""Offline observation: saved API responses (`--observed PATH`) matched to spec entries.

PATH is a `*.json` file or a directory of them (read recursively, in sorted order). Each file holds
one `GET .../notebooks/{id}` body or one list body (`{current, data, pages, size, total}`) with many.
A spec entry is matched by id, or by exact name when the spec names it without an id. Bodies are only
parsed here; decoding happens in the planner, so one bad body is an error for its entry alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from reconcile._codec import describe_value
from reconcile._core.errors import ObservedInputError
from reconcile._core.observation import (
    Failed,
    Found,
    Missing,
    Observation,
    Target,
    missing_by_id,
    missing_by_name,
    one_notebook,
    resolve_by_name,
)
from reconcile._files import FileRefused, JsonProblem, parse_json, read_bytes

__all__ = ["MAX_OBSERVED_BYTES", "ObservedIndex", "load_observed", "observe_offline"]

#: Observation files larger than this are refused (a 10,000-notebook list response is about 30 MB).
MAX_OBSERVED_BYTES = 512 * 1024 * 1024


@attrs.frozen
class ObservedIndex:
    """Saved responses indexed by notebook id and by name.

    Attributes:
        by_id: every body with a string `id`, by id (a list when an id appears more than once).
        by_name: every body with a string `name`, by name.
        unreadable: one message per file that could not be read or parsed.
        by_folded_id: every body with a string `id`, by its id in lower case: ids are UUIDs, and
            a spec's id finds its notebook whatever the letter case of either.
        listing: the entries of every saved *list* response (`{data: [...]}`), in file order, or
            None when no file holds one. Only list responses stand for the project's listing (and
            so for unmanaged notebooks): a saved GET body says nothing about what else exists.
    """

    by_id: Mapping[str, list[Found]]
    by_name: Mapping[str, list[Found]]
    unreadable: tuple[str, ...] = ()
    by_folded_id: Mapping[str, list[Found]] = attrs.field(factory=dict)
    listing: tuple[Mapping[str, Any], ...] | None = None


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise ObservedInputError(f"{path}: no such file or directory (expected saved API responses: *.json)")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not files:
            raise ObservedInputError(f"{path}: no *.json files in this directory")
        return files
    return [path]


def _is_list(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("data"), list) and "id" not in data


def _bodies(file: Path, data: Any, unreadable: list[str]) -> list[Found]:
    """The notebook bodies in one parsed file; what cannot be a notebook goes to `unreadable`."""
    if _is_list(data):
        found = []
        for i, item in enumerate(data["data"]):
            if isinstance(item, Mapping):
                found.append(Found(body=item, source=f"{file}#data[{i}]"))
            else:
                unreadable.append(f"{file}#data[{i}]: expected a notebook object, got {describe_value(item)}")
        return found
    if isinstance(data, Mapping) and ("id" in data or "name" in data):
        return [Found(body=data, source=str(file))]
    if isinstance(data, Mapping):  # nothing can find it: a saved error body, `{data: {...}}`, `{}`
        keys = ", ".join(sorted(map(str, data))[:5]) or "none"
        unreadable.append(
            f"{file}: expected a notebook object (with an id or a name) or a list response "
            f"{{data: [...]}}, got an object with neither (keys: {keys})"
        )
        return []
    unreadable.append(
        f"{file}: expected a notebook object or a list response {{data: [...]}}, got {describe_value(data)}"
    )
    return []


def _read(file: Path, unreadable: list[str]) -> Any:
    """The parsed JSON of one file, or None after recording why it cannot be used."""
    try:
        return parse_json(read_bytes(file, what="a saved API response", limit=MAX_OBSERVED_BYTES))
    except FileRefused as exc:
        unreadable.append(str(exc))
    except JsonProblem as exc:
        unreadable.append(f"{file}: {exc.reason}")
    return None


def load_observed(path: str | Path) -> ObservedIndex:
    """Read every saved response under `path` and index it.

    A body whose `id` is present but not a string is recorded as unreadable: leaving it out would
    turn its notebook into a false `create`.

    Raises:
        ObservedInputError: `path` does not exist, or a directory holds no `*.json` file.
    """
    by_id: dict[str, list[Found]] = defaultdict(list)
    by_name: dict[str, list[Found]] = defaultdict(list)
    unreadable: list[str] = []
    listing: list[Mapping[str, Any]] | None = None
    for file in _files(Path(path)):
        data = _read(file, unreadable)
        if data is None:
            continue
        bodies = _bodies(file, data, unreadable)
        if _is_list(data):
            listing = (listing or []) + [f.body for f in bodies if isinstance(f.body, Mapping)]
        for found in bodies:
            body = found.body
            assert isinstance(body, Mapping)
            notebook_id = body.get("id")
            if isinstance(notebook_id, str):
                by_id[notebook_id].append(found)
            elif notebook_id is not None:
                unreadable.append(f"{found.source}: id: expected string, got {describe_value(notebook_id)}")
            if isinstance(body.get("name"), str):
                by_name[body["name"]].append(found)
    folded: dict[str, list[Found]] = {}
    for notebook_id, copies in by_id.items():
        folded.setdefault(notebook_id.lower(), []).extend(copies)
    return ObservedIndex(
        dict(by_id), dict(by_name), tuple(unreadable), folded, None if listing is None else tuple(listing)
    )


def observe_offline(targets: Sequence[Target], index: ObservedIndex) -> dict[str, Observation]:
    """Match each target to a saved response: Found, Missing (create) or Failed.

    A target that is not found while some file could not be read is Failed, not Missing: the
    notebook may be in that file, and a false `create` is worse than an error.
    """
    out: dict[str, Observation] = {}
    for target in targets:
        if target.notebook_id is not None:
            matches = index.by_folded_id.get(target.notebook_id.lower(), [])
            observation = one_notebook(target.notebook_id, matches) if matches else None
        else:
            observation = resolve_by_name(
                target.notebook_name or "", index.by_name.get(target.notebook_name or "", [])
            )
        if observation is not None and not isinstance(observation, Missing):
            out[target.name] = observation
        elif index.unreadable:
            what = target.notebook_id or f"named {target.notebook_name!r}"
            out[target.name] = Failed(
                f"notebook {what} is not in the observed files, and {index.unreadable[0]}"
                + (f" (and {len(index.unreadable) - 1} more)" if len(index.unreadable) > 1 else "")
            )
        elif target.notebook_id is not None:
            out[target.name] = Missing(missing_by_id(target.notebook_id))
        else:
            out[target.name] = observation or Missing(missing_by_name(target.notebook_name or ""))
    return out
