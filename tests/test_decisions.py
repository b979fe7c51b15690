"""The steps of applying a change (`reconcile._planning.decisions`), from real comparisons.

Every case compares a decoded notebook with a spec entry through `compare`, as a plan does, and
checks the steps against the apply issue's "order and waiting" table: explicitly for the rows it
names, and by walking the steps of every combination of observed status, desired status and kind of
change through a model of the notebook's status (each step allowed only in the status it needs).
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from reconcile._codec import decode_notebook
from reconcile._core.plan import STEP_METHODS, Action, ApplyMethod, ResourceChange, Step
from reconcile._core.spec import SpecEntry
from reconcile._planning.compare import compare
from reconcile._planning.decisions import BY_ID_NOTE, CREATE_REQUIRES, Intent, steps_for
from reconcile._render.common import step_notes
from reconcile._specfile.load import spec_from_data

BODY: dict[str, Any] = {
    "id": "a",
    "name": "nb",
    "description": "old",
    "flavor": "modelarts.vm.cpu.2u",
    "feature": "NOTEBOOK",
    "image": {"id": "img-1", "name": "img", "swr_path": "swr.example.com/org/img:1"},
    "volume": {
        "capacity": 50,
        "category": "EVS",
        "ownership": "MANAGED",
        "mount_path": "/home/ma-user/work/",
    },
    "lease": {"enable": True, "duration": 3_600_000, "type": "TIMING"},
    "pool": {"id": "pool-1"},
    "workspace_id": "0",
}

#: Kinds of change, as spec fragments, by what the apply table says each needs.
KINDS: dict[str, dict[str, Any]] = {
    "none": {},
    "name": {"name": "nb-2"},  # PUT while RUNNING
    "description": {"description": "new"},  # PUT while RUNNING
    "grow": {"volume": {"capacity": 100}},  # PUT storage_new_size while RUNNING
    "flavor": {"flavor": "modelarts.vm.cpu.8u"},  # PUT while STOPPED
    "image": {"image": {"id": "img-2"}},  # PUT while STOPPED
    "lease": {"lease": {"enable": True, "duration": 7_200_000}},  # PATCH while RUNNING
    "name+flavor": {"name": "nb-2", "flavor": "modelarts.vm.cpu.8u"},
    "flavor+lease": {"flavor": "modelarts.vm.cpu.8u", "lease": {"enable": True, "duration": 7_200_000}},
    "name+flavor+lease+grow": {
        "name": "nb-2",
        "flavor": "modelarts.vm.cpu.8u",
        "lease": {"enable": True, "duration": 7_200_000},
        "volume": {"capacity": 100},
    },
    "replace": {"pool": {"id": "pool-2"}},
    "replace+name": {"pool": {"id": "pool-2"}, "name": "nb-2"},
}
OBSERVED = ["RUNNING", "STOPPED", "STARTING", "STOPPING", "CREATING"]
DESIRED = [None, "RUNNING", "STOPPED"]


def entry_for(fragment: dict[str, Any]) -> SpecEntry:
    """A spec entry managing notebook `a` by id, with the fragment's fields."""
    (entry,) = spec_from_data({"version": 1, "notebooks": {"nb": {"id": "a", **fragment}}}).entries
    return entry


def intent_for(desired: str | None, kind: str) -> Intent:
    """The intent of the spec entry `plan_one` compares."""
    fragment = {**KINDS[kind], **({"status": desired} if desired is not None else {})}
    return Intent.of(entry_for(fragment).notebook)


def plan_one(observed: str | None, desired: str | None, kind: str, **body: Any) -> ResourceChange:
    """Compare the base notebook in status `observed` (None: missing) with a spec of `kind`."""
    fragment = copy.deepcopy(KINDS[kind])
    if desired is not None:
        fragment["status"] = desired
    if observed is None:
        return compare(entry_for(fragment), None, "notebook a does not exist")
    return compare(entry_for(fragment), decode_notebook({**BODY, "status": observed, **body}))


def _settled(status: str) -> str:
    return {"RUNNING": "RUNNING", "STOPPED": "STOPPED", "STOPPING": "STOPPED"}.get(status, "RUNNING")


