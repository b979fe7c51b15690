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
- Tags go through the tags API, in any status: `update-tags`, last.
- A failed notebook gets `recover` and a notebook in an undocumented status `hold`: apply changes
  neither and reports them. A replacement is `delete`, `create`, and `stop` when the final
  status is STOPPED (a new notebook comes up RUNNING); a DELETING notebook is waited for first.

`decided` wraps the comparator so every `ResourceChange` it returns carries its steps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, cast

import attrs

from reconcile._core.enums import NotebookStatus
from reconcile._core.plan import Action, ApplyMethod, Difference, Health, ResourceChange, Step

__all__ = ["CREATE_REQUIRES", "create_missing", "decide", "decided", "steps_for"]

_RUNNING: Final = NotebookStatus.RUNNING.value
_STOPPED: Final = NotebookStatus.STOPPED.value

#: The inputs the create API requires (`NotebookCreateRequest`: name, image_id, volume with its
#: category; flavor unless `custom_spec` is used, which specs cannot say), as `after` paths.
CREATE_REQUIRES: Final = ("name", "flavor", "image.id", "volume.category")

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


def _update_steps(now: str, final: str, differences: tuple[Difference, ...]) -> list[Step]:
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


def steps_for(rc: ResourceChange, observed_status: str | None = None) -> tuple[Step, ...]:
    """The steps that apply `rc`, in order.

    Args:
        rc: the planned change (actions, differences, observed status and health).
        observed_status: the observed status when `rc` does not hold it (a create planned for a
            DELETED or DELETING notebook); `rc.status` wins when set.

    Returns:
        Empty for a no-op; otherwise the steps an apply executes one after the other.
    """
    status = rc.status if rc.status is not None else observed_status
    if not rc.is_change:
        return ()
    if rc.actions == (Action.CREATE,):
        steps = [Step.AWAIT_DELETION] if status == NotebookStatus.DELETING.value else []
        steps.append(Step.CREATE)
        if (rc.after or {}).get("status") == _STOPPED:
            steps.append(Step.STOP)
        return tuple(steps)
    final = _final_status(rc.differences)
    prefix = [Step.AWAIT_SETTLED] if rc.health is Health.PENDING else []
    now = _settles_to(status) if rc.health is Health.PENDING else status
    if Action.DELETE in rc.actions:
        if final is None and now in (_RUNNING, _STOPPED):
            final = now  # a replacement keeps the status the old notebook had
        stop = [Step.STOP] if final == _STOPPED else []
        return (*prefix, Step.DELETE, Step.CREATE, *stop)
    if rc.health is Health.FAILED:
        return (Step.RECOVER,)
    if now not in (_RUNNING, _STOPPED):
        return (Step.HOLD,)
    steps = prefix + _update_steps(now, final or now, rc.differences)
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


def decide(rc: ResourceChange, observed_status: str | None = None) -> ResourceChange:
    """`rc` with its steps and missing create inputs filled in."""
    steps = steps_for(rc, observed_status)
    if not steps and not rc.steps:
        return rc  # a no-op, the common case in a fleet: nothing to add
    return attrs.evolve(rc, steps=steps, create_missing=create_missing(rc, steps))


_Compare = TypeVar("_Compare", bound=Callable[..., ResourceChange])


def decided(compare: _Compare) -> _Compare:
    """Wrap `compare(entry, observed, ...)` so the change it returns carries its steps."""

    @functools.wraps(compare)
    def with_steps(entry: Any, observed: Any = None, *args: Any, **kwargs: Any) -> ResourceChange:
        rc = compare(entry, observed, *args, **kwargs)
        status = getattr(observed, "status", None)
        return decide(rc, None if status is None else str(status.value))

    return cast(_Compare, with_steps)
