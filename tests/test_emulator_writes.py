"""The emulator's write side over real HTTP, through the client: state machine, constraints, faults."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from reconcile._core.errors import ApiError, NotFoundError, TransportError
from reconcile._emulator.cli import add_arguments, faults_from_args
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import Faults, Schedule
from reconcile._emulator.writes import MAX_TAGS
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.transport import Timeouts
from tests.emulator_fixture import Servers, notebook


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators and clients for one test, all closed afterwards."""
    with Servers() as s:
        yield s


def _nb(status: str, **fields: Any) -> dict[str, Any]:
    doc = notebook(0)
    doc["status"] = status
    doc["volume"] = {
        "category": "EVS",
        "capacity": 50,
        "ownership": "MANAGED",
        "mount_path": "/home/ma-user/work/",
    }
    doc.update(fields)
    return doc


def _setup(servers: Servers, status: str, **options: Any) -> tuple[Emulator, ModelArtsClient, str]:
    doc = _nb(status)
    emulator = servers.emulator([doc], transition_ms=options.pop("transition_ms", 30), **options)
    return emulator, servers.client(emulator), doc["id"]


def _read(client: ModelArtsClient, nid: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(client.get_notebook(nid))
    return result


def _settle(client: ModelArtsClient, nid: str, seconds: float = 2.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        doc = _read(client, nid)
        if doc["status"] not in ("STARTING", "STOPPING", "CREATING") or time.monotonic() > deadline:
            return doc
        time.sleep(0.01)


def test_start_passes_through_starting_and_restarts_the_lease(servers: Servers) -> None:
    """A start moves STOPPED to STARTING, then RUNNING after the transition time, with the lease given."""
    _, client, nid = _setup(servers, "STOPPED")
    answer = json.loads(client.start_notebook(nid, 7_200_000, "IDLE"))
    assert answer["status"] == "STARTING"
    doc = _settle(client, nid)
    assert doc["status"] == "RUNNING"
    assert doc["lease"]["duration"] == 7_200_000
    assert doc["lease"]["type"] == "IDLE"
    assert doc["lease"]["enable"] is True


def test_start_with_minus_one_switches_auto_stop_off(servers: Servers) -> None:
    """`duration=-1` (Terraform's undocumented value) starts the notebook with auto-stop disabled."""
    _, client, nid = _setup(servers, "STOPPED")
    client.start_notebook(nid, -1)
    assert _settle(client, nid)["lease"]["enable"] is False


def test_stop_then_writes_while_stopping_get_409(servers: Servers) -> None:
    """A write to a notebook in a transitional status answers HTTP 409 and changes nothing."""
    _, client, nid = _setup(servers, "RUNNING", transition_ms=400)
    client.stop_notebook(nid)
    with pytest.raises(ApiError) as info:
        client.update_notebook(nid, {"flavor": "modelarts.vm.cpu.8u"})
    assert info.value.status == 409
    assert _settle(client, nid)["status"] == "STOPPED"
    assert _read(client, nid)["flavor"] == "modelarts.vm.cpu.2u"


def test_repeated_start_and_stop_have_the_same_effect(servers: Servers) -> None:
    """Starting a RUNNING notebook or stopping a STOPPED one answers 200 and changes nothing."""
    _, client, nid = _setup(servers, "RUNNING")
    before = _read(client, nid)
    assert json.loads(client.start_notebook(nid))["status"] == "RUNNING"
    assert _read(client, nid) == before


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        ("RUNNING", {"flavor": "modelarts.vm.cpu.8u"}, "ModelArts.6311"),
        ("RUNNING", {"image_id": "0d1c"}, "ModelArts.6311"),
        (
            "RUNNING",
            {"endpoints": [{"service": "SSH", "allowed_access_ips": ["1.2.3.4/32"]}]},
            "ModelArts.6311",
        ),
        ("STOPPED", {"name": "x"}, "ModelArts.6310"),
        ("STOPPED", {"description": "x"}, "ModelArts.6310"),
        ("RUNNING", {"storage_new_size": 40}, "ModelArts.6316"),
        ("RUNNING", {"storage_new_size": 5000}, "ModelArts.6316"),
        ("RUNNING", {"gpu": 1}, "ModelArts.0101"),
    ],
)
def test_update_constraints_answer_modelarts_errors(
    servers: Servers, status: str, body: dict[str, Any], code: str
) -> None:
    """Updates that need another status, shrink EVS storage or name unknown fields answer HTTP 400."""
    _, client, nid = _setup(servers, status)
    before = _read(client, nid)
    with pytest.raises(ApiError) as info:
        client.update_notebook(nid, body)
    assert (info.value.status, info.value.error_code) == (400, code)
    assert _read(client, nid) == before