#: What each step needs the notebook's status to be, and what it leaves it as.
_NEEDS: dict[Step, tuple[str | None, str | None]] = {
    Step.START_FOR_UPDATE: ("STOPPED", "RUNNING"),
    Step.START_AFTER_UPDATE: ("STOPPED", "RUNNING"),
    Step.START: ("STOPPED", "RUNNING"),
    Step.STOP_FOR_UPDATE: ("RUNNING", "STOPPED"),
    Step.STOP_AFTER_UPDATE: ("RUNNING", "STOPPED"),
    Step.STOP: ("RUNNING", "STOPPED"),
    Step.UPDATE_WHILE_RUNNING: ("RUNNING", None),
    Step.UPDATE_LEASE: ("RUNNING", None),
    Step.UPDATE_WHILE_STOPPED: ("STOPPED", None),
    Step.DELETE: (None, "GONE"),
    Step.REFUSE_CREATE_BY_ID: (None, None),
    Step.UPDATE_TAGS: (None, None),
    Step.CREATE: ("GONE", "RUNNING"),
}


def walk(start: str, steps: tuple[Step, ...]) -> str:
    """Run the steps on a model of the notebook's status; fail where a step meets the wrong status."""
    status = start
    for i, step in enumerate(steps):
        if step is Step.AWAIT_SETTLED:
            assert i == 0, "a transitional status is waited for before anything else"
            status = _settled(status)
            continue
        need, after = _NEEDS[step]
        assert need is None or status == need, f"{step} in status {status}: {steps}"
        status = after or status
    return status


@pytest.mark.parametrize(
    ("observed", "desired", "kind"), list(itertools.product(OBSERVED, DESIRED, sorted(KINDS)))
)
def test_every_step_meets_the_status_it_needs_and_ends_where_asked(
    observed: str, desired: str | None, kind: str
) -> None:
    """Walking the steps from the observed status never starts a running notebook or PUTs in the wrong
    status, ends in the spec's status (else the one the notebook had or settles in), writes every
    difference exactly once, and patches the lease after the last start."""
    rc = plan_one(observed, desired, kind)
    steps = rc.steps
    # the comparator's change carries exactly the derived steps
    assert steps == steps_for(rc, intent=intent_for(desired, kind))
    if not rc.is_change:
        assert steps == ()
        return
    if steps[0] is Step.REFUSE_CREATE_BY_ID:  # first of all: nothing is waited for to be refused
        steps = steps[1:]
    pending = observed not in ("RUNNING", "STOPPED")
    assert (steps[0] is Step.AWAIT_SETTLED) is pending
    final = walk(observed, steps)
    # While pending the status is not compared: the notebook is left in the status it settles in.
    assert final == (desired if desired is not None and not pending else _settled(observed))
    assert len(set(steps)) == len(steps), f"a step twice: {steps}"
    if Action.DELETE in rc.actions:
        assert Step.DELETE in steps and Step.CREATE in steps
        return
    for d in rc.differences:
        writers = [s for s in steps if d.method in STEP_METHODS.get(s, ())]
        assert len(writers) == 1, f"{d.dotted_path} ({d.method}) written by {writers}: {steps}"
    starts = [i for i, s in enumerate(steps) if s.value.startswith("start")]
    if Step.UPDATE_LEASE in steps and starts:
        assert steps.index(Step.UPDATE_LEASE) > max(starts)


