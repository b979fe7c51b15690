"""Lifecycle states of a notebook: which statuses are transitional, failed or gone, and what each means.

The API page (Table 2) lists fourteen statuses; the plan reads them in four groups:

- healthy (RUNNING, STOPPED): configuration is compared, and the desired `status` with it;
- pending (INIT, CREATING, STARTING, STOPPING, SNAPSHOTTING): the notebook is on its way to a
  steady state, so `status` is not compared until it gets there; other fields are. INIT, CREATING
  and STARTING are about to run (`STARTING_STATES`): a change applies as to a RUNNING notebook;
- failed (CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR, FROZEN): needs attention whatever the
  spec says (a `recover` difference on `status`);
- gone (DELETED, DELETING): the notebook is, or will shortly be, no more: a spec entry for it plans
  a create, and a name lookup passes over it.

A status the documentation does not list is kept as sent and reads as unknown health; a desired
`status` is then not compared (no start or stop is guessed) until the service reports a known one.
"""

from __future__ import annotations

from typing import Final

from reconcile._core.enums import NotebookStatus
from reconcile._core.plan import Health

__all__ = ["FAILED_STATES", "GONE_STATES", "PENDING_STATES", "STARTING_STATES", "health_of"]

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
#: Transitional states on the way to RUNNING: a change applies as to a running notebook.
STARTING_STATES = frozenset({NotebookStatus.INIT, NotebookStatus.CREATING, NotebookStatus.STARTING})
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
#: Gone, or going: the notebook will not be there to update.
GONE_STATES = frozenset({NotebookStatus.DELETED, NotebookStatus.DELETING})


def health_of(status: NotebookStatus | None) -> Health:
    """Runtime health of an observed status."""
    return _HEALTH.get(status, Health.UNKNOWN)  # None, and a status the API page does not list


def _health(status: NotebookStatus) -> Health:
    if status in PENDING_STATES:
        return Health.PENDING
    if status in FAILED_STATES:
        return Health.FAILED
    if status in GONE_STATES:
        return Health.MISSING
    return Health.HEALTHY


#: The health of every documented status, worked out once (a plan asks once per notebook).
_HEALTH: Final[dict[NotebookStatus | None, Health]] = {s: _health(s) for s in NotebookStatus if s.known}
