"""Unmanaged notebooks: what the project's listing holds that no spec entry manages.

A listed notebook is managed when a spec entry names its id (compared without letter case, as
everywhere), or, for an entry with a name and no id, its exact name. DELETED and DELETING notebooks
are never unmanaged and are not counted in the listing either (they are on their way out). The
spec's `unmanaged.ignore` rules keep a known stray from counting; it is still reported, with the
rule's reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconcile._core.lifecycle import GONE_STATES
from reconcile._core.plan import Unmanaged
from reconcile._core.spec import IgnoreRule, Spec

__all__ = ["find_unmanaged", "unused_rules"]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def find_unmanaged(spec: Spec, listing: Iterable[Mapping[str, Any]]) -> tuple[tuple[Unmanaged, ...], int]:
    """The unmanaged notebooks of `listing` (list entries as the API sends them), and how many
    notebooks it holds.

    Entries without a string id, and repeated ids (a notebook on two pages), are counted once or
    not at all: an entry without an id cannot be named by a spec.
    """
    ids = {e.notebook.id.lower() for e in spec.entries if e.notebook.id is not None}
    names = {e.notebook.name for e in spec.entries if e.notebook.id is None and e.notebook.name is not None}
    seen: set[str] = set()
    found: list[Unmanaged] = []
    for item in listing:
        notebook_id = _text(item.get("id"))
        status = _text(item.get("status"))
        if notebook_id is None or notebook_id.lower() in seen or status in GONE_STATES:
            continue
        seen.add(notebook_id.lower())
        name = _text(item.get("name"))
        if notebook_id.lower() in ids or (name is not None and name in names):
            continue
        rule = next((r for r in spec.unmanaged_ignore if r.matches(notebook_id, name)), None)
        found.append(
            Unmanaged(
                notebook_id,
                name,
                status,
                _text(item.get("workspace_id")),
                rule.reason if rule is not None else None,
            )
        )
    return tuple(found), len(seen)


def unused_rules(spec: Spec, unmanaged: Sequence[Unmanaged]) -> tuple[IgnoreRule, ...]:
    """The spec's ignore rules that match no unmanaged notebook (each is worth a warning)."""
    return tuple(
        r for r in spec.unmanaged_ignore if not any(r.matches(u.notebook_id, u.name) for u in unmanaged)
    )
