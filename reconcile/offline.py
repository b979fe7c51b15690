"""Offline observation: saved API responses (`--observed PATH`) matched to spec entries.

PATH is a `*.json` file or a directory of them (read recursively, in sorted order). Each file holds
one `GET .../notebooks/{id}` body or one list body (`{current, data, pages, size, total}`) with many.
A spec entry is matched by id, or by exact name when the spec names it without an id. Bodies are only
parsed here; decoding happens in the planner, so one bad body is an error for its entry alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from reconcile.exceptions import ObservedInputError
from reconcile.observation import Failed, Found, Missing, Observation, Target, missing_by_id, missing_by_name

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
    """

    by_id: Mapping[str, list[Found]]
    by_name: Mapping[str, list[Found]]
    unreadable: tuple[str, ...] = ()


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise ObservedInputError(f"{path}: no such file or directory (expected saved API responses: *.json)")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not files:
            raise ObservedInputError(f"{path}: no *.json files in this directory")
        return files
    return [path]


def _bodies(file: Path, data: Any) -> list[Found]:
    if isinstance(data, Mapping) and isinstance(data.get("data"), list) and "id" not in data:
        return [
            Found(body=item, source=f"{file}#data[{i}]")
            for i, item in enumerate(data["data"])
            if isinstance(item, Mapping)
        ]
    if isinstance(data, Mapping):
        return [Found(body=data, source=str(file))]
    return []


def load_observed(path: str | Path) -> ObservedIndex:
    """Read every saved response under `path` and index it.

    Raises:
        ObservedInputError: `path` does not exist, or a directory holds no `*.json` file.
    """
    by_id: dict[str, list[Found]] = defaultdict(list)
    by_name: dict[str, list[Found]] = defaultdict(list)
    unreadable: list[str] = []
    for file in _files(Path(path)):
        try:
            if file.stat().st_size > MAX_OBSERVED_BYTES:
                unreadable.append(f"{file}: larger than {MAX_OBSERVED_BYTES // 2**20} MiB")
                continue
            data = json.loads(file.read_bytes())
        except json.JSONDecodeError as exc:
            unreadable.append(f"{file}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
            continue
        except UnicodeDecodeError:
            unreadable.append(f"{file}: not UTF-8 text")
            continue
        except OSError as exc:
            unreadable.append(f"{file}: {exc.strerror or exc}")
            continue
        bodies = _bodies(file, data)
        if not bodies:
            unreadable.append(
                f"{file}: expected a notebook object or a list response, got {type(data).__name__}"
            )
        for found in bodies:
            body = found.body
            assert isinstance(body, Mapping)
            if isinstance(body.get("id"), str):
                by_id[body["id"]].append(found)
            if isinstance(body.get("name"), str):
                by_name[body["name"]].append(found)
    return ObservedIndex(dict(by_id), dict(by_name), tuple(unreadable))


def _pick(matches: list[Found], what: str) -> Observation:
    if len(matches) == 1:
        return matches[0]
    ids = sorted({str(m.body.get("id")) for m in matches if isinstance(m.body, Mapping)})
    sources = ", ".join(m.source for m in matches)
    if len(ids) == 1:  # the same notebook saved twice: the saved copies must agree
        if all(m.body == matches[0].body for m in matches):
            return matches[0]
        return Failed(f"{what} is saved more than once with different contents ({sources})")
    return Failed(f"{what} matches {len(ids)} notebooks ({', '.join(ids)}); give its `id` in the spec")


def observe_offline(targets: Sequence[Target], index: ObservedIndex) -> dict[str, Observation]:
    """Match each target to a saved response: Found, Missing (create) or Failed.

    A target that is not found while some file could not be read is Failed, not Missing: the
    notebook may be in that file, and a false `create` is worse than an error.
    """
    out: dict[str, Observation] = {}
    for target in targets:
        if target.notebook_id is not None:
            matches = index.by_id.get(target.notebook_id, [])
            what = f"notebook {target.notebook_id}"
        else:
            matches = index.by_name.get(target.notebook_name or "", [])
            what = f"notebook named {target.notebook_name!r}"
        if matches:
            out[target.name] = _pick(matches, what)
        elif index.unreadable:
            out[target.name] = Failed(f"{what} is not in the observed files, and {index.unreadable[0]}")
        elif target.notebook_id is not None:
            out[target.name] = Missing(missing_by_id(target.notebook_id))
        else:
            out[target.name] = Missing(missing_by_name(target.notebook_name or ""))
    return out
