"""From a spec and its observations to a Plan: decode each observation, compare, collect errors.

Offline and live observation both end here, with the same `Observation` values, so the same
responses give the same plan whichever way they were read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reconcile._codec.observed import decode_for_plan
from reconcile._core.errors import DecodeError
from reconcile._core.model import Notebook
from reconcile._core.observation import Failed, Found, Missing, Observation, Target
from reconcile._core.plan import (
    ADDRESS_PREFIX,
    OFFLINE,
    NotebookFingerprint,
    Plan,
    PlanError,
    PlanMetadata,
    ResourceChange,
    SpecDigest,
)
from reconcile._core.spec import Spec, SpecEntry
from reconcile._planning.compare import compare
from reconcile._planning.provenance import fingerprint_record, spec_digests
from reconcile._planning.unmanaged import find_unmanaged

__all__ = ["Decided", "build_plan", "targets"]


@attrs.frozen
class Decided:
    """An entry already planned from an observed body (list mode's trust test did the work).

    `build_plan` reuses `notebook` and `change` for the entry only when it is this very `entry`
    object (a spec rebuilt with acknowledged paths ignored is planned afresh) and its observation's
    body equals `body`; the plan is then what decoding and comparing again would give.
    """

    entry: SpecEntry
    body: Mapping[str, Any] = attrs.field(repr=False)
    notebook: Notebook = attrs.field(repr=False)
    change: ResourceChange


def targets(spec: Spec) -> list[Target]:
    """What to observe for each spec entry: its id, or its name when it has no id."""
    return [
        Target(entry.name, entry.notebook.id, entry.notebook.name if entry.notebook.id is None else None)
        for entry in spec.entries
    ]


def build_plan(
    spec: Spec,
    observations: Mapping[str, Observation],
    *,
    project_id: str | None = None,
    endpoint: str | None = None,
    observed: str | None = None,
    spec_files: Sequence[SpecDigest] | None = None,
    timestamp: str | None = None,
    listing: Iterable[Mapping[str, Any]] | None = None,
    decided: Mapping[str, Decided] | None = None,
) -> Plan:
    """Plan every spec entry; an entry that cannot be observed or decoded becomes a PlanError.

    The keyword arguments fill the plan's metadata (nothing else depends on them).

    Args:
        spec: the desired state.
        observations: one observation per entry, by local name.
        project_id: the project observed; default the spec's `project_id`.
        endpoint: the endpoint URL observed; `OFFLINE` when `observed` is given.
        observed: for an offline plan, the saved-responses path as given (`--observed`).
        spec_files: the digests of the spec files; default read again from `spec.files`.
        timestamp: when the plan was made (RFC 3339); default none, so equal inputs give equal plans.
        listing: the project's list entries, when a listing was made: the plan then reports the
            unmanaged notebooks and the coverage; None leaves both unknown.
        decided: entries already decoded and compared from their observed body, by local name
            (list mode's trust test); reused only where they apply (`Decided`).
    """
    changes: list[ResourceChange] = []
    errors: list[PlanError] = []
    seen: list[NotebookFingerprint] = []
    managed: dict[str, str] = {}  # observed notebook id -> the address that manages it
    for entry in spec.entries:
        observation = observations.get(entry.name, Failed("not observed"))
        if isinstance(observation, Missing):
            changes.append(compare(entry, None, observation.reason))  # located at its entry
            seen.append(fingerprint_record(entry.name, None))
        elif isinstance(observation, Failed):
            errors.append(PlanError(entry.name, observation.message, entry.notebook.id, entry.location))
        else:
            assert isinstance(observation, Found)
            prior = (decided or {}).get(entry.name)
            change: ResourceChange | None = None
            if prior is not None and prior.entry is entry and prior.body == observation.body:
                notebook, change = prior.notebook, prior.change
            else:
                try:
                    notebook = decode_for_plan(observation.body, source=observation.source)
                except DecodeError as exc:
                    errors.append(
                        PlanError(
                            entry.name, f"undecodable response: {exc}", entry.notebook.id, entry.location
                        )
                    )
                    continue
            address = f"{ADDRESS_PREFIX}.{entry.name}"
            if notebook.id is not None and managed.setdefault(notebook.id, address) != address:
                owner = managed[notebook.id]
                message = f"notebook {notebook.id} is also managed by {owner} (one entry per notebook)"
                errors.append(PlanError(entry.name, message, entry.notebook.id, entry.location))
                continue
            if change is None:
                change = compare(entry, notebook)
            changes.append(change)  # compare locates it at its entry (a reused one: this very entry)
            seen.append(fingerprint_record(entry.name, notebook))
    metadata = PlanMetadata(
        project_id=project_id if project_id is not None else spec.project_id,
        endpoint=OFFLINE if observed is not None else endpoint,
        observed=observed,
        spec_files=spec_digests(spec.files) if spec_files is None else spec_files,
        notebooks=seen,
        timestamp=timestamp,
    )
    if listing is None:
        return Plan(resource_changes=changes, errors=errors, metadata=metadata)
    unmanaged, listed = find_unmanaged(spec, listing)
    return Plan(
        resource_changes=changes, errors=errors, metadata=metadata, unmanaged=unmanaged, listed=listed
    )
