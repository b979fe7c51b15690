"""The executor against the emulator over real HTTP: step orders, convergence, failures, the journal."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from reconcile._apply.executor import Timing, apply_plan
from reconcile._apply.journal import Journal
from reconcile._core.plan import Step
from reconcile._emulator.settings import Faults, Schedule
from tests.apply_helpers import live_plan, notebook_doc, spec_data, spec_entry
from tests.emulator_fixture import SECRET_VALUES, Servers

FAST = Timing(timeout=10.0, poll_initial=0.01, poll_max=0.05)
S = Step


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators and clients for one test, all closed afterwards."""
    with Servers() as s:
        yield s


CASES: list[tuple[str, str, dict[str, Any], tuple[Step, ...]]] = [
    ("start-and-describe", "STOPPED", {"description": "now", "status": "RUNNING"},
     (S.START, S.UPDATE_WHILE_RUNNING)),
    ("describe-stopped", "STOPPED", {"description": "now"},
     (S.START_FOR_UPDATE, S.UPDATE_WHILE_RUNNING, S.STOP_AFTER_UPDATE)),
    ("flavor-running", "RUNNING", {"flavor": "modelarts.vm.cpu.8u"},
     (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE)),
    ("flavor-stopped", "STOPPED", {"flavor": "modelarts.vm.cpu.8u"}, (S.UPDATE_WHILE_STOPPED,)),
    ("flavor-and-stop", "RUNNING", {"flavor": "modelarts.vm.cpu.8u", "status": "STOPPED"},
     (S.STOP, S.UPDATE_WHILE_STOPPED)),
    ("lease-running", "RUNNING", {"lease": {"enable": True, "duration": 10_800_000, "type": "IDLE"}},
     (S.UPDATE_LEASE,)),
    ("lease-stopped", "STOPPED", {"lease": {"enable": True, "duration": 10_800_000, "type": "TIMING"}},
     (S.START_FOR_UPDATE, S.UPDATE_LEASE, S.STOP_AFTER_UPDATE)),
    ("grow-running", "RUNNING", {"volume": {"category": "EVS", "capacity": 100}}, (S.UPDATE_WHILE_RUNNING,)),
    ("ssh-ips-running", "RUNNING",
     {"endpoints": [{"dev_service": "SSH", "allowed_access_ips": ["10.0.0.0/8"], "ssh_keys": ["ops-key"]}]},
     (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE)),
    ("stop", "RUNNING", {"status": "STOPPED"}, (S.STOP,)),
    ("everything", "RUNNING",
     {"name": "renamed", "flavor": "modelarts.vm.cpu.8u", "image": {"id": "img-2"},
      "lease": {"enable": True, "duration": 14_400_000, "type": "TIMING"}},
     (S.UPDATE_WHILE_RUNNING, S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE, S.UPDATE_LEASE)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "status", "wanted", "steps"), CASES, ids=[c[0] for c in CASES])
def test_each_order_applies_and_then_plans_no_changes(
    servers: Servers, case: str, status: str, wanted: dict[str, Any], steps: tuple[Step, ...]
) -> None:
    """Each step order is planned as the table says, applied, verified, and a new plan shows no changes."""
    doc = notebook_doc(0, status)
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, **wanted)})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps == steps, case
    result = apply_plan(plan, client, timing=FAST)
    assert result.complete, result
    assert result.results[0].done == steps
    assert not live_plan(data, client).has_changes


def test_a_start_keeps_auto_stop_on(servers: Servers) -> None:
    """Starting a notebook sends its observed lease: auto-stop is never switched off by a start."""
    doc = notebook_doc(0, "STOPPED")
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": {"id": doc["id"], "status": "RUNNING"}})
    assert apply_plan(live_plan(data, client), client, timing=FAST).complete
    lease = json.loads(client.get_notebook(doc["id"]))["lease"]
    assert (lease["enable"], lease["duration"], lease["type"]) == (True, 7_200_000, "TIMING")


def test_create_a_missing_notebook(servers: Servers) -> None:
    """A notebook the spec names but the service lacks is created from the spec and comes up RUNNING."""
    emulator = servers.emulator([], transition_ms=20)
    client = servers.client(emulator)
    entry = {
        "name": "fresh",
        "flavor": "modelarts.vm.cpu.2u",
        "image": {"id": "img-1"},
        "volume": {"category": "EVS", "capacity": 20},
        "description": "new",
    }
    data = spec_data({"fresh": entry})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps == (S.CREATE,)
    result = apply_plan(plan, client, timing=FAST)
    assert result.complete and result.results[0].created
    assert not live_plan(data, client).has_changes