@pytest.mark.parametrize(
    ("observed", "desired", "kind", "expected"),
    [
        # start first when an update needs a running notebook (name, description, volume growth)
        ("RUNNING", None, "name", ["update-while-running"]),
        ("STOPPED", None, "name", ["start-for-update", "update-while-running", "stop-after-update"]),
        ("STOPPED", None, "grow", ["start-for-update", "update-while-running", "stop-after-update"]),
        ("STOPPED", "RUNNING", "description", ["start", "update-while-running"]),
        # stop, update, start when flavor or image change on a running notebook
        ("RUNNING", None, "flavor", ["stop-for-update", "update-while-stopped", "start-after-update"]),
        ("RUNNING", "RUNNING", "image", ["stop-for-update", "update-while-stopped", "start-after-update"]),
        ("STOPPED", None, "flavor", ["update-while-stopped"]),
        ("RUNNING", "STOPPED", "flavor", ["stop", "update-while-stopped"]),
        ("STOPPED", "RUNNING", "flavor", ["update-while-stopped", "start"]),
        # the lease through the lease API while running, after the last start
        ("RUNNING", None, "lease", ["update-lease"]),
        ("STOPPED", "RUNNING", "lease", ["start", "update-lease"]),
        ("STOPPED", None, "lease", ["start-for-update", "update-lease", "stop-after-update"]),
        (
            "RUNNING",
            None,
            "flavor+lease",
            ["stop-for-update", "update-while-stopped", "start-after-update", "update-lease"],
        ),
        # each status's own work first, the desired status reached once
        (
            "RUNNING",
            None,
            "name+flavor+lease+grow",
            [
                "update-while-running",
                "stop-for-update",
                "update-while-stopped",
                "start-after-update",
                "update-lease",
            ],
        ),
        (
            "STOPPED",
            None,
            "name+flavor",
            ["update-while-stopped", "start-for-update", "update-while-running", "stop-after-update"],
        ),
        ("RUNNING", "STOPPED", "name+flavor", ["update-while-running", "stop", "update-while-stopped"]),
        ("STOPPED", "RUNNING", "name+flavor", ["update-while-stopped", "start", "update-while-running"]),
        ("RUNNING", "STOPPED", "none", ["stop"]),
        ("STOPPED", "RUNNING", "none", ["start"]),
        ("RUNNING", "RUNNING", "none", []),
        # transitional states are waited for, then planned as the state they settle in
        (
            "STARTING",
            "STOPPED",
            "flavor",
            ["await-settled", "stop-for-update", "update-while-stopped", "start-after-update"],
        ),
        (
            "STOPPING",
            None,
            "name",
            ["await-settled", "start-for-update", "update-while-running", "stop-after-update"],
        ),
        ("STOPPING", None, "none", []),
        # replacements: a new notebook comes up RUNNING; the old status is kept unless the spec says
        # (an entry identified by id, as every entry here is: apply refuses it first)
        ("RUNNING", None, "replace", ["refuse-create-by-id", "delete", "create"]),
        ("STOPPED", None, "replace+name", ["refuse-create-by-id", "delete", "create", "stop"]),
        ("STOPPED", "RUNNING", "replace", ["refuse-create-by-id", "delete", "create"]),
        ("RUNNING", "STOPPED", "replace", ["refuse-create-by-id", "delete", "create", "stop"]),
        (
            "STOPPING",
            None,
            "replace",
            ["refuse-create-by-id", "await-settled", "delete", "create", "stop"],
        ),
    ],
)
def test_steps_follow_the_apply_table(
    observed: str, desired: str | None, kind: str, expected: list[str]
) -> None:
    """The steps of the rows the apply issue's order table names, exactly."""
    assert [s.value for s in plan_one(observed, desired, kind).steps] == expected


@pytest.mark.parametrize("kind", ["none", "name", "flavor", "lease"])
@pytest.mark.parametrize("failed", ["ERROR", "START_FAILED", "CREATE_FAILED", "FROZEN"])
def test_a_failed_notebook_is_recovered_by_hand(failed: str, kind: str) -> None:
    """A failed notebook gets the single step `recover`: apply changes nothing and reports it."""
    rc = plan_one(failed, None, kind)
    assert rc.steps == (Step.RECOVER,)
    assert [d.method for d in rc.differences_for(Step.RECOVER)] == [ApplyMethod.RECOVER]


def test_a_failed_notebook_whose_spec_forces_replacement_is_replaced() -> None:
    """Replacing a failed notebook recreates it from the spec, ending in the spec's status."""
    steps = plan_one("CREATE_FAILED", "STOPPED", "replace").steps
    assert steps == (Step.REFUSE_CREATE_BY_ID, Step.DELETE, Step.CREATE, Step.STOP)


def test_a_replacement_by_name_is_not_refused_and_by_id_says_why() -> None:
    """Only an entry identified by id gets `refuse-create-by-id`, with the plan's note saying to use a name."""
    (by_name,) = spec_from_data(
        {"version": 1, "notebooks": {"nb": {"name": "nb", "pool": {"id": "pool-2"}}}}
    ).entries
    rc = compare(by_name, decode_notebook({**BODY, "status": "RUNNING"}))
    assert rc.steps == (Step.DELETE, Step.CREATE)
    assert BY_ID_NOTE not in rc.notes
    by_id = plan_one("RUNNING", None, "replace")
    assert by_id.steps[0] is Step.REFUSE_CREATE_BY_ID and BY_ID_NOTE in by_id.notes


