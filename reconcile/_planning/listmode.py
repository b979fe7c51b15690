"""List mode: whether a spec entry may be planned from its list entry, without a GET.

An entry is planned from its list entry only when that entry carries every field the spec entry
manages (and `id` and `status`) and planning it shows nothing: no change and a healthy notebook.
Anything else (drift, a pending or failed status, a field the list left out, a body that does not
decode) is confirmed with a GET, so a list-mode plan decides exactly what a get-mode plan decides.
A field the list leaves out would read as its documented default, which is why a missing field is
never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from reconcile._codec.observed import decode_for_plan
from reconcile._core.errors import DecodeError
from reconcile._core.plan import Health
from reconcile._core.spec import SpecEntry
from reconcile._planning.compare import compare
from reconcile._planning.planner import Decided

__all__ = ["carries_managed_fields", "plannable_from_list", "planned_from_list"]

#: Spec objects whose stated members must each be in the list entry's object (a member left out
#: reads as a default: `lease.type` TIMING, `volume.ownership` MANAGED).
_NESTED = frozenset({"lease", "volume", "pool"})
_NOT_FIELDS = frozenset({"id", "ignore_changes"})


def carries_managed_fields(entry: SpecEntry, body: Mapping[str, Any]) -> bool:
    """Whether `body` has `id`, `status` and every field (and stated lease, volume, pool member)
    that `entry` manages."""
    if "id" not in body or "status" not in body:
        return False
    for field in attrs.fields(type(entry.notebook)):
        value = getattr(entry.notebook, field.name)
        if field.name in _NOT_FIELDS or value is None:
            continue
        if field.name not in body:
            return False
        if field.name in _NESTED:
            observed = body[field.name]
            if not isinstance(observed, Mapping):
                return False
            stated = [f.name for f in attrs.fields(type(value)) if getattr(value, f.name) is not None]
            if any(name not in observed for name in stated):
                return False
    return True


def planned_from_list(entry: SpecEntry, body: Mapping[str, Any]) -> Decided | None:
    """`entry` planned from the list entry `body` alone, or None when it may not be (see the module
    docstring): the notebook decoded and the change compared, which the planner can reuse."""
    if not carries_managed_fields(entry, body):
        return None
    try:
        notebook = decode_for_plan(dict(body), source="list entry")
    except DecodeError:
        return None
    change = compare(entry, notebook)
    if change.is_change or change.health is not Health.HEALTHY:
        return None
    return Decided(entry, dict(body), notebook, change)


def plannable_from_list(entry: SpecEntry, body: Mapping[str, Any]) -> bool:
    """Whether `entry` may be planned from the list entry `body` alone (see the module docstring)."""
    return planned_from_list(entry, body) is not None
