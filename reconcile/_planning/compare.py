"""Compare one desired notebook with what was observed: the orchestration of one notebook's plan.

`compare(entry, observed)` -> `ResourceChange`. Only the fields the spec states are compared, both
sides normalised the same way and flattened to `{spec path: normalised value}`
(`reconcile._planning.projection`), `ignore_changes` paths left out. Equal dicts (the common case)
cost one comparison; when they differ, each unequal path is a difference (the projection's values
are scalars and flat sets), and deepdiff is consulted only for a nested value, should a projection
ever hold one; deepdiff's own objects never leave here. How each difference applies comes from the
field catalogue (`reconcile._core.catalogue`) refined by the notebook's state
(`reconcile._core.lifecycle`); Terraform's `after` is built by `reconcile._planning.after`.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import attrs

from reconcile._codec import decode_notebook
from reconcile._codec.observed import before_of, echo_of
from reconcile._core.catalogue import Change, is_ignored, rule_for
from reconcile._core.enums import NotebookStatus, VolumeCategory
from reconcile._core.lifecycle import STARTING_STATES, health_of
from reconcile._core.model import SECRET_FIELDS, Notebook
from reconcile._core.plan import NO_OP_ACTIONS, Action, ApplyMethod, Difference, Health, ResourceChange
from reconcile._core.secrets import Scrubber, echoed
from reconcile._core.spec import NotebookSpec, SpecEntry
from reconcile._planning.after import after as _after
from reconcile._planning.after import json_value as _json
from reconcile._planning.after import merge as _merge
from reconcile._planning.decisions import decided
from reconcile._planning.projection import Flat, Projector, desired_values, projector
from reconcile._planning.projection import plain as _value

__all__ = ["compare"]


def _changed_paths(observed: Flat, desired: Flat) -> list[str]:
    """The paths whose values differ.

    Scalars (text, numbers, booleans) differ exactly when they are unequal, and so do the
    projection's sets (tuples of scalars, or of scalar pairs: the IP and key sets, the tags): each
    differs at its own path, which is all the plan records. Any other structure goes to deepdiff,
    only where it is unequal, so deepdiff (and its import) is paid only where there is nested
    structure to compare.
    """
    suspects = [p for p, v in desired.items() if observed[p] != v]
    structured = [p for p in suspects if not (_flat(desired[p]) and _flat(observed[p]))]
    changed = set(suspects) - set(structured)
    if structured:
        from deepdiff import DeepDiff  # imported on first need: most plans never need it

        tree = DeepDiff(
            {p: observed[p] for p in structured}, {p: desired[p] for p in structured}, view="tree"
        )
        changed |= {level.path(output_format="list")[0] for levels in tree.values() for level in levels}
    return sorted(changed)


_SCALARS = (str, int, float, bool, type(None))


def _flat(value: Any) -> bool:
    """A scalar, or a tuple of scalars or of tuples of scalars (how the projection writes sets)."""
    if type(value) is not tuple:
        return isinstance(value, _SCALARS)
    return all(
        isinstance(item, _SCALARS) or (type(item) is tuple and all(isinstance(x, _SCALARS) for x in item))
        for item in value
    )


@attrs.frozen
class _Context:
    """What decides how a difference is applied beyond the field itself.

    Attributes:
        running: the notebook is RUNNING now.
        stays_running: it is meant to be RUNNING afterwards (the spec's status, else as it is now).
        evs: its volume is EVS (or of unknown category): the only storage that grows in place.
    """

    running: bool
    stays_running: bool
    evs: bool


def _method(path: str, observed: Any, desired: Any, ctx: _Context) -> ApplyMethod:
    change = rule_for(path).change
    if change is Change.RUNNING_UPDATE:
        return ApplyMethod.IN_PLACE
    if change is Change.RESTART_UPDATE:
        # A running notebook is stopped for the update and started again, unless it is being stopped anyway.
        return ApplyMethod.RESTART if ctx.running and ctx.stays_running else ApplyMethod.STOPPED_UPDATE
    if change is Change.GROW_ONLY:
        grow = observed is None or (ctx.evs and isinstance(observed, int) and desired > observed)
        return ApplyMethod.GROW if grow else ApplyMethod.REPLACE
    if change is Change.LEASE:
        return ApplyMethod.LEASE
    if change is Change.TAGS:
        return ApplyMethod.TAGS
    if change is Change.STATUS:
        return ApplyMethod.START if desired == NotebookStatus.RUNNING.value else ApplyMethod.STOP
    return ApplyMethod.REPLACE


def _without_echoes(observed: Notebook) -> tuple[Notebook, dict[str, Any]]:
    """The notebook and its JSON (`before`, secrets dropped) with every echo of its token redacted.

    The service echoes the token inside other strings (an endpoint `uri` such as `.../lab?token=...`,
    a `fail_reason`, a data volume `url`, a tag value), at any depth and in any encoding. One fast
    check of the whole body runs on every notebook (made by `decode_for_plan` from the strings its
    pass wrote, or here of the JSON); only when it finds something is every string scrubbed and
    the notebook decoded again from the scrubbed JSON, so that the projection, the differences, the
    notes and `before`/`after` all read the scrubbed values.
    """
    before = before_of(observed)  # made by the decoder's own pass, or unstructured now
    token = observed.token
    if not token:
        return observed, before
    found = echo_of(observed)  # what the decoder's pass found in the strings it wrote, if it could tell
    if not (echoed(token, before) if found is None else found):
        return observed, before
    before = Scrubber.of(token).value(before)
    return decode_notebook(before), before


def _create(entry: SpecEntry, reason: str) -> ResourceChange:
    desired = desired_values(entry.notebook)
    # A new notebook gets a new id: it is known after apply, so `after` holds none (not the old one).
    identity = {"name": entry.notebook.name} if entry.notebook.name is not None else {}
    notes = [reason]  # an entry by id cannot be created: `decisions` adds the note that says so
    return ResourceChange(
        name=entry.name,
        notebook_id=entry.notebook.id,
        location=entry.location,
        actions=(Action.CREATE,),
        health=Health.MISSING,
        notes=tuple(notes),
        after=_merge(identity, desired),
    )


def _actions(diffs: list[Difference]) -> tuple[Action, ...]:
    """Terraform's actions for these differences (the sentences that explain them are derived from
    the plan's steps by the renderers: `reconcile._planning.decisions`)."""
    if not diffs:
        return NO_OP_ACTIONS  # the common case in a fleet
    if any(d.method is ApplyMethod.REPLACE for d in diffs):
        return (Action.DELETE, Action.CREATE)
    return (Action.UPDATE,)


_SECRET_ORDER = tuple(sorted(SECRET_FIELDS))
_NOTHING: frozenset[str] = frozenset()


def _differences(observed: Notebook, observed_flat: Flat, desired: Flat, final: Any) -> list[Difference]:
    """The differences between the two projections (unequal: the common no-op never gets here)."""
    changed = _changed_paths(observed_flat, desired)
    status = observed.status
    running = status is NotebookStatus.RUNNING or status in STARTING_STATES
    category = observed.volume.category if observed.volume else None
    ctx = _Context(
        running=running,
        stays_running=running if final is None else final == NotebookStatus.RUNNING.value,
        evs=category is None or category is VolumeCategory.EVS,
    )
    absent = tuple(p + "." for p in changed if p.startswith("endpoints.") and p.count(".") == 1)
    return [
        Difference(
            tuple(p.split(".")),
            _json(observed_flat[p]),
            _json(desired[p]),
            _method(p, observed_flat[p], desired[p], ctx),
        )
        for p in changed
        if not (absent and p.startswith(absent))  # a missing endpoint says it all
    ]


class _Stated(NamedTuple):
    """What one entry compares, worked out once (`_stated`)."""

    spec: NotebookSpec  # the entry itself: what the memo is keyed by
    paths: tuple[str, ...]  # its stated paths, `ignore_changes` and a disabled lease's duration left out
    values: tuple[Any, ...]  # their desired values, in that order
    final: Any  # the desired status, or None
    ignored: tuple[str, ...]  # the ignored paths, sorted, as the plan lists them
    project: Projector  # reads those paths of an observed notebook


def _stated(spec: NotebookSpec) -> _Stated:
    """What `spec` compares, remembered for the last few thousand entries compared.

    A fleet compares each entry once; a benchmark, a watch loop or list mode's confirmation the
    same entry again. Kept by the entry's identity (the memo holds the entry, so the identity is
    never reused while it is there), not by equality, which would hash the whole entry each time;
    cleared when full, so it holds a bounded number of entries and never grows with the fleet.
    """
    found = _STATED.get(id(spec))
    if found is not None and found.spec is spec:
        return found
    ignored = frozenset(spec.ignore_changes) if spec.ignore_changes else _NOTHING
    desired = desired_values(spec)
    if ignored:
        desired = {p: v for p, v in desired.items() if not is_ignored(p, ignored)}
    if desired.get("lease.enable") is False:
        desired.pop("lease.duration", None)  # how long a disabled auto-stop would wait is moot
    paths = tuple(desired)
    found = _Stated(
        spec, paths, tuple(desired.values()), desired.get("status"), tuple(sorted(ignored)), projector(paths)
    )
    if len(_STATED) >= _STATED_SIZE:
        _STATED.clear()
    _STATED[id(spec)] = found
    return found


#: The entries `_stated` remembers, by identity; at most `_STATED_SIZE` of them.
_STATED: dict[int, _Stated] = {}
_STATED_SIZE: Final = 4096


def _without_status(stated: _Stated) -> _Stated:
    """`stated` without the status (not compared while the notebook is in a transitional state)."""
    keep = [i for i, p in enumerate(stated.paths) if p != "status"]
    paths = tuple(stated.paths[i] for i in keep)
    return stated._replace(
        paths=paths, values=tuple(stated.values[i] for i in keep), project=projector(paths)
    )


@decided
def compare(
    entry: SpecEntry, observed: Notebook | None, missing_reason: str = "the notebook does not exist"
) -> ResourceChange:
    """Plan one notebook: what would change to make `observed` match `entry`.

    Args:
        entry: the spec entry (desired state).
        observed: the decoded notebook, or None when it does not exist.
        missing_reason: why it is missing, shown in the plan when `observed` is None.

    Returns:
        The ResourceChange: create when missing or DELETED, replace when a difference forces it,
        update when any other difference exists, no-op otherwise.
    """
    if observed is None:
        return _create(entry, f"{missing_reason}: it will be created")
    status = observed.status
    if status is NotebookStatus.DELETED:
        return _create(entry, "the notebook is DELETED: it will be created")
    if status is NotebookStatus.DELETING:
        return _create(entry, "the notebook is DELETING: it will be created again once it is gone")
    sensitive = tuple([f for f in _SECRET_ORDER if getattr(observed, f, None) is not None])
    observed, before = _without_echoes(observed)
    status = observed.status
    health = health_of(status)
    spec = entry.notebook
    stated = _stated(spec)
    final = stated.final
    if (health is Health.PENDING or health is Health.UNKNOWN) and final is not None:
        stated = _without_status(stated)  # compared once the notebook is in a known, steady state
    observed_now = stated.project(observed, before, stated.values)
    in_sync = observed_now == stated.values
    status_text = status._value_ if status is not None else None
    if in_sync and health is Health.HEALTHY:  # the common case in a fleet
        return ResourceChange(
            name=entry.name,
            notebook_id=observed.id or spec.id,
            location=entry.location,
            actions=NO_OP_ACTIONS,
            ignored=stated.ignored,
            health=health,
            status=status_text,
            sensitive=sensitive,
            before=before,
            after=before,  # nothing is written: `after` is `before` itself, as `_after` gives it
        )
    desired = dict(zip(stated.paths, stated.values, strict=True))
    observed_flat = dict(zip(stated.paths, observed_now, strict=True))
    diffs = [] if in_sync else _differences(observed, observed_flat, desired, final)
    notes: list[str] = []
    if health is Health.FAILED:
        diffs = [d for d in diffs if d.path != ("status",)]
        diffs.append(
            Difference(
                ("status",),
                status_text,
                _value(spec.status) or NotebookStatus.RUNNING.value,
                ApplyMethod.RECOVER,
            )
        )
        notes.append(f"fail_reason: {observed.fail_reason or '(the service gave none)'}")
    elif health is Health.PENDING:
        notes.append("status is not compared until the notebook leaves its transitional state")
    elif health is Health.UNKNOWN and final is not None:
        notes.append(
            "the status is pending: it is not compared (no start or stop is guessed) until the service "
            "reports a documented one"
        )
    if len(diffs) > 1:
        diffs.sort(key=lambda d: d.path)
    actions = _actions(diffs)
    return ResourceChange(
        name=entry.name,
        notebook_id=observed.id or spec.id,
        location=entry.location,
        actions=actions,
        differences=tuple(diffs),
        ignored=stated.ignored,
        health=health,
        status=status_text,
        notes=tuple(notes),
        sensitive=sensitive,
        before=before,
        after=_after(before, diffs, desired),
    )
