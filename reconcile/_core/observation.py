"""What observing one spec entry produced, offline (files) or live (the API).

An observation is one of three things: `Found` (a response body, not yet decoded), `Missing` (the
service says the notebook does not exist: the plan says create) or `Failed` (nothing usable: the plan
records an error for that entry and plans the others). Decoding happens later, in one place, so the
offline and live paths give identical plans for identical bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from reconcile._core.lifecycle import GONE_STATES

__all__ = [
    "Failed",
    "Found",
    "Missing",
    "Observation",
    "Target",
    "missing_by_id",
    "missing_by_name",
    "one_notebook",
    "resolve_by_name",
]

_GONE_TEXT = frozenset(status.value for status in GONE_STATES)


@attrs.frozen
class Target:
    """One notebook to observe.

    Attributes:
        name: the local name in the spec (the plan address suffix).
        notebook_id: the notebook id when the spec gives one: it is then the identity.
        notebook_name: the notebook name, used as identity only when there is no id.
    """

    name: str
    notebook_id: str | None = None
    notebook_name: str | None = None


@attrs.frozen
class Found:
    """A response body for the notebook, as bytes (GET) or an already-parsed mapping (list entry).

    Attributes:
        body: the raw body or the parsed list entry.
        source: where it came from (a file path or a URL), for error messages.
    """

    body: bytes | Mapping[str, Any] = attrs.field(repr=False)
    source: str


@attrs.frozen
class Missing:
    """The notebook does not exist (HTTP 404, ModelArts.6309/6357/6404, no match by name)."""

    reason: str


@attrs.frozen
class Failed:
    """The notebook could not be observed; `message` is one line and carries no secret."""

    message: str


Observation = Found | Missing | Failed


def missing_by_id(notebook_id: str) -> str:
    """The reason given for a notebook id that does not exist (offline and live alike)."""
    return f"notebook {notebook_id} does not exist"


def missing_by_name(name: str) -> str:
    """The reason given when no notebook has the name (offline and live alike)."""
    return f"no notebook is named {name!r}"


def _gone(status: object) -> bool:
    return isinstance(status, str) and status in _GONE_TEXT


def one_notebook(notebook_id: str, matches: Sequence[Found]) -> Observation:
    """One notebook seen once, or several times with the same contents; different copies are Failed.

    Offline this is the same notebook saved in two files (or twice in a list); the contents decide
    which is right, not the order the files sort in, so different copies are an error whatever the
    spec's identity (id or name).
    """
    first = matches[0]
    if all(m.body == first.body for m in matches[1:]):
        return first
    sources = ", ".join(m.source for m in matches)
    return Failed(f"notebook {notebook_id} is saved more than once with different contents ({sources})")


def resolve_by_name(name: str, candidates: Sequence[Found]) -> Observation:
    """Pick the notebook named `name` among list entries or saved bodies (offline and live alike).

    Only exact names count (the list API filters fuzzily). Notebooks that are gone or going
    (DELETED, DELETING) are passed over while a live one carries the name; when none is live, the
    name is free: one gone notebook is Found (its plan says create), several are Missing. Several
    live ones are Failed, naming the ids in sorted order so the message is the same however they
    were read; one notebook seen twice with different contents is Failed as by id (`one_notebook`).
    """
    exact = [c for c in candidates if isinstance(c.body, Mapping) and c.body.get("name") == name]
    alive = [c for c in exact if not _gone(c.body.get("status"))]  # type: ignore[union-attr]
    matches = alive or exact
    if not matches:
        return Missing(missing_by_name(name))
    by_id: dict[str, list[Found]] = {}
    for c in matches:
        by_id.setdefault(str(c.body.get("id")), []).append(c)  # type: ignore[union-attr]
    ids = sorted(by_id)
    if len(ids) == 1:
        return one_notebook(ids[0], by_id[ids[0]])
    if not alive:
        return Missing(f"no live notebook is named {name!r} ({len(ids)} are DELETED or DELETING)")
    return Failed(f"{len(ids)} notebooks are named {name!r} ({', '.join(ids)}); give the `id` in the spec")
