"""The executor against the emulator over real HTTP: step orders, convergence, failures, the journal."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from reconcile._apply.executor import Timing, apply_plan
from reconcile._apply.journal import Journal
from reconcile._core.plan import Action, Step
from reconcile._emulator.settings import Faults, Schedule
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.transport import Timeouts
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
     (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE, S.UPDATE_LEASE)),
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
     (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE, S.UPDATE_LEASE)),
    ("flavor-running-lease-unstated", "RUNNING", {"flavor": "modelarts.vm.cpu.8u", "lease": None},
     (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE)),
    ("tags-running", "RUNNING", {"tags": {"team": "vision", "cost-center": "43"}}, (S.UPDATE_TAGS,)),
    ("tags-stopped", "STOPPED", {"tags": {"team": "vision"}}, (S.UPDATE_TAGS,)),
    ("tags-and-flavor", "RUNNING", {"tags": {}, "flavor": "modelarts.vm.cpu.8u"},
     (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE, S.UPDATE_LEASE, S.UPDATE_TAGS)),
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
    doc = notebook_doc(
        0, status, tags=[{"key": "cost-center", "value": "42"}, {"key": "owner", "value": "ana"}]
    )
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    entry = {k: v for k, v in spec_entry(doc, **wanted).items() if v is not None}
    data = spec_data({"box": entry})
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


def _time_left(lease: dict[str, Any]) -> int:
    """How long until auto-stop, in ms, as the service's lease says: `create_at + duration - now`."""
    return int(lease["create_at"] + lease["duration"] - time.time() * 1000)


def _running_with_lease(
    servers: Servers, elapsed_ms: int, lease_type: str = "TIMING"
) -> tuple[dict[str, Any], ModelArtsClient]:
    """A RUNNING notebook whose 2 h lease began `elapsed_ms` ago, served by a fresh emulator, and a client."""
    now = int(time.time() * 1000)
    lease = {"create_at": now - elapsed_ms, "duration": 7_200_000, "enable": True, "type": lease_type,
             "update_at": now - elapsed_ms}  # fmt: skip
    doc = notebook_doc(0, "RUNNING", lease=lease)
    return doc, servers.client(servers.emulator([doc], transition_ms=20))


@pytest.mark.parametrize(
    ("lease_type", "left_ms"),
    [
        ("TIMING", 5_400_000),  # a deadline: 1.5 h left of 2 h begun 30 min ago, as before the restart
        ("IDLE", 7_200_000),  # an idle timeout: the same 2 h timeout, never shortened by a restart
    ],
)
def test_a_restart_for_an_update_keeps_auto_stop_as_it_was(
    servers: Servers, lease_type: str, left_ms: int
) -> None:
    """A running notebook stopped for a flavor change is started with auto-stop on and its type kept: a
    TIMING lease with the time it had left (auto-stop comes when it would have), an IDLE one with its
    timeout (the time left of a timeout means nothing: it would shrink with every restart)."""
    doc, client = _running_with_lease(servers, 1_800_000, lease_type)
    data = spec_data({"box": {"id": doc["id"], "flavor": "modelarts.vm.cpu.8u"}})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps == (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE)
    assert apply_plan(plan, client, timing=FAST).complete
    after = json.loads(client.get_notebook(doc["id"]))["lease"]
    assert after["enable"] is True and after["type"] == lease_type
    assert abs(_time_left(after) - left_ms) < 60_000
    assert not live_plan(data, client).has_changes


def test_a_restart_with_little_time_left_starts_with_the_shortest_lease_the_api_takes(
    servers: Servers,
) -> None:
    """Ten minutes left on the lease is below the start API's 1 h minimum: the start sends 1 h, auto-stop on."""
    doc, client = _running_with_lease(servers, 6_600_000)
    data = spec_data({"box": {"id": doc["id"], "image": {"id": "img-2"}}})
    assert apply_plan(live_plan(data, client), client, timing=FAST).complete
    after = json.loads(client.get_notebook(doc["id"]))["lease"]
    assert after["enable"] is True and after["duration"] == 3_600_000


def test_a_restart_with_a_stated_lease_duration_ends_with_that_duration(servers: Servers) -> None:
    """When the spec states the lease duration, the restart starts with it and the lease API sets it, so
    the re-read and the next plan find the duration the spec asks for, counted from the restart."""
    doc, client = _running_with_lease(servers, 1_800_000)
    data = spec_data({"box": spec_entry(doc, flavor="modelarts.vm.cpu.8u")})
    stream = io.StringIO()
    result = apply_plan(live_plan(data, client), client, timing=FAST, journal=Journal(stream, ()))
    assert result.complete and result.results[0].done[-1] is S.UPDATE_LEASE
    starts = [
        r for r in map(json.loads, stream.getvalue().splitlines()) if r.get("step") == "start-after-update"
    ]
    assert starts and all(r["request"]["query"]["duration"] == 7_200_000 for r in starts if "request" in r)
    after = json.loads(client.get_notebook(doc["id"]))["lease"]
    assert (after["enable"], after["duration"]) == (True, 7_200_000)
    assert abs(_time_left(after) - 7_200_000) < 60_000
    assert not live_plan(data, client).has_changes


