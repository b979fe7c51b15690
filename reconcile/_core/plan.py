"""The plan: what would change, as pure data.

A `Plan` holds one `ResourceChange` per spec entry that could be observed (sorted by address), one
`PlanError` per entry that could not, and a `PlanMetadata` block saying where the plan came from.
Renderers (`reconcile._render`) read a Plan and nothing else; the comparator
(`reconcile._planning.compare`) is the only producer besides the JSON reader used by `reconcile show`.

Values inside a plan (`Difference.observed`, `ResourceChange.before`, ...) are plain JSON values
(None, bool, int, str, lists and dicts of them), so every renderer can print them without knowing
the models they came from. Secrets are never stored here. The dicts are shared where they are equal
(`after` is `before` when nothing changes): treat them as read-only, as every renderer does.

How a change is applied is data, never prose: `ResourceChange.steps` is the ordered list of `Step`s
an apply executes (derived by `reconcile._planning.decisions`), and `STEP_METHODS` says which
differences each step writes. The renderers derive their English sentences from the steps.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from reconcile._core.location import Location
from reconcile._version import __version__

__all__ = [
    "FORMAT_VERSION",
    "NO_OP_ACTIONS",
    "OFFLINE",
    "RECONCILE_FORMAT_VERSION",
    "RESOURCE_TYPE",
    "STEP_METHODS",
    "Acknowledgement",
    "Action",
    "ApplyMethod",
    "Difference",
    "Health",
    "NotebookFingerprint",
    "Plan",
    "PlanError",
    "PlanMetadata",
    "ResourceChange",
    "SpecDigest",
    "Step",
    "Summary",
    "Unmanaged",
]

#: Terraform's JSON plan format the document's shape follows (`terraform show -json` format 1.2).
FORMAT_VERSION = "1.2"
#: Version of modelarts-reconcile's own additions to that shape (steps, metadata, differences, ...):
#: `MAJOR.MINOR`; a reader reads every minor version of its major and refuses other majors.
RECONCILE_FORMAT_VERSION = "2.1"
#: `PlanMetadata.endpoint` of a plan made from saved responses (`--observed`) instead of the API.
OFFLINE = "offline"
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


#: The actions of a no-op, made once (every notebook of a plan is asked whether it is one).
NO_OP_ACTIONS: Final = (Action.NO_OP,)


class ApplyMethod(enum.StrEnum):
    """How the API would apply one difference (the field catalogue: docs/design.md)."""

    IN_PLACE = "update-in-place"  # PUT while RUNNING (name, description)
    RESTART = "stop-update-start"  # stop, PUT, start (flavor, image, allowed_access_ips)
    STOPPED_UPDATE = "update-while-stopped"  # PUT while STOPPED, no restart (the same fields)
    GROW = "grow-in-place"  # storage_new_size while RUNNING
    LEASE = "lease-update"  # PATCH .../lease
    TAGS = "tags-update"  # the notebook tags API (create/delete), in any status
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


class Step(enum.StrEnum):
    """One step of applying a resource change, in the order `ResourceChange.steps` lists them.

    A closed list with stable values (they are written to the JSON plan and read by `apply`). The
    `*-for-update` steps move a notebook to the status an update needs; the `*-after-update` steps
    undo them (the status it had is restored); `start` and `stop` move it to its final status (the
    spec's, or for a replacement the status the old notebook had). Which differences a step writes:
    `STEP_METHODS`.
    """

    REFUSE_CREATE_BY_ID = "refuse-create-by-id"  # a create or replacement of an entry by id: refused
    AWAIT_SETTLED = "await-settled"  # a transitional status: poll until it settles
    AWAIT_DELETION = "await-deletion"  # DELETING: poll until the old notebook is gone
    DELETE = "delete"  # DELETE the notebook (a replacement) and poll until it is gone
    CREATE = "create"  # POST a new notebook from the spec (after); it comes up RUNNING
    START_FOR_UPDATE = "start-for-update"  # a stopped notebook: the next update needs RUNNING
    STOP_FOR_UPDATE = "stop-for-update"  # a running notebook: the next update needs STOPPED
    UPDATE_WHILE_RUNNING = "update-while-running"  # PUT name, description, storage_new_size
    UPDATE_WHILE_STOPPED = "update-while-stopped"  # PUT flavor, image_id, endpoints
    UPDATE_LEASE = "update-lease"  # PATCH .../lease (while RUNNING)
    UPDATE_TAGS = "update-tags"  # the tags API: create and delete tags (any status)
    START_AFTER_UPDATE = "start-after-update"  # back to RUNNING after stop-for-update
    STOP_AFTER_UPDATE = "stop-after-update"  # back to STOPPED after start-for-update
    START = "start"  # the final status is RUNNING
    STOP = "stop"  # the final status is STOPPED
    RECOVER = "recover"  # a failed notebook: apply changes nothing and reports it
    HOLD = "hold"  # an undocumented (or absent) status: apply changes nothing and reports it


#: The differences each step writes, by their `ApplyMethod`; steps not listed write none (waits,
#: temporary starts and stops) or, for `create`, the whole `after` of the resource change.
STEP_METHODS: Final[Mapping[Step, frozenset[ApplyMethod]]] = {
    Step.UPDATE_WHILE_RUNNING: frozenset({ApplyMethod.IN_PLACE, ApplyMethod.GROW}),
    Step.UPDATE_WHILE_STOPPED: frozenset({ApplyMethod.RESTART, ApplyMethod.STOPPED_UPDATE}),
    Step.UPDATE_LEASE: frozenset({ApplyMethod.LEASE}),
    Step.UPDATE_TAGS: frozenset({ApplyMethod.TAGS}),
    Step.START: frozenset({ApplyMethod.START}),
    Step.STOP: frozenset({ApplyMethod.STOP}),
    Step.RECOVER: frozenset({ApplyMethod.RECOVER}),
    Step.DELETE: frozenset({ApplyMethod.REPLACE}),
}


@attrs.frozen
class Acknowledgement:
    """A difference a valid `drift:` waiver acknowledges (`plan --waivers`): left out of the change
    (its path is in `ignored`), kept as data.

    Attributes:
        path: the drifted field, a dotted spec path (`volume.capacity`).
        reason: why it is accepted, from the waiver.
        owner: who answers for it.
        expires: the waiver's last valid day, `YYYY-MM-DD` (through the end of that day, UTC).
        expiring: whether the waiver expires within the policy's `warn_days`.
    """

    path: str
    reason: str
    owner: str
    expires: str
    expiring: bool = False


@attrs.frozen(slots=False)  # a dict-based frozen init is faster: a fleet makes one per notebook
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


@attrs.frozen(slots=False)  # a dict-based frozen init is faster: a fleet makes one per notebook
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
        notes: human sentences about what was observed: why a notebook is missing, pending states,
            failure reasons. The sentences about how the change is applied are derived from `steps`
            by the renderers and are not stored here.
        sensitive: top-level fields of the observed notebook that hold secrets (`token`); their
            values are never in the plan, only the fact that they exist.
        before: the observed notebook as JSON (secrets removed), or None when missing.
        after: the desired values merged onto `before`, or the desired values alone for a create.
        location: where the spec declares this entry (file and line), when known.
        steps: what applying the change takes, in order (empty for a no-op).
        create_missing: for a change with a `create` step, the inputs the create API requires
            (`name`, `flavor`, `image.id`, `volume.category`) that `after` does not give, as dotted
            paths; apply refuses such a create before it starts.
        acknowledged: the differences `drift:` waivers acknowledge, in path order (their paths are
            also in `ignored`).
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
    steps: tuple[Step, ...] = ()
    create_missing: tuple[str, ...] = ()
    acknowledged: tuple[Acknowledgement, ...] = ()

    @property
    def address(self) -> str:
        """The plan address: `huaweicloud_modelarts_notebook.<local name>`."""
        return f"{ADDRESS_PREFIX}.{self.name}"

    def differences_for(self, step: Step) -> tuple[Difference, ...]:
        """The differences `step` writes (see `STEP_METHODS`), in path order."""
        methods = STEP_METHODS.get(step, frozenset())
        return tuple(d for d in self.differences if d.method in methods)

    @property
    def replace_paths(self) -> tuple[tuple[str, ...], ...]:
        """The paths of the differences that force replacement."""
        return tuple(d.path for d in self.differences if d.forces_replacement)

    @property
    def is_change(self) -> bool:
        """Whether anything would be done to this notebook."""
        return self.actions != NO_OP_ACTIONS


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
    unmanaged: int = 0


@attrs.frozen
class Unmanaged:
    """A notebook of the listed project that no spec entry manages (by id, or by name for name-only entries).

    Attributes:
        notebook_id: the notebook's id.
        name: its name, when the listing gives one.
        status: its status text, as the service sent it.
        workspace_id: its workspace, when the listing gives one.
        ignored: the reason of the spec's `unmanaged.ignore` rule that matches it, or None; an ignored
            notebook is reported but never counted (`Summary.unmanaged`, `--unmanaged fail`).
    """

    notebook_id: str
    name: str | None = None
    status: str | None = None
    workspace_id: str | None = None
    ignored: str | None = None

    @property
    def counts(self) -> bool:
        """Whether this notebook counts as unmanaged (no ignore rule matches it)."""
        return self.ignored is None


def _sorted_changes(changes: Iterable[ResourceChange]) -> tuple[ResourceChange, ...]:
    return tuple(sorted(changes, key=lambda rc: rc.address))


def _sorted_unmanaged(items: Iterable[Unmanaged]) -> tuple[Unmanaged, ...]:
    return tuple(sorted(items, key=lambda u: (u.name or "", u.notebook_id)))


def _sorted_errors(errors: Iterable[PlanError]) -> tuple[PlanError, ...]:
    return tuple(sorted(errors, key=lambda e: (e.address, e.message)))


@attrs.frozen
class SpecDigest:
    """The SHA-256 digest of one spec file the plan was made from.

    Attributes:
        file: the file name as it was given (on the command line, to `load_spec`).
        sha256: `sha256:` and 64 lowercase hex digits; None when the file could not be read again
            (it is not a file, as for `spec_from_data`).
    """

    file: str
    sha256: str | None


@attrs.frozen(slots=False)  # a dict-based frozen init is faster: a fleet makes one per notebook
class NotebookFingerprint:
    """What one notebook looked like when it was planned, so a saved plan can be found stale.

    Attributes:
        name: the local name in the spec.
        fingerprint: `sha256:` and 64 hex digits over the canonical JSON of the observed fields the
            plan depends on (secrets excluded); the fingerprint of "absent" for a missing notebook.
        status: the observed status, or None when missing.
        update_at: the observed `update_at` (ms), when the service sent one.
    """

    name: str
    fingerprint: str
    status: str | None = None
    update_at: int | None = None


def _sorted_digests(digests: Iterable[SpecDigest]) -> tuple[SpecDigest, ...]:
    return tuple(sorted(digests, key=lambda d: d.file))


def _sorted_fingerprints(items: Iterable[NotebookFingerprint]) -> tuple[NotebookFingerprint, ...]:
    return tuple(sorted(items, key=lambda f: f.name))


@attrs.frozen
class PlanMetadata:
    """Where a plan came from: enough for an apply to refuse a plan made elsewhere or gone stale.

    No wall clock unless asked for: equal inputs give equal metadata.

    Attributes:
        tool_version: the modelarts-reconcile version that made the plan.
        project_id: the project the notebooks were observed in, when known.
        endpoint: the ModelArts endpoint URL they were read from, `OFFLINE` for saved responses,
            or None when not said.
        observed: for an offline plan, the `--observed` path as given.
        spec_files: the digests of the spec files, sorted by file name.
        notebooks: one fingerprint per planned notebook (not for errors), sorted by local name.
        timestamp: when the plan was made (RFC 3339, UTC), only when the caller gives one.
    """

    tool_version: str = __version__
    project_id: str | None = None
    endpoint: str | None = None
    observed: str | None = None
    spec_files: tuple[SpecDigest, ...] = attrs.field(default=(), converter=_sorted_digests)
    notebooks: tuple[NotebookFingerprint, ...] = attrs.field(default=(), converter=_sorted_fingerprints)
    timestamp: str | None = None

    def fingerprint_of(self, name: str) -> NotebookFingerprint | None:
        """The fingerprint recorded for the notebook with local name `name`, if any."""
        return next((f for f in self.notebooks if f.name == name), None)


@attrs.frozen
class Plan:
    """A whole plan: resource changes and errors, both sorted by address, and where it came from.

    Attributes:
        resource_changes: one per plannable spec entry.
        errors: one per spec entry that could not be observed.
        metadata: tool version, project, endpoint, spec digests and notebook fingerprints.
        unmanaged: the listed notebooks no spec entry manages (ignored ones too, with their reason),
            sorted by name and id; empty when there was no listing.
        listed: how many notebooks the project's listing held (DELETED and DELETING left out), or
            None when no listing was made (unmanaged notebooks are then unknown).
    """

    resource_changes: tuple[ResourceChange, ...] = attrs.field(converter=_sorted_changes)
    errors: tuple[PlanError, ...] = attrs.field(default=(), converter=_sorted_errors)
    metadata: PlanMetadata = attrs.field(factory=PlanMetadata)
    unmanaged: tuple[Unmanaged, ...] = attrs.field(default=(), converter=_sorted_unmanaged)
    listed: int | None = None

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
            if rc.actions == NO_OP_ACTIONS:
                no_op += 1
            if rc.health is Health.PENDING:
                pending += 1
        unmanaged = sum(1 for u in self.unmanaged if u.counts)
        return Summary(add, change, destroy, no_op, pending, len(self.errors), unmanaged)

    @property
    def has_changes(self) -> bool:
        """Whether any notebook would be created, changed or replaced."""
        return any(rc.is_change for rc in self.resource_changes)

    @property
    def coverage(self) -> tuple[int, int] | None:
        """`(managed, listed)`: how many listed notebooks are not unmanaged, of how many; None
        without a listing. Ignored notebooks are not managed."""
        if self.listed is None:
            return None
        return self.listed - len(self.unmanaged), self.listed
