"""Validation rules a spec entry must meet beyond its types: what the classes cannot say alone.

Each rule adds problems to the file's `Collector` at a document path; nothing here reads files or
knows lines. The rules: non-blank names, an identity, one way to name the image, ranges (capacity,
lease), one endpoint per service, SSH-only settings, an allow-list that is not empty (`[]` is
ambiguous: it read as "everyone" before; omit the field to leave the list unmanaged, or list the
CIDRs), tag keys and values, known `ignore_changes` paths, and the top-level keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconcile._codec import describe_value
from reconcile._core.catalogue import IGNORABLE_PATHS
from reconcile._core.location import Location
from reconcile._core.spec import MAX_TAG_KEY, MAX_TAG_VALUE, TAG_CHARS, TAG_TEXT, IgnoreRule, NotebookSpec
from reconcile._specfile.document import Collector

__all__ = [
    "LOCAL_NAME",
    "MAX_TAG_KEY",
    "MAX_TAG_VALUE",
    "TOP_KEYS",
    "check_entry",
    "check_tags",
    "ignore_rules",
    "unknown_top_keys",
]

TOP_KEYS = frozenset({"version", "project_id", "notebooks", "unmanaged", "$schema"})
LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LEASE_MIN_MS, _LEASE_MAX_MS = 3_600_000, 259_200_000
_MAX_CAPACITY_GB = 4096
#: Tag limits of Huawei Cloud's tag service (TMS): keys 1 to 128 characters, values up to 255.

Path_ = tuple[str | int, ...]

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


def unknown_top_keys(data: Mapping[Any, Any], col: Collector) -> None:
    """Keys at the top of a document other than version, project_id, notebooks, `$schema`, `x-*`."""
    # `x-` keys are free for YAML anchors (`x-gpu: &gpu {...}`), as in docker-compose files.
    extra = {k for k in data if not (isinstance(k, str) and k.startswith("x-"))} - TOP_KEYS
    for key in sorted(extra, key=str):
        close = difflib.get_close_matches(str(key), sorted(TOP_KEYS - {"$schema"}), n=1)
        col.add(
            (str(key),),
            "unknown field"
            + (
                f" (did you mean {close[0]}?)"
                if close
                else " (expected version, project_id, notebooks, unmanaged)"
            ),
        )


def check_tags(raw: Any, base: Path_, col: Collector) -> bool:
    """Tag keys and values as written: text to text, within TMS limits. Returns whether all passed."""
    where = (*base, "tags")
    if not isinstance(raw, Mapping):
        col.add(where, f"expected a mapping of tag keys to text values, got {describe_value(raw)}")
        return False
    ok = True
    for key, value in raw.items():
        at = (*where, str(key))
        if type(key) is not str:
            col.add(at, f"tag key must be text, got {describe_value(key)} (quote it)")
            ok = False
            continue
        if not key.strip() or len(key) > MAX_TAG_KEY or not TAG_TEXT.fullmatch(key):
            col.add(
                at,
                f"invalid tag key (expected 1 to {MAX_TAG_KEY} {TAG_CHARS})",
            )
            ok = False
        if type(value) is not str:
            hint = f' (quote it: "{value}")' if type(value) in (int, float, bool) else ""
            col.add(at, f"expected a text value, got {describe_value(value)}{hint}")
            ok = False
        elif len(value) > MAX_TAG_VALUE or not TAG_TEXT.fullmatch(value):
            col.add(
                at,
                f"invalid tag value (expected up to {MAX_TAG_VALUE} {TAG_CHARS})",
            )
            ok = False
    return ok


def _grouped(paths: tuple[Path_, ...]) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """`paths` as (parent, names under it), in their order: each parent is looked up once per entry."""
    groups: list[tuple[tuple[str, ...], list[str]]] = []
    for path in paths:
        parent, name = tuple(str(step) for step in path[:-1]), str(path[-1])
        if groups and groups[-1][0] == parent:
            groups[-1][1].append(name)
        else:
            groups.append((parent, [name]))
    return tuple((parent, tuple(names)) for parent, names in groups)


_NON_BLANK_GROUPS = _grouped(_NON_BLANK)


def _blank_fields(nb: NotebookSpec) -> Iterator[Path_]:
    for parent, names in _NON_BLANK_GROUPS:
        owner: Any = nb
        for step in parent:
            owner = getattr(owner, step, None)
        if owner is None:
            continue
        for name in names:
            value = getattr(owner, name, None)
            if isinstance(value, str) and not value.strip():
                yield (*parent, name)


def check_entry(
    name: str,
    nb: NotebookSpec,
    col: Collector,
    written_ignores: Sequence[str] | None,
    *,
    skip_identity: bool = False,
) -> None:
    """Every rule of one structured entry (see the module), added to `col` under `notebooks.NAME`."""
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
        elif ep.allowed_access_ips == ():
            col.add(
                (*where, "allowed_access_ips"),
                "an empty allow-list is ambiguous (omit the field to leave the allow-list unmanaged, "
                "or list the addresses or CIDRs allowed)",
            )
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


_RULE_KEYS = ("name", "id", "reason")


def ignore_rules(raw: Any, col: Collector) -> tuple[IgnoreRule, ...]:
    """The top-level `unmanaged: {ignore: [{name: GLOB | id: ID, reason: TEXT}, ...]}`, checked.

    Each rule names exactly one of `name` (a glob) and `id`, and gives a non-blank `reason`; a rule
    with a problem is reported at its path and left out.
    """
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        col.add(("unmanaged",), f"expected a mapping with `ignore`, got {describe_value(raw)}")
        return ()
    for key in sorted((k for k in raw if k != "ignore"), key=str):
        col.add(("unmanaged", str(key)), "unknown field (expected ignore)")
    items = raw.get("ignore")
    if items is None:
        return ()
    if not isinstance(items, list):
        col.add(("unmanaged", "ignore"), f"expected a list of rules, got {describe_value(items)}")
        return ()
    found: list[IgnoreRule] = []
    for i, item in enumerate(items):
        at: Path_ = ("unmanaged", "ignore", i)
        if not isinstance(item, Mapping):
            col.add(at, f"expected a mapping with name or id, and reason, got {describe_value(item)}")
            continue
        ok = True
        for key in sorted((k for k in item if k not in _RULE_KEYS), key=str):
            col.add((*at, str(key)), "unknown field (expected name, id, reason)")
            ok = False
        for key in _RULE_KEYS:
            value = item.get(key)
            if key in item and (type(value) is not str or not value.strip()):
                col.add((*at, key), f"expected non-blank text, got {describe_value(value)}")
                ok = False
        if ("name" in item) == ("id" in item):
            col.add(at, "expected exactly one of name (a glob) and id")
            ok = False
        if "reason" not in item:
            col.add(at, "missing `reason` (say why these notebooks may exist unmanaged)")
            ok = False
        if ok:
            location = Location(col.file, col.lines.line_of(at), f"unmanaged.ignore[{i}]")
            found.append(IgnoreRule(item["reason"], item.get("name"), item.get("id"), location))
    return tuple(found)