def test_a_restart_of_a_notebook_with_auto_stop_off_and_a_stated_duration_completes(servers: Servers) -> None:
    """Auto-stop off, and a spec that states only the lease duration: the restart keeps auto-stop off and
    plans no lease API call (which cannot switch auto-stop off, so it would fail the apply)."""
    off = {"create_at": 1, "duration": 7_200_000, "enable": False, "type": "TIMING", "update_at": 1}
    doc = notebook_doc(0, "RUNNING", lease=off)
    client = servers.client(servers.emulator([doc], transition_ms=20))
    data = spec_data({"box": {"id": doc["id"], "flavor": "modelarts.vm.cpu.8u", "lease": {"duration": "2h"}}})
    plan = live_plan(data, client)
    assert S.UPDATE_LEASE not in plan.resource_changes[0].steps
    assert apply_plan(plan, client, timing=FAST).complete
    assert json.loads(client.get_notebook(doc["id"]))["lease"]["enable"] is False


def test_a_start_with_auto_stop_off_keeps_it_off(servers: Servers) -> None:
    """A notebook whose auto-stop is off, restarted for an update, is started with it off (`duration=-1`)."""
    off = {"create_at": 1, "duration": 0, "enable": False, "type": "TIMING", "update_at": 1}
    doc = notebook_doc(0, "RUNNING", lease=off)
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": {"id": doc["id"], "flavor": "modelarts.vm.cpu.8u"}})
    assert apply_plan(live_plan(data, client), client, timing=FAST).complete
    assert json.loads(client.get_notebook(doc["id"]))["lease"]["enable"] is False


def test_tags_are_deleted_then_created_as_terraform_does(servers: Servers) -> None:
    """A changed tag is deleted and created again, a removed one deleted, a new one created (in that order,
    through the tags API over HTTP); the journal holds both requests, and the next plan shows no changes."""
    doc = notebook_doc(0, "RUNNING", tags=[{"key": "team", "value": "nlp"}, {"key": "old", "value": "x"}])
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": {"id": doc["id"], "tags": {"team": "vision", "new": "y"}}})
    stream = io.StringIO()
    result = apply_plan(live_plan(data, client), client, timing=FAST, journal=Journal(stream, ()))
    assert result.complete, result
    tags = json.loads(client.get_notebook(doc["id"]))["tags"]
    assert sorted((t["key"], t["value"]) for t in tags) == [("new", "y"), ("team", "vision")]
    requests = [json.loads(line).get("request") for line in stream.getvalue().splitlines()]
    sent = [(r["action"], r["body"]) for r in requests if r and r.get("action", "").startswith("tags/")]
    assert sent[::2] == [
        ("tags/delete", {"tags": [{"key": "old", "value": "x"}, {"key": "team", "value": "nlp"}]}),
        ("tags/create", {"tags": [{"key": "new", "value": "y"}, {"key": "team", "value": "vision"}]}),
    ]
    assert not live_plan(data, client).has_changes


def test_a_tag_echoing_the_notebook_token_is_removed_but_never_journaled(servers: Servers) -> None:
    """A tag whose value is the notebook's token is deleted through the tags API, and the journal's
    record of that request shows `<redacted>`, never the token."""
    doc = notebook_doc(0, "RUNNING")
    doc["tags"] = [{"key": "leak", "value": doc["token"]}]
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": {"id": doc["id"], "tags": {}}})
    stream = io.StringIO()
    assert apply_plan(live_plan(data, client), client, timing=FAST, journal=Journal(stream, ())).complete
    assert emulator.store.documents[doc["id"]]["tags"] == []
    assert doc["token"] not in stream.getvalue() and "redacted" in stream.getvalue()


def test_a_created_notebook_gets_the_spec_tags(servers: Servers) -> None:
    """The create API takes no tags: a create is followed by `update-tags`, and the new notebook has them."""
    emulator = servers.emulator([], transition_ms=20)
    client = servers.client(emulator)
    entry = {"name": "fresh", "flavor": "modelarts.vm.cpu.2u", "image": {"id": "img-1"},
             "volume": {"category": "EVS"}, "tags": {"team": "vision"}}  # fmt: skip
    data = spec_data({"fresh": entry})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps == (S.CREATE, S.UPDATE_TAGS)
    assert apply_plan(plan, client, timing=FAST).complete
    assert not live_plan(data, client).has_changes


