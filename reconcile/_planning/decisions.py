"""How a planned change is applied, as data: the ordered `Step`s of each `ResourceChange`.

Derived from the change alone (its actions, its differences and how each is applied, the observed
status and health) plus, for a create, the observed status of a notebook being deleted. The rules
(docs/design.md, "The apply order"):

- name, description and volume growth are PUT while RUNNING; flavor, image and the SSH allow-list
  are PUT while STOPPED; the lease is PATCHed while RUNNING, after the last start (a start resets it).
- The final status is the spec's (a `status` difference), else the status the notebook had: a
  notebook stopped or started only for an update is put back (`*-after-update`).
- A running notebook does its RUNNING work first, a stopped one its STOPPED work first, so no
  notebook moves more often than it must.
- A transitional status is waited for first (`await-settled`), then planned as the status it
  settles in (STOPPING: STOPPED; the others: RUNNING); its status is not compared, so kept.
- A running notebook stopped for an update is started again (`start-after-update`) with its
  auto-stop kept: a TIMING lease with the time it had left, so auto-stop comes when it would have;
  an IDLE lease (an idle timeout, not a deadline) with the same timeout. When the spec states the
  duration of a lease that stays on, the start sends that duration and the lease API then sets it
  (`update-lease`), so the next plan finds the duration the spec asks for (counted from the
  restart, as any lease the spec sets). Other starts send the observed lease duration and type:
  auto-stop is never switched off by a start.
- Tags go through the tags API, in any status: `update-tags`, last (also after a create, when
  the new notebook is to have tags).
- A failed notebook gets `recover` and a notebook in an undocumented status `hold`: apply changes
  neither and reports them. A replacement is `delete`, `create`, and `stop` when the final
  status is STOPPED (a new notebook comes up RUNNING); a DELETING notebook is waited for first.
- A create or a replacement of an entry identified by `id` starts with `refuse-create-by-id`:
  the new notebook gets a new id, so the entry could never find it again (each apply would make
  one more); apply refuses the change and the plan says to identify the notebook by name
  (docs/design.md, "Replacement").

`decided` wraps the comparator so every `ResourceChange` it returns carries its steps; it reads
the spec entry for what the change alone does not say (whether it is identified by id, whether it
states the lease duration).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, cast

import attrs

from reconcile._core.catalogue import is_ignored
from reconcile._core.enums import NotebookStatus
from reconcile._core.plan import Action, ApplyMethod, Difference, Health, ResourceChange, Step
from reconcile._core.spec import NotebookSpec

__all__ = ["BY_ID_NOTE", "CREATE_REQUIRES", "Intent", "create_missing", "decide", "decided", "steps_for"]

_RUNNING: Final = NotebookStatus.RUNNING.value
_STOPPED: Final = NotebookStatus.STOPPED.value

#: The inputs the create API requires (`NotebookCreateRequest`: name, image_id, volume with its
#: category; flavor unless `custom_spec` is used, which specs cannot say), as `after` paths.
CREATE_REQUIRES: Final = ("name", "flavor", "image.id", "volume.category")

#: The plan's note on a replacement that apply refuses because the entry is identified by id.
BY_ID_NOTE: Final = (
    "the entry is identified by id and a notebook that apply creates gets a new id the entry cannot "
    "find, so apply refuses to create it: identify the notebook by name (remove id) to create or replace it"
)


@attrs.frozen
class Intent:
    """What the spec entry says beyond the change itself, for deciding the steps.

    Attributes:
        by_id: the entry is identified by `id` (a created notebook's new id could never match it).
        states_lease_duration: the entry states `lease.duration` (compared, with auto-stop on): a
            notebook restarted with the time left on its lease gets the stated duration back.
    """

    by_id: bool = False
    states_lease_duration: bool = False

    @classmethod
    def of(cls, spec: NotebookSpec) -> Intent:
        """The intent of one spec entry."""
        lease = spec.lease
        states = (
            lease is not None
            and lease.duration is not None
            and lease.enable is not False
            and not is_ignored("lease.duration", frozenset(spec.ignore_changes))
        )
        return cls(by_id=spec.id is not None, states_lease_duration=states)


_RUNNING_WORK: Final = frozenset({ApplyMethod.IN_PLACE, ApplyMethod.GROW})
_STOPPED_WORK: Final = frozenset({ApplyMethod.RESTART, ApplyMethod.STOPPED_UPDATE})


def _settles_to(status: str | None) -> str:
    """The status a transitional status ends in."""
    return _STOPPED if status == NotebookStatus.STOPPING.value else _RUNNING


def _final_status(differences: tuple[Difference, ...]) -> str | None:
    """The status the spec asks for, where the plan compares it (None: keep the notebook's)."""
    for d in differences:
        if d.method is ApplyMethod.START:
            return _RUNNING
        if d.method is ApplyMethod.STOP:
            return _STOPPED
        if d.method is ApplyMethod.RECOVER:
            return str(d.desired)
    return None


def _lease_on(after: Mapping[str, Any]) -> bool:
    """Whether auto-stop is on in the plan's `after` (the lease API cannot switch it off)."""
    lease = after.get("lease")
    return isinstance(lease, Mapping) and lease.get("enable") is not False


def _update_steps(
    now: str, final: str, differences: tuple[Difference, ...], intent: Intent, after: Mapping[str, Any]
) -> list[Step]:
    """The steps of an in-place update of a notebook that is `now` RUNNING or STOPPED."""
    methods = {d.method for d in differences}
    running_work = bool(methods & _RUNNING_WORK)
    stopped_work = bool(methods & _STOPPED_WORK)
    lease = ApplyMethod.LEASE in methods
    steps: list[Step] = []
    if now == _RUNNING:
        if running_work:
            steps.append(Step.UPDATE_WHILE_RUNNING)
        if final == _RUNNING:
            if stopped_work:
                steps += [Step.STOP_FOR_UPDATE, Step.UPDATE_WHILE_STOPPED, Step.START_AFTER_UPDATE]
                # The spec states the duration of a lease that stays on: the restart starts with it
                # and the lease API sets it (a start may count a lease anew), so the next plan finds it.
                lease = lease or (intent.states_lease_duration and _lease_on(after))
            if lease:
                steps.append(Step.UPDATE_LEASE)
        else:
            if lease:
                steps.append(Step.UPDATE_LEASE)
            steps.append(Step.STOP)
            if stopped_work:
                steps.append(Step.UPDATE_WHILE_STOPPED)
        return steps
    if stopped_work:
        steps.append(Step.UPDATE_WHILE_STOPPED)
    if final == _RUNNING:
        steps.append(Step.START)
        if running_work:
            steps.append(Step.UPDATE_WHILE_RUNNING)
        if lease:
            steps.append(Step.UPDATE_LEASE)
    elif running_work or lease:
        steps.append(Step.START_FOR_UPDATE)
        if running_work:
            steps.append(Step.UPDATE_WHILE_RUNNING)
        if lease:
            steps.append(Step.UPDATE_LEASE)
        steps.append(Step.STOP_AFTER_UPDATE)
    return steps


def _tags_after_create(rc: ResourceChange) -> list[Step]:
    """`update-tags` when the notebook a create makes is to have tags (the create API takes none)."""
    return [Step.UPDATE_TAGS] if (rc.after or {}).get("tags") else []


def steps_for(
    rc: ResourceChange, observed_status: str | None = None, intent: Intent = Intent()
) -> tuple[Step, ...]:
    """The steps that apply `rc`, in order.

    Args:
        rc: the planned change (actions, differences, observed status and health).
        observed_status: the observed status when `rc` does not hold it (a create planned for a
            DELETED or DELETING notebook); `rc.status` wins when set.
        intent: what the spec entry says beyond the change (default: identified by name, no
            lease duration stated).

    Returns:
        Empty for a no-op; otherwise the steps an apply executes one after the other.
    """
    status = rc.status if rc.status is not None else observed_status
    if not rc.is_change:
        return ()
    if rc.actions == (Action.CREATE,):
        steps = [Step.REFUSE_CREATE_BY_ID] if intent.by_id else []
        if status == NotebookStatus.DELETING.value:
            steps.append(Step.AWAIT_DELETION)
        steps.append(Step.CREATE)
        if (rc.after or {}).get("status") == _STOPPED:
            steps.append(Step.STOP)
        return tuple(steps + _tags_after_create(rc))
    final = _final_status(rc.differences)
    prefix = [Step.AWAIT_SETTLED] if rc.health is Health.PENDING else []
    now = _settles_to(status) if rc.health is Health.PENDING else status
    if Action.DELETE in rc.actions:
        if final is None and now in (_RUNNING, _STOPPED):
            final = now  # a replacement keeps the status the old notebook had
        stop = [Step.STOP] if final == _STOPPED else []
        refuse = [Step.REFUSE_CREATE_BY_ID] if intent.by_id else []
        return (*refuse, *prefix, Step.DELETE, Step.CREATE, *stop, *_tags_after_create(rc))
    if rc.health is Health.FAILED:
        return (Step.RECOVER,)
    if now not in (_RUNNING, _STOPPED):
        return (Step.HOLD,)
    steps = prefix + _update_steps(now, final or now, rc.differences, intent, rc.after or {})
    if any(d.method is ApplyMethod.TAGS for d in rc.differences):
        steps.append(Step.UPDATE_TAGS)  # the tags API works in any status: last, out of the way
    return tuple(steps)


def _has(values: Mapping[str, Any], path: str) -> bool:
    head, _, rest = path.partition(".")
    value = values.get(head)
    if rest:
        value = value.get(rest) if isinstance(value, Mapping) else None
    return value is not None and value != ""


def create_missing(rc: ResourceChange, steps: tuple[Step, ...]) -> tuple[str, ...]:
    """The create API's required inputs (`CREATE_REQUIRES`) that `rc.after` lacks, when it creates."""
    if Step.CREATE not in steps:
        return ()
    after = rc.after or {}
    return tuple(p for p in CREATE_REQUIRES if not _has(after, p))


def decide(
    rc: ResourceChange, observed_status: str | None = None, intent: Intent = Intent()
) -> ResourceChange:
    """`rc` with its steps and missing create inputs filled in (and, for a replacement apply
    refuses, the note that says why)."""
    steps = steps_for(rc, observed_status, intent)
    if not steps and not rc.steps:
        return rc  # a no-op, the common case in a fleet: nothing to add
    notes = rc.notes
    if Step.REFUSE_CREATE_BY_ID in steps and BY_ID_NOTE not in notes:
        notes = (*notes, BY_ID_NOTE)
    return attrs.evolve(rc, steps=steps, create_missing=create_missing(rc, steps), notes=notes)


#: The intent of a no-op (no step reads it): one frozen instance for all of them.
_NO_INTENT: Final = Intent()

_Compare = TypeVar("_Compare", bound=Callable[..., ResourceChange])


def decided(compare: _Compare) -> _Compare:
    """Wrap `compare(entry, observed, ...)` so the change it returns carries its steps."""

    @functools.wraps(compare)
    def with_steps(entry: Any, observed: Any = None, *args: Any, **kwargs: Any) -> ResourceChange:
        rc = compare(entry, observed, *args, **kwargs)
        if not rc.is_change and not rc.steps:
            return rc  # a no-op, the common case in a fleet: `decide` would add nothing
        status = getattr(observed, "status", None)
        spec = getattr(entry, "notebook", None)
        # Read only for a change: a fleet's no-ops (the common case) skip it.
        intent = Intent.of(spec) if rc.is_change and isinstance(spec, NotebookSpec) else _NO_INTENT
        return decide(rc, None if status is None else str(status._value_), intent)

    return cast(_Compare, with_steps)