def test_updates_in_the_right_status_are_stored(servers: Servers) -> None:
    """Name, description and growth while RUNNING; flavor, image and SSH allow-list while STOPPED."""
    _, client, nid = _setup(servers, "RUNNING")
    client.update_notebook(nid, {"name": "renamed", "description": "d", "storage_new_size": 100})
    client.stop_notebook(nid)
    _settle(client, nid)
    client.update_notebook(
        nid,
        {
            "flavor": "modelarts.vm.cpu.8u",
            "image_id": "img-2",
            "endpoints": [{"service": "SSH", "key_pair_names": ["k"], "allowed_access_ips": ["1.2.3.4/32"]}],
        },
    )
    doc = _read(client, nid)
    assert (doc["name"], doc["description"], doc["volume"]["capacity"]) == ("renamed", "d", 100)
    assert (doc["flavor"], doc["image"]["id"]) == ("modelarts.vm.cpu.8u", "img-2")
    ssh = [e for e in doc["endpoints"] if e["dev_service"] == "SSH"]
    assert ssh == [{"dev_service": "SSH", "allowed_access_ips": ["1.2.3.4/32"], "ssh_keys": ["k"]}]


def test_lease_only_while_running(servers: Servers) -> None:
    """The lease API refuses a stopped notebook and, while RUNNING, restarts the lease from now."""
    _, client, nid = _setup(servers, "STOPPED")
    with pytest.raises(ApiError) as info:
        client.renew_lease(nid, 7_200_000, "TIMING")
    assert info.value.error_code == "ModelArts.6314"
    client.start_notebook(nid)
    _settle(client, nid)
    client.renew_lease(nid, 10_800_000, "IDLE")
    lease = _read(client, nid)["lease"]
    assert (lease["duration"], lease["type"], lease["enable"]) == (10_800_000, "IDLE", True)
    with pytest.raises(ApiError):
        client.renew_lease(nid, 60_000, "TIMING")  # below the documented minimum


def test_create_needs_its_inputs_and_comes_up_running(servers: Servers) -> None:
    """A create without an image is refused; a complete one is CREATING, then RUNNING, and served."""
    _, client, _ = _setup(servers, "RUNNING")
    body: dict[str, Any] = {
        "name": "fresh",
        "flavor": "modelarts.vm.cpu.2u",
        "volume": {"category": "EVS", "ownership": "MANAGED", "capacity": 20},
    }
    with pytest.raises(ApiError) as info:
        client.create_notebook(body)
    assert "image_id" in str(info.value)
    created = json.loads(client.create_notebook({**body, "image_id": "img-1"}))
    assert created["status"] == "CREATING"
    doc = _settle(client, created["id"])
    assert (doc["status"], doc["name"], doc["volume"]["capacity"]) == ("RUNNING", "fresh", 20)
    assert any(e["name"] == "fresh" for e in client.list_notebooks(name="fresh"))


def test_fail_after_commit_changes_the_notebook_but_answers_500(servers: Servers) -> None:
    """The `fail_after_commit` fault stores the write and answers HTTP 500 (not retried for a write)."""
    emulator, client, nid = _setup(servers, "RUNNING", faults=Faults(fail_after_commit=Schedule(first=1)))
    with pytest.raises(ApiError) as info:
        client.update_notebook(nid, {"description": "committed"})
    assert info.value.status == 500
    assert _read(client, nid)["description"] == "committed"
    assert emulator.requests_received == 2  # no retry of a 500 on a write


def test_conflict_fault_answers_409_and_changes_nothing(servers: Servers) -> None:
    """The `conflict` fault answers the first write HTTP 409 without changing the notebook."""
    _, client, nid = _setup(servers, "RUNNING", faults=Faults(conflict=Schedule(first=1)))
    with pytest.raises(ApiError) as info:
        client.update_notebook(nid, {"description": "x"})
    assert info.value.status == 409
    assert _read(client, nid)["description"] == "api-test"
    client.update_notebook(nid, {"description": "x"})  # the second write goes through
    assert _read(client, nid)["description"] == "x"