def test_a_replacement_by_name_deletes_waits_until_gone_and_creates(servers: Servers) -> None:
    """A notebook identified by name whose pool changed is deleted (DELETING, then gone), created again
    from the spec with its old settings and tags, stopped as it was, and the next plan shows no changes."""
    doc = notebook_doc(0, "STOPPED", pool={"id": "pool-1"}, tags=[{"key": "team", "value": "nlp"}])
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": {"name": doc["name"], "pool": {"id": "pool-2"}, "flavor": doc["flavor"]}})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps == (S.DELETE, S.CREATE, S.STOP, S.UPDATE_TAGS)
    result = apply_plan(plan, client, timing=FAST)
    assert result.complete, result
    new_id = result.results[0].notebook_id
    assert new_id is not None and new_id != doc["id"]
    assert doc["id"] not in emulator.store.documents
    new = json.loads(client.get_notebook(new_id))
    assert (new["status"], new["pool"]["id"], new["description"]) == ("STOPPED", "pool-2", doc["description"])
    assert new["tags"] == [{"key": "team", "value": "nlp"}]
    assert not live_plan(data, client).has_changes


REPLACEMENTS: list[tuple[str, dict[str, Any]]] = [
    ("volume.category", {"volume": {"category": "OBS"}}),
    ("volume.mount_path", {"volume": {"category": "EVS", "mount_path": "/data"}}),
    ("volume.ownership", {"volume": {"category": "EVS", "ownership": "DEDICATED"}}),
    ("feature", {"feature": "DEFAULT"}),
    ("workspace_id", {"workspace_id": "0123456789abcdef0123456789abcdef"}),
    ("endpoints.SSH.ssh_keys", {"endpoints": [{"dev_service": "SSH", "ssh_keys": ["new-key"],
                                               "allowed_access_ips": ["203.0.113.0/24"]}]}),
    ("endpoints.SSH", {"endpoints": []}),
]  # fmt: skip


def test_a_second_interrupt_stops_waiting_for_a_deletion_and_says_what_is_left(servers: Servers) -> None:
    """A first Ctrl-C lets the delete in flight wait for the notebook to go; a second stops that wait
    at once (not at the 20 min deadline), and the result says the notebook is deleted and its
    replacement not created."""
    doc = notebook_doc(0, "STOPPED", pool={"id": "pool-1"})
    emulator = servers.emulator([doc], transition_ms=60_000)  # the deletion would take a minute
    client = servers.client(emulator)
    data = spec_data({"box": {"name": doc["name"], "pool": {"id": "pool-2"}, "flavor": doc["flavor"]}})
    plan = live_plan(data, client)
    stream = io.StringIO()
    stop, abort = threading.Event(), threading.Event()

    def interrupt_twice() -> None:
        while '"outcome": "ok"' not in stream.getvalue():  # the DELETE was answered
            time.sleep(0.01)
        stop.set()
        time.sleep(0.2)
        kept_waiting.append(not done.is_set())  # the first interrupt alone keeps waiting
        abort.set()

    done = threading.Event()
    kept_waiting: list[bool] = []
    helper = threading.Thread(target=interrupt_twice)
    helper.start()
    started = time.monotonic()
    result = apply_plan(plan, client, timing=Timing(timeout=600.0, poll_initial=0.01, poll_max=0.05),
                        journal=Journal(stream, ()), stop=stop, abort=abort)  # fmt: skip
    done.set()
    helper.join()
    assert kept_waiting == [True]
    assert time.monotonic() - started < 10
    (one,) = result.results
    assert result.interrupted and not one.done and S.CREATE in one.not_done
    assert one.error is not None and "it is deleted and its replacement is not created" in one.error


@pytest.mark.parametrize(("path", "wanted"), REPLACEMENTS, ids=[r[0] for r in REPLACEMENTS])
def test_every_forced_replacement_converges_for_an_entry_by_name(
    servers: Servers, path: str, wanted: dict[str, Any]
) -> None:
    """Each field that forces a replacement is given to the create: after delete and create the re-read
    shows the spec's value (verified), and the next plan shows no changes."""
    doc = notebook_doc(0, "RUNNING")
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    entry = {k: v for k, v in spec_entry(doc, **wanted).items() if k != "id"}
    data = spec_data({"box": entry})
    plan = live_plan(data, client)
    (rc,) = plan.resource_changes
    assert rc.steps[:2] == (S.DELETE, S.CREATE) and path in [d.dotted_path for d in rc.differences]
    result = apply_plan(plan, client, timing=FAST)
    assert result.complete, result
    assert not live_plan(data, client).has_changes


