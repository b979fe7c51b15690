"""The plan: what would change, as pure data.

A `Plan` holds one `ResourceChange` per spec entry that could be observed (sorted by address) and one
`PlanError` per entry that could not. Renderers (`reconcile._render`) read a Plan and nothing else;
the comparator (`reconcile._planning.compare`) is the only producer besides the JSON reader used by
`reconcile show`.

Values inside a plan (`Difference.observed`, `ResourceChange.before`, ...) are plain JSON values
(None, bool, int, str, lists and dicts of them), so every renderer can print them without knowing
the models they came from. Secrets are never stored here. The dicts are shared where they are equal
(`after` is `before` when nothing changes): treat them as read-only, as every renderer does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from reconcile._core.location import Location

__all__ = [
    "FORMAT_VERSION",
    "RESOURCE_TYPE",
    "Action",
    "ApplyMethod",
    "Difference",
    "Health",
    "Plan",
    "PlanError",
    "ResourceChange",
    "Summary",
]

#: Version of the JSON plan format; the shape follows `terraform show -json` format 1.2.
FORMAT_VERSION = "1.2"
#: The Terraform resource type a ModelArts notebook corresponds to.
RESOURCE_TYPE = "huaweicloud_modelarts_notebook"
#: The prefix of every plan address: `huaweicloud_modelarts_notebook.<local name>`, Terraform's `TYPE.NAME`.
ADDRESS_PREFIX = RESOURCE_TYPE

JSONValue = Any  # None | bool | int | float | str | list[JSONValue] | dict[str, JSONValue]


class Action(enum.StrEnum):
    """A change action, in Terraform's words."""

    NO_OP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class ApplyMethod(enum.StrEnum):
    """How the API would apply one difference (see the field catalogue in DESIGN.md section 3)."""

    IN_PLACE = "update-in-place"  # PUT while RUNNING (name, description)
    RESTART = "stop-update-start"  # stop, PUT, start (flavor, image, allowed_access_ips)
    GROW = "grow-in-place"  # storage_new_size while RUNNING
    LEASE = "lease-update"  # PATCH .../lease
    START = "start"
    STOP = "stop"
    REPLACE = "replace"  # delete and create again
    RECOVER = "recover"  # a failed notebook: needs attention whatever the spec says

    @property
    def forces_replacement(self) -> bool:
        """Whether a difference applied this way means the notebook is replaced."""
        return self is ApplyMethod.REPLACE


class Health(enum.StrEnum):
    """Runtime health, kept apart from configuration drift (as Argo CD does)."""

    HEALTHY = "healthy"  # RUNNING or STOPPED
    PENDING = "pending"  # a transitional state: INIT, CREATING, STARTING, STOPPING, SNAPSHOTTING
    FAILED = "failed"  # CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR, FROZEN
    MISSING = "missing"  # not found, DELETED, or DELETING
    UNKNOWN = "unknown"  # a status the documentation does not list


@attrs.frozen
class Difference:
    """One managed field whose observed value differs from the desired one.

    Attributes:
        path: where the field is, as spec path elements (`("endpoints", "SSH", "allowed_access_ips")`).
        observed: the live value after normalisation (None when absent).
        desired: the value the spec asks for, normalised.
        method: how the API would apply the change.
    """

    path: tuple[str, ...]
    observed: JSONValue
    desired: JSONValue
    method: ApplyMethod

    @property
    def dotted_path(self) -> str:
        """The path as the spec writes it (`lease.duration`)."""
        return ".".join(self.path)

    @property
    def forces_replacement(self) -> bool:
        """Whether this difference alone means the notebook must be replaced."""
        return self.method.forces_replacement


