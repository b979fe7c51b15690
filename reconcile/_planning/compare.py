"""Compare one desired notebook with what was observed: the only module that imports deepdiff.

`compare(entry, observed)` -> `ResourceChange`. Only the fields the spec states are compared, both
sides normalised the same way (`reconcile._core.normalize`), `ignore_changes` paths left out. Both sides are
flattened to `{spec path: normalised value}`; equal dicts (the common case) cost one comparison, and
only when they differ does deepdiff find which paths differ. deepdiff's own objects never leave here.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any

import attrs
from deepdiff import DeepDiff

from reconcile._codec import convert
from reconcile._core import normalize
from reconcile._core.catalogue import SERVICES, Change, is_ignored, rule_for
from reconcile._core.enums import DevService, NotebookStatus, VolumeCategory
from reconcile._core.model import SECRET_FIELDS, Notebook
from reconcile._core.plan import Action, ApplyMethod, Difference, Health, ResourceChange
from reconcile._core.secrets import REDACTED
from reconcile._core.spec import NotebookSpec, SpecEntry

__all__ = ["FAILED_STATES", "PENDING_STATES", "compare", "desired_values", "health_of", "observed_values"]

#: Transitional states: reported as pending, never as drift.
PENDING_STATES = frozenset(
    {
        NotebookStatus.INIT,
        NotebookStatus.CREATING,
        NotebookStatus.STARTING,
        NotebookStatus.STOPPING,
        NotebookStatus.SNAPSHOTTING,
    }
)
#: Failed states: drift whatever the spec says.
FAILED_STATES = frozenset(
    {
        NotebookStatus.CREATE_FAILED,
        NotebookStatus.START_FAILED,
        NotebookStatus.DELETE_FAILED,
        NotebookStatus.ERROR,
        NotebookStatus.FROZEN,
    }
)

Flat = dict[str, Any]


def health_of(status: NotebookStatus | None) -> Health:
    """Runtime health of an observed status."""
    if status is None or not status.known:
        return Health.UNKNOWN
    if status in PENDING_STATES:
        return Health.PENDING
    if status in FAILED_STATES:
        return Health.FAILED
    if status in (NotebookStatus.DELETED, NotebookStatus.DELETING):
        return Health.MISSING
    return Health.HEALTHY


def _value(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v


def desired_values(nb: NotebookSpec) -> Flat:
    """The stated fields of a spec entry as `{spec path: normalised value}`."""
    flat: Flat = {}
    if nb.id is not None and nb.name is not None:
        flat["name"] = nb.name
    for key in ("description", "flavor", "feature", "workspace_id", "status"):
        value = getattr(nb, key)
        if value is not None:
            flat[key] = _value(value)
    for group, obj in (("image", nb.image), ("volume", nb.volume), ("lease", nb.lease), ("pool", nb.pool)):
        if obj is None:
            continue
        for field in attrs.fields(type(obj)):
            value = getattr(obj, field.name)
            if value is not None:
                key = field.name
                flat[f"{group}.{key}"] = _value(value)
    if "volume.mount_path" in flat:
        flat["volume.mount_path"] = normalize.path_text(flat["volume.mount_path"])
    if nb.endpoints is not None:
        stated = {ep.dev_service.value: ep for ep in nb.endpoints}
        for svc in SERVICES:
            if svc in stated or svc == DevService.SSH.value:
                flat[f"endpoints.{svc}"] = svc in stated
        for svc, ep in stated.items():
            if ep.allowed_access_ips is not None:
                flat[f"endpoints.{svc}.allowed_access_ips"] = normalize.access_set(ep.allowed_access_ips)
            if ep.ssh_keys is not None:
                flat[f"endpoints.{svc}.ssh_keys"] = ep.ssh_keys
    return flat


def observed_values(nb: Notebook, paths: Flat) -> Flat:
    """The observed notebook's values at the paths of `paths` (desired values), normalised alike.

    An absent value reads as the API's documented default where the catalogue gives one.
    """
    flat: Flat = {}
    for path in paths:
        flat[path] = _accessor(path)(nb)
        if path == "image.swr_path" and nb.image is not None and not _has_tag(paths[path]):
            flat[path] = nb.image.swr_path  # the spec names the repository alone: compare it alone
        if flat[path] is None:
            flat[path] = rule_for(path).observed_default
    return flat


def _has_tag(swr_path: Any) -> bool:
    return isinstance(swr_path, str) and ":" in swr_path.rsplit("/", 1)[-1]


@functools.cache
def _accessor(path: str) -> Callable[[Notebook], Any]:
    """How to read one spec path from an observed notebook, worked out once per path."""
    head, _, rest = path.partition(".")
    if head == "endpoints":
        svc, _, key = rest.partition(".")
        service = DevService(svc)
        if not key:
            return lambda nb: nb.endpoint(service) is not None
        if key == "allowed_access_ips":

            def allowed(nb: Notebook) -> Any:
                ep = nb.endpoint(service)
                return normalize.observed_cidrs(ep.allowed_access_ips if ep else None)

            return allowed

        def keys(nb: Notebook) -> Any:
            ep = nb.endpoint(service)
            return normalize.string_set(ep.ssh_keys if ep else None)

        return keys
    if path == "image.tag":
        return lambda nb: nb.image.effective_tag if nb.image else None
    if path == "image.swr_path":
        return lambda nb: nb.image.tagged_swr_path if nb.image else None
    if path == "volume.mount_path":
        return lambda nb: (
            normalize.path_text(nb.volume.mount_path) if nb.volume and nb.volume.mount_path else None
        )
    if rest:

        def nested(nb: Notebook) -> Any:
            obj = getattr(nb, head)
            return None if obj is None else _value(getattr(obj, rest))

        return nested
    return lambda nb: _value(getattr(nb, head))


@functools.lru_cache(maxsize=4096)
def _desired_items(nb: NotebookSpec) -> tuple[tuple[str, Any], ...]:
    """`desired_values`, computed once per spec entry (a fleet plan compares each entry once, a
    benchmark or a watch loop many times)."""
    return tuple(desired_values(nb).items())


def _changed_paths(observed: Flat, desired: Flat) -> list[str]:
    """The paths whose values differ.

    Scalars (text, numbers, booleans) differ exactly when they are unequal. Structured values (the
    IP and key sets) go to deepdiff, only those that are unequal, so its fixed cost (a few hundred
    microseconds per call) is paid only where there is structure to compare.
    """
    suspects = [p for p, v in desired.items() if observed[p] != v]
    structured = [p for p in suspects if isinstance(desired[p], tuple) or isinstance(observed[p], tuple)]
    changed = set(suspects) - set(structured)
    if structured:
        tree = DeepDiff(
            {p: observed[p] for p in structured}, {p: desired[p] for p in structured}, view="tree"
        )
        changed |= {level.path(output_format="list")[0] for levels in tree.values() for level in levels}
    return sorted(changed)


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
        return ApplyMethod.RESTART if ctx.running and ctx.stays_running else ApplyMethod.IN_PLACE
    if change is Change.GROW_ONLY:
        grow = observed is None or (ctx.evs and isinstance(observed, int) and desired > observed)
        return ApplyMethod.GROW if grow else ApplyMethod.REPLACE
    if change is Change.LEASE:
        return ApplyMethod.LEASE
    if change is Change.STATUS:
        return ApplyMethod.START if desired == NotebookStatus.RUNNING.value else ApplyMethod.STOP
    return ApplyMethod.REPLACE


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _merge(before: dict[str, Any], desired: Flat) -> dict[str, Any]:
    """`before` with the desired values written at their paths (Terraform's `after`).

    Copy on write: only the objects on a written path are copied; the rest is shared with `before`
    (plans are never modified once built).
    """
    after = dict(before)
    for path, value in desired.items():
        head, _, rest = path.partition(".")
        if head == "endpoints":
            svc, _, key = rest.partition(".")
            endpoints = [
                dict(ep)
                for ep in after.get("endpoints", [])
                if ep.get("dev_service") != svc or value is not False
            ]
            after["endpoints"] = endpoints
            if value is False:
                continue
            ep = next((e for e in endpoints if e.get("dev_service") == svc), None)
            if ep is None:
                ep = {"dev_service": svc}
                endpoints.append(ep)
            if key:
                ep[key] = _json(value)
        elif rest:
            after[head] = {**after.get(head, {}), rest: _json(value)}
        else:
            after[head] = _json(value)
    return after


def _echoes(secret: str, before: dict[str, Any], notes: list[str]) -> bool:
    """Whether the service echoed the token in a top-level text field (a `url`, a `fail_reason`).

    A cheap check on every notebook; the full scrub of `_scrubbed` runs only when it is true.
    """
    texts = (v for v in before.values() if isinstance(v, str))
    return any(secret in text for text in texts) or any(secret in note for note in notes)


def _scrubbed(value: Any, secret: str) -> Any:
    """`value` with every occurrence of `secret` inside its strings replaced by `<redacted>`."""
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, dict):
        return {k: _scrubbed(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, secret) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrubbed(v, secret) for v in value)
    if isinstance(value, Difference):
        return attrs.evolve(value, observed=_scrubbed(value.observed, secret))
    return value


def _after(before: dict[str, Any], diffs: list[Difference], desired: Flat) -> dict[str, Any]:
    """Terraform's `after`: `before` itself when nothing is written (shared, never mutated).

    An endpoint being added brings every setting the spec gives it (its keys, its allow-list),
    not only the fact that it exists.
    """
    writes = {d.dotted_path: d.desired for d in diffs if d.method is not ApplyMethod.RECOVER}
    for d in diffs:
        if d.path[0] == "endpoints" and len(d.path) == 2 and d.desired is True:
            prefix = d.dotted_path + "."
            writes.update({p: _json(v) for p, v in desired.items() if p.startswith(prefix)})
    return _merge(before, writes) if writes else before


def _create(entry: SpecEntry, reason: str) -> ResourceChange:
    desired = desired_values(entry.notebook)
    identity = {"id": entry.notebook.id} if entry.notebook.id else {}
    if entry.notebook.name is not None:
        identity["name"] = entry.notebook.name
    notes = [reason]
    if entry.notebook.id is not None:
        notes.append("a new notebook gets a new id: put it in the spec after creating it")
    return ResourceChange(
        name=entry.name,
        notebook_id=entry.notebook.id,
        actions=(Action.CREATE,),
        health=Health.MISSING,
        notes=tuple(notes),
        after=_merge(identity, desired),
    )


def _actions(diffs: list[Difference], notes: list[str], *, stopped_throughout: bool) -> tuple[Action, ...]:
    """Terraform's actions for these differences; the notes that explain them are appended."""
    methods = {d.method for d in diffs}
    if ApplyMethod.REPLACE in methods:
        forcing = ", ".join(d.dotted_path for d in diffs if d.forces_replacement)
        notes.append(f"replacement forced by {forcing}")
        return (Action.DELETE, Action.CREATE)
    if not diffs:
        return (Action.NO_OP,)
    if ApplyMethod.RESTART in methods:
        notes.append("the notebook is RUNNING: it will be stopped, updated and started again")
    needs_running = any(
        d.method is ApplyMethod.GROW
        or (d.method is ApplyMethod.IN_PLACE and rule_for(d.dotted_path).change is Change.RUNNING_UPDATE)
        for d in diffs
    )
    if needs_running and stopped_throughout:
        notes.append(
            "name, description and storage change only while RUNNING: "
            "the notebook will be started for the update and stopped again"
        )
    return (Action.UPDATE,)


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
    health = health_of(status)
    spec = entry.notebook
    ignored = frozenset(spec.ignore_changes)
    desired = dict(_desired_items(spec))
    if ignored:
        desired = {p: v for p, v in desired.items() if not is_ignored(p, ignored)}
    if health is Health.PENDING:
        desired.pop("status", None)
    observed_flat = observed_values(observed, desired)
    changed = [] if observed_flat == desired else _changed_paths(observed_flat, desired)
    running = status is NotebookStatus.RUNNING
    final = desired.get("status")
    category = observed.volume.category if observed.volume else None
    ctx = _Context(
        running=running,
        stays_running=running if final is None else final == NotebookStatus.RUNNING.value,
        evs=category is None or category is VolumeCategory.EVS,
    )
    absent_endpoints = {p for p in changed if p.startswith("endpoints.") and p.count(".") == 1}
    diffs = [
        Difference(
            tuple(p.split(".")),
            _json(observed_flat[p]),
            _json(desired[p]),
            _method(p, observed_flat[p], desired[p], ctx),
        )
        for p in changed
        if not any(p.startswith(a + ".") for a in absent_endpoints)  # a missing endpoint says it all
    ]
    notes: list[str] = []
    status_text = status.value if status is not None else None
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
    diffs.sort(key=lambda d: d.path)
    actions = _actions(
        diffs, notes, stopped_throughout=status is NotebookStatus.STOPPED and not ctx.stays_running
    )
    before = convert.unstructure(observed)
    secret = observed.token.reveal() if observed.token else ""
    if secret and _echoes(secret, before, notes):
        before = _scrubbed(before, secret)
        notes = _scrubbed(notes, secret)
        diffs = _scrubbed(diffs, secret)
    return ResourceChange(
        name=entry.name,
        notebook_id=observed.id or spec.id,
        actions=actions,
        differences=tuple(diffs),
        ignored=tuple(sorted(ignored)),
        health=health,
        status=status_text,
        notes=tuple(notes),
        sensitive=tuple(sorted(f for f in SECRET_FIELDS if getattr(observed, f, None) is not None)),
        before=before,
        after=_after(before, diffs, desired),
    )