@pytest.mark.parametrize(("transition_ms", "said"), [(20, "already gone"), (3000, "already being deleted")])
def test_a_delete_whose_answer_was_lost_is_repeated_safely(
    servers: Servers, transition_ms: int, said: str
) -> None:
    """A DELETE committed but never answered is sent again; the repeat finds the notebook gone or still
    DELETING (answered 409), and the replacement goes on to create the new notebook."""
    doc = notebook_doc(0, "RUNNING", pool={"id": "pool-1"})
    faults = Faults(timeout_after_commit=Schedule(first=1), hang_ms=3000)
    emulator = servers.emulator([doc], transition_ms=transition_ms, faults=faults)
    client = servers.client(emulator, timeouts=Timeouts(connect=2.0, read=0.3, total=5.0))
    data = spec_data({"box": {"name": doc["name"], "pool": {"id": "pool-2"}}})
    stream = io.StringIO()
    result = apply_plan(live_plan(data, client), client, timing=Timing(timeout=20.0, poll_initial=0.02),
                        journal=Journal(stream, ()))  # fmt: skip
    assert result.complete, result
    (new,) = emulator.store.documents.values()
    assert new["id"] != doc["id"] and new["pool"] == {"id": "pool-2"}
    messages = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert said in messages


def test_a_create_whose_answer_was_lost_is_not_repeated_and_planning_again_finds_it(servers: Servers) -> None:
    """A create committed but never answered fails that notebook (never sent twice); applying the same
    spec again plans from what the service shows, finds the new notebook by its name, and converges
    with exactly one notebook: resuming is planning again."""
    faults = Faults(timeout_after_commit=Schedule(first=1), hang_ms=3000)
    emulator = servers.emulator([], transition_ms=20, faults=faults)
    client = servers.client(emulator, timeouts=Timeouts(connect=2.0, read=0.3, total=5.0))
    entry = {"name": "fresh", "flavor": "modelarts.vm.cpu.2u", "image": {"id": "img-1"},
             "volume": {"category": "EVS"}, "description": "new"}  # fmt: skip
    data = spec_data({"fresh": entry})
    first = apply_plan(live_plan(data, client), client, timing=FAST)
    assert not first.complete and first.results[0].not_done == (S.CREATE,)
    assert len(emulator.store) == 1
    second = live_plan(data, client)
    assert second.resource_changes[0].actions != (Action.CREATE,)
    assert apply_plan(second, client, timing=FAST).complete
    assert len(emulator.store) == 1 and not live_plan(data, client).has_changes


def test_a_replacement_by_id_is_refused_and_nothing_changes(servers: Servers) -> None:
    """A replacement of an entry identified by id could never converge (the new notebook's id differs):
    the executor refuses it before any request that writes, and the notebook is left as it was."""
    doc = notebook_doc(0, "RUNNING", pool={"id": "pool-1"})
    emulator = servers.emulator([doc], transition_ms=20)
    client = servers.client(emulator)
    data = spec_data({"box": {"id": doc["id"], "pool": {"id": "pool-2"}}})
    plan = live_plan(data, client)
    assert plan.resource_changes[0].steps[0] is S.REFUSE_CREATE_BY_ID
    result = apply_plan(plan, client, timing=FAST)
    (only,) = result.results
    assert not only.complete and only.done == () and "identify the notebook by name" in (only.error or "")
    assert emulator.store.documents[doc["id"]] == doc


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
        ("update-lease", "started"),
        ("update-lease", "ok"),
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
    assert only.not_done == (S.STOP_FOR_UPDATE, S.UPDATE_WHILE_STOPPED, S.START_AFTER_UPDATE, S.UPDATE_LEASE)


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


def test_a_failed_update_puts_back_the_status_it_stopped_the_notebook_from(servers: Servers) -> None:
    """When the update after a stop-for-update fails, the notebook is started again, not left stopped."""
    doc = notebook_doc(0, "RUNNING")
    # write 1 (stop) goes through, write 2 (the PUT) is answered 409, write 3 (the restoring start) goes
    emulator = servers.emulator([doc], transition_ms=20, faults=Faults(conflict=Schedule(every=2)))
    client = servers.client(emulator)
    data = spec_data({"box": spec_entry(doc, flavor="modelarts.vm.cpu.8u")})
    (result,) = apply_plan(live_plan(data, client), client, timing=FAST).results
    assert result.done == (S.STOP_FOR_UPDATE, S.START_AFTER_UPDATE)
    assert result.not_done == (S.UPDATE_WHILE_STOPPED, S.UPDATE_LEASE)
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
