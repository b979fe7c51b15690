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

__all__ = [
    "Failed",
    "Found",
    "Missing",
    "Observation",
    "Target",
    "missing_by_id",
    "missing_by_name",
    "resolve_by_name",
]


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


def resolve_by_name(name: str, candidates: Sequence[Found]) -> Observation:
    """Pick the notebook named `name` among list entries or saved bodies (offline and live alike).

    Only exact names count (the list API filters fuzzily). DELETED notebooks are passed over while a
    live one carries the name. One match is Found; none is Missing (the plan says create); several
    are Failed, naming the ids in sorted order so the message is the same however they were read.
    """
    exact = [c for c in candidates if isinstance(c.body, Mapping) and c.body.get("name") == name]
    alive = [c for c in exact if c.body.get("status") != "DELETED"]  # type: ignore[union-attr]
    matches = alive or exact
    if not matches:
        return Missing(missing_by_name(name))
    ids = sorted({str(c.body.get("id")) for c in matches})  # type: ignore[union-attr]
    if len(ids) == 1:
        return matches[0]
    return Failed(f"{len(ids)} notebooks are named {name!r} ({', '.join(ids)}); give the `id` in the spec")