def test_a_restart_gives_back_a_stated_lease_duration_through_the_lease_api() -> None:
    """A running notebook restarted for an update gets `update-lease` when the spec states the duration
    (the start keeps the time left, which would read as another duration), and none when it does not."""
    stated = {"flavor": "modelarts.vm.cpu.8u", "lease": {"enable": True, "duration": 3_600_000}}
    (entry,) = spec_from_data({"version": 1, "notebooks": {"nb": {"id": "a", **stated}}}).entries
    rc = compare(entry, decode_notebook({**BODY, "status": "RUNNING"}))
    assert not any(d.path[0] == "lease" for d in rc.differences)
    assert [s.value for s in rc.steps] == [
        "stop-for-update",
        "update-while-stopped",
        "start-after-update",
        "update-lease",
    ]
    assert plan_one("RUNNING", None, "flavor").steps[-1] is Step.START_AFTER_UPDATE


@pytest.mark.parametrize("desired", DESIRED)
def test_an_undocumented_status_is_held(desired: str | None) -> None:
    """A status the documentation does not list gets `hold` when anything would change: no guessed start."""
    rc = plan_one("HIBERNATING", desired, "name")
    assert rc.steps == (Step.HOLD,)


@pytest.mark.parametrize(
    ("observed", "desired", "expected"),
    [
        (None, None, [Step.CREATE]),
        (None, "RUNNING", [Step.CREATE]),
        (None, "STOPPED", [Step.CREATE, Step.STOP]),
        ("DELETED", None, [Step.CREATE]),
        ("DELETING", None, [Step.AWAIT_DELETION, Step.CREATE]),
        ("DELETING", "STOPPED", [Step.AWAIT_DELETION, Step.CREATE, Step.STOP]),
    ],
)
def test_a_missing_notebook_is_created(
    observed: str | None, desired: str | None, expected: list[Step]
) -> None:
    """A create waits for a namesake being deleted, then stops the new notebook only if the spec says so."""
    fragment = {"name": "nb", **({"status": desired} if desired is not None else {})}
    (by_name,) = spec_from_data({"version": 1, "notebooks": {"nb": fragment}}).entries
    found = None if observed is None else decode_notebook({**BODY, "name": "nb", "status": observed})
    rc = compare(by_name, found, "no notebook is named nb")
    assert list(rc.steps) == expected
    assert BY_ID_NOTE not in rc.notes
    # The same entry by id is refused first: the notebook it would create could never be found by it.
    by_id = plan_one(observed, desired, "name")
    assert list(by_id.steps) == [Step.REFUSE_CREATE_BY_ID, *expected] and BY_ID_NOTE in by_id.notes


def test_create_missing_names_what_the_create_api_needs() -> None:
    """A create lacking the create API's required inputs lists them; a full spec lists none."""
    sparse = compare(entry_for({"name": "nb", "image": {"name": "img"}}), None)
    assert sparse.create_missing == ("flavor", "image.id", "volume.category")
    full = {
        "name": "nb",
        "flavor": "f",
        "image": {"id": "img-1"},
        "volume": {"category": "EVS", "capacity": 5},
    }
    assert compare(entry_for(full), None).create_missing == ()
    assert set(CREATE_REQUIRES) == {"name", "flavor", "image.id", "volume.category"}
    # A replacement creates from `after`, which keeps what the old notebook had.
    assert plan_one("RUNNING", None, "replace").create_missing == ()
    assert plan_one("RUNNING", None, "name").create_missing == ()  # no create at all


@pytest.mark.parametrize(
    ("observed", "desired", "kind", "sentences"),
    [
        (
            "RUNNING",
            None,
            "flavor",
            ["the notebook is RUNNING: it will be stopped, updated and started again"],
        ),
        (
            "STOPPED",
            None,
            "description",
            [
                "name, description and storage change only while RUNNING: "
                "the notebook will be started for the update and stopped again"
            ],
        ),
        ("RUNNING", None, "replace+name", ["replacement forced by pool.id"]),
        ("RUNNING", "STOPPED", "flavor", []),
        ("STOPPED", None, "lease", []),
        (
            "STARTING",
            None,
            "flavor",
            [
                "the notebook is STARTING and about to run: once RUNNING it will be stopped, updated and started again"
            ],
        ),
        (
            "CREATING",
            None,
            "name",
            ["the notebook is CREATING and about to run: once RUNNING it will be updated"],
        ),
        ("STOPPING", None, "name", []),
    ],
)
def test_sentences_are_derived_from_the_steps(
    observed: str, desired: str | None, kind: str, sentences: list[str]
) -> None:
    """The renderers' sentences about how a change is applied come from its steps; none is stored."""
    rc = plan_one(observed, desired, kind)
    assert list(step_notes(rc)) == sentences
    assert not set(sentences) & set(rc.notes)