def test_failure_mid_fleet_leaves_the_others_applied_and_a_second_apply_converges(servers: Servers) -> None:
    """One notebook's failed write stops that notebook alone; applying again converges every notebook."""
    docs = [notebook_doc(i, "RUNNING") for i in range(4)]
    # write 1 fails after commit (500); the others go through
    emulator = servers.emulator(docs, transition_ms=20, faults=Faults(fail_after_commit=Schedule(first=1)))
    client = servers.client(emulator)
    data = spec_data({f"b{i}": spec_entry(d, flavor="modelarts.vm.cpu.8u") for i, d in enumerate(docs)})
    first = apply_plan(live_plan(data, client), client, parallelism=1, timing=FAST)
    failed = [r for r in first.results if not r.complete]
    assert len(failed) == 1
    assert failed[0].done == () and failed[0].not_done[0] is S.STOP_FOR_UPDATE
    assert sum(r.complete for r in first.results) == 3
    second = apply_plan(live_plan(data, client), client, timing=FAST)
    assert second.complete
    assert not live_plan(data, client).has_changes


def test_interrupt_finishes_the_step_in_flight_and_starts_nothing_new(servers: Servers) -> None:
    """With the stop event set, no step starts and every step is reported as not done."""
    doc = notebook_doc(0, "RUNNING")
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, flavor="modelarts.vm.cpu.8u")})
    stop = threading.Event()
    stop.set()
    result = apply_plan(live_plan(data, client), client, timing=FAST, stop=stop)
    assert result.interrupted and not result.complete
    assert result.results[0].done == ()
    assert json.loads(client.get_notebook(doc["id"]))["flavor"] == "modelarts.vm.cpu.2u"


def test_journal_lists_every_step_and_no_secret(servers: Servers) -> None:
    """The journal has a started and an ok line per write step and a verify line, and no secret."""
    doc = notebook_doc(0, "RUNNING")
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, flavor="modelarts.vm.cpu.8u")})
    stream = io.StringIO()
    assert apply_plan(live_plan(data, client), client, timing=FAST, journal=Journal(stream)).complete
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["step"], x["outcome"]) for x in lines] == [
        ("stop-for-update", "started"),
        ("stop-for-update", "ok"),
        ("update-while-stopped", "started"),
        ("update-while-stopped", "ok"),
        ("start-after-update", "started"),
        ("start-after-update", "ok"),
        ("verify", "ok"),
    ]
    assert lines[2]["request"] == {"method": "PUT", "body": {"flavor": "modelarts.vm.cpu.8u"}}
    text = stream.getvalue()
    assert all(secret not in text for secret in (*SECRET_VALUES, doc["token"]))


def test_per_notebook_deadline_stops_a_notebook_that_never_settles(servers: Servers) -> None:
    """A notebook still STOPPING at its deadline fails with a timeout; its remaining steps are not done."""
    doc = notebook_doc(0, "RUNNING")
    emulator = servers.emulator([doc], transition_ms=5000)
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, flavor="modelarts.vm.cpu.8u")})
    result = apply_plan(live_plan(data, client), client, timing=Timing(timeout=0.3, poll_initial=0.01))
    (only,) = result.results
    assert only.error is not None and "timed out waiting for the notebook" in only.error
    assert only.not_done == (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE)


def test_a_409_while_transitioning_fails_that_notebook_and_a_rerun_converges(servers: Servers) -> None:
    """A write answered 409 (not retried) fails its notebook with the service's words; applying again converges."""
    doc = notebook_doc(0, "STOPPED")
    emulator = servers.emulator([doc], transition_ms=20, faults=Faults(conflict=Schedule(first=1)))
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, description="x", status="RUNNING")})
    first = apply_plan(live_plan(data, client), client, timing=FAST)
    assert first.results[0].error is not None and "ModelArts.6307" in first.results[0].error
    assert apply_plan(live_plan(data, client), client, timing=FAST).complete
    assert not live_plan(data, client).has_changes


def test_a_replacement_is_reported_not_done(servers: Servers) -> None:
    """This version does not delete notebooks: a replacement fails at its delete step, changing nothing."""
    doc = notebook_doc(0, "RUNNING")
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, volume={"category": "OBS"})})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps[0] is S.DELETE
    result = apply_plan(plan, client, timing=FAST)
    assert result.results[0].done == () and "not supported" in (result.results[0].error or "")
    assert emulator.store.documents[doc["id"]]["volume"]["category"] == "EVS"


def test_a_failed_update_puts_back_the_status_it_stopped_the_notebook_from(servers: Servers) -> None:
    """When the update after a stop-for-update fails, the notebook is started again, not left stopped."""
    doc = notebook_doc(0, "RUNNING")
    # write 1 (stop) goes through, write 2 (the PUT) is answered 409, write 3 (the restoring start) goes
    emulator = servers.emulator([doc], transition_ms=20, faults=Faults(conflict=Schedule(every=2)))
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, flavor="modelarts.vm.cpu.8u")})
    (result,) = apply_plan(live_plan(data, client), client, timing=FAST).results
    assert result.done == (S.STOP_FOR_UPDATE, S.START_AFTER_UPDATE)
    assert result.not_done == (S.UPDATE_WHILE_STOPPED,)
    assert result.error is not None and result.error.startswith("update-while-stopped:")
    final = emulator.store.documents[doc["id"]]
    assert (final["status"], final["flavor"], final["lease"]["enable"]) == (
        "RUNNING",
        "modelarts.vm.cpu.2u",
        True,
    )
    emulator.faults = Faults()
    assert apply_plan(live_plan(data, client), client, timing=FAST).complete
    assert not live_plan(data, client).has_changes