@attrs.frozen
class ResourceChange:
    """The planned change of one notebook of the spec.

    Attributes:
        name: the local name in the spec (`train-box`).
        notebook_id: the observed notebook's id, or the spec's id; None when unknown (create by name).
        actions: Terraform's actions: `(no-op,)`, `(update,)`, `(create,)` or `(delete, create)`.
        differences: every managed field that drifted, sorted by path.
        ignored: spec paths left out of the comparison by `ignore_changes`, sorted.
        health: runtime health of the observed notebook.
        status: the observed status text (exactly as the service sent it), or None when missing.
        notes: human sentences about the change: pending states, failure reasons, stop/start needs.
        sensitive: top-level fields of the observed notebook that hold secrets (`token`); their
            values are never in the plan, only the fact that they exist.
        before: the observed notebook as JSON (secrets removed), or None when missing.
        after: the desired values merged onto `before`, or the desired values alone for a create.
        location: where the spec declares this entry (file and line), when known.
    """

    name: str
    notebook_id: str | None
    actions: tuple[Action, ...]
    differences: tuple[Difference, ...] = ()
    ignored: tuple[str, ...] = ()
    health: Health = Health.HEALTHY
    status: str | None = None
    notes: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    before: dict[str, JSONValue] | None = attrs.field(default=None, eq=False, repr=False)
    after: dict[str, JSONValue] | None = attrs.field(default=None, eq=False, repr=False)
    location: Location | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def address(self) -> str:
        """The plan address: `huaweicloud_modelarts_notebook.<local name>`."""
        return f"{ADDRESS_PREFIX}.{self.name}"

    @property
    def replace_paths(self) -> tuple[tuple[str, ...], ...]:
        """The paths of the differences that force replacement."""
        return tuple(d.path for d in self.differences if d.forces_replacement)

    @property
    def is_change(self) -> bool:
        """Whether anything would be done to this notebook."""
        return self.actions != (Action.NO_OP,)


@attrs.frozen
class PlanError:
    """A spec entry that could not be planned (observation failed, body undecodable, ...).

    Attributes:
        name: the local name in the spec.
        message: one line saying what went wrong; never carries a secret.
        notebook_id: the notebook id when the spec gives one.
        location: where the spec declares this entry (file and line), when known.
    """

    name: str
    message: str
    notebook_id: str | None = None
    location: Location | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def address(self) -> str:
        """The plan address of the entry that failed."""
        return f"{ADDRESS_PREFIX}.{self.name}"


@attrs.frozen
class Summary:
    """Counts over a plan, as printed in the footer and in the JSON `summary`."""

    add: int
    change: int
    destroy: int
    no_op: int
    pending: int
    errors: int


def _sorted_changes(changes: Iterable[ResourceChange]) -> tuple[ResourceChange, ...]:
    return tuple(sorted(changes, key=lambda rc: rc.address))


def _sorted_errors(errors: Iterable[PlanError]) -> tuple[PlanError, ...]:
    return tuple(sorted(errors, key=lambda e: (e.address, e.message)))


@attrs.frozen
class Plan:
    """A whole plan: resource changes and errors, both sorted by address.

    Attributes:
        resource_changes: one per plannable spec entry.
        errors: one per spec entry that could not be observed.
        format_version: the JSON plan format version.
    """

    resource_changes: tuple[ResourceChange, ...] = attrs.field(converter=_sorted_changes)
    errors: tuple[PlanError, ...] = attrs.field(default=(), converter=_sorted_errors)
    format_version: str = FORMAT_VERSION

    @property
    def summary(self) -> Summary:
        """Counts of creates, changes, destroys (a replace is one add and one destroy), no-ops,
        pending notebooks and errors."""
        add = change = destroy = no_op = pending = 0
        for rc in self.resource_changes:
            if Action.CREATE in rc.actions:
                add += 1
            if Action.DELETE in rc.actions:
                destroy += 1
            if rc.actions == (Action.UPDATE,):
                change += 1
            if rc.actions == (Action.NO_OP,):
                no_op += 1
            if rc.health is Health.PENDING:
                pending += 1
        return Summary(add, change, destroy, no_op, pending, len(self.errors))

    @property
    def has_changes(self) -> bool:
        """Whether any notebook would be created, changed or replaced."""
        return any(rc.is_change for rc in self.resource_changes)