def test_command_line_reads_write_faults_and_transition_time() -> None:
    """`--fail-after-commit-first`, `--conflict-every`, `--hang-ms` and `--transition-ms` are read."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--data",
            "x",
            "--fail-after-commit-first",
            "2",
            "--conflict-every",
            "3",
            "--hang-ms",
            "5",
            "--transition-ms",
            "7",
        ]
    )
    faults = faults_from_args(args)
    assert faults.fail_after_commit == Schedule(first=2)
    assert faults.conflict == Schedule(every=3)
    assert faults.hang_ms == 5
    assert args.transition_ms == 7


def test_an_update_that_timed_out_after_commit_is_retried_safely(servers: Servers) -> None:
    """A PUT committed but never answered is sent again (same effect when repeated) and succeeds."""
    faults = Faults(timeout_after_commit=Schedule(first=1), hang_ms=3000)
    emulator, _, nid = _setup(servers, "RUNNING", faults=faults)
    client = servers.client(emulator, timeouts=Timeouts(connect=2.0, read=0.3, total=5.0))
    assert json.loads(client.update_notebook(nid, {"description": "once"}))["description"] == "once"
    assert emulator.requests_received == 2


def test_a_create_that_timed_out_after_commit_is_not_repeated(servers: Servers) -> None:
    """A create committed but never answered is reported, never sent again: one notebook exists."""
    faults = Faults(timeout_after_commit=Schedule(first=1), hang_ms=3000)
    emulator, _, _ = _setup(servers, "RUNNING", faults=faults)
    client = servers.client(emulator, timeouts=Timeouts(connect=2.0, read=0.3, total=5.0))
    body = {
        "name": "fresh",
        "flavor": "f",
        "image_id": "i",
        "volume": {"category": "EVS", "ownership": "MANAGED"},
    }
    with pytest.raises(TransportError):
        client.create_notebook(body)
    assert emulator.requests_received == 1
    assert len(emulator.store) == 2


def test_delete_goes_deleting_then_gone(servers: Servers) -> None:
    """A DELETE answers the notebook DELETING; it is listed as DELETING, refuses writes (409), then is gone:
    a GET reads as "no such notebook" and a second DELETE says so too."""
    _, client, nid = _setup(servers, "RUNNING", transition_ms=150)
    assert json.loads(client.delete_notebook(nid))["status"] == "DELETING"
    assert _read(client, nid)["status"] == "DELETING"
    with pytest.raises(ApiError) as info:
        client.stop_notebook(nid)
    assert info.value.status == 409
    time.sleep(0.2)
    with pytest.raises(NotFoundError):
        client.get_notebook(nid)
    with pytest.raises(NotFoundError):
        client.delete_notebook(nid)
    assert client.list_notebooks() == []


def _tags(client: ModelArtsClient, nid: str) -> list[tuple[str, str]]:
    return [(t["key"], t["value"]) for t in _read(client, nid).get("tags") or []]


def test_tags_create_and_delete_with_a_body(servers: Servers) -> None:
    """Tags are added by POST .../tags/create and removed by DELETE .../tags/delete (a DELETE with a body),
    in a stopped notebook too; re-adding a pair is harmless, deleting an absent key is no error."""
    _, client, nid = _setup(servers, "STOPPED")
    client.create_tags(nid, [("team", "vision"), ("cost", "42")])
    assert _tags(client, nid) == [("cost", "42"), ("team", "vision")]
    client.create_tags(nid, [("team", "vision")])  # the same pair again: the same effect
    client.delete_tags(nid, [("cost", "42"), ("absent", "")])
    assert _tags(client, nid) == [("team", "vision")]
    assert _read(client, nid)["status"] == "STOPPED"


def test_tags_constraints_answer_modelarts_errors(servers: Servers) -> None:
    """A key held with another value must be deleted first (6318); a bad body or too many tags are refused."""
    _, client, nid = _setup(servers, "RUNNING")
    client.create_tags(nid, [("team", "nlp")])
    with pytest.raises(ApiError) as info:
        client.create_tags(nid, [("team", "vision")])
    assert info.value.status == 400 and info.value.error_code == "ModelArts.6318"
    with pytest.raises(ApiError) as info:
        client.create_tags(nid, [("bad<key>", "v")])
    assert info.value.error_code == "ModelArts.0101"
    with pytest.raises(ApiError) as info:
        client.create_tags(nid, [(f"k{i}", "v") for i in range(MAX_TAGS)])
    assert info.value.error_code == "ModelArts.6319"
    assert _tags(client, nid) == [("team", "nlp")]  # a refused write changes nothing


def test_tags_change_while_a_notebook_starts_without_ending_the_start(servers: Servers) -> None:
    """The tags API works in a transitional status: tags set while STARTING are kept once RUNNING."""
    _, client, nid = _setup(servers, "STOPPED", transition_ms=100)
    client.start_notebook(nid)
    client.create_tags(nid, [("team", "vision")])
    assert _read(client, nid)["status"] == "STARTING"
    doc = _settle(client, nid)
    assert doc["status"] == "RUNNING" and doc["tags"] == [{"key": "team", "value": "vision"}]
