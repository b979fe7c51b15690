"""List mode (`--refresh list`): planned from list entries, confirmed with a GET, deciding as get mode."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile._core.errors import TransportError
from reconcile._core.observation import Failed, Found, Target
from reconcile._core.plan import Plan
from reconcile._emulator.settings import Faults, Schedule
from reconcile._observe.live import list_project, observe_listed, observe_live
from reconcile._planning.listmode import plannable_from_list
from reconcile._planning.planner import build_plan, targets
from reconcile._render import render
from reconcile._specfile.load import spec_from_data
from tests.emulator_fixture import PROJECT_ID, TOKEN, Servers, notebook
from tests.test_cli import run

FLAVORS = ("modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u")
STATUSES = ("RUNNING", "STOPPED")
#: Fields the spec below may manage, and so fields a sparse list may leave out.
SPARSE_FIELDS = ("flavor", "status", "description", "lease", "workspace_id", "name")


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators and clients for one test, all closed afterwards."""
    with Servers() as s:
        yield s


def _fleet(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Notebooks and a spec for them: each entry by id or by name, in sync or drifted, plus a missing one."""
    count = draw(st.integers(1, 6))
    docs = []
    notebooks: dict[str, Any] = {}
    for i in range(count):
        doc = notebook(i)
        doc["flavor"] = draw(st.sampled_from(FLAVORS))
        doc["status"] = draw(st.sampled_from(STATUSES))
        docs.append(doc)
        if draw(st.booleans()):
            continue  # an unmanaged notebook
        entry: dict[str, Any] = {"id": doc["id"]} if draw(st.booleans()) else {"name": doc["name"]}
        entry["flavor"] = draw(st.sampled_from(FLAVORS))
        entry["status"] = draw(st.sampled_from(STATUSES))
        if draw(st.booleans()):
            entry["description"] = draw(st.sampled_from(["api-test", "other"]))
        if draw(st.booleans()):
            entry["lease"] = {"enable": True}
        notebooks[f"e{i}"] = entry
    if draw(st.booleans()):
        notebooks["absent"] = {"id": "00000000-0000-4000-8000-0000000000ff", "flavor": FLAVORS[0]}
    return docs, {"version": 1, "notebooks": notebooks}


fleets = st.composite(_fleet)


def _plans(
    servers: Servers, docs: list[dict[str, Any]], data: dict[str, Any], faults: Faults
) -> tuple[Plan, Plan, int, int]:
    """The get-mode and list-mode plans of `data` over an emulator serving `docs`, and their requests."""
    spec = spec_from_data(data)
    entries = {e.name: e for e in spec.entries}
    emulator = servers.emulator(docs, faults=faults)
    client = servers.client(emulator)
    wanted = targets(spec)

    listed = list_project(client)
    assert not isinstance(listed, Failed)
    got = observe_live(wanted, client)
    get_requests = emulator.requests_received
    get_plan = build_plan(spec, got, listing=listed)

    listing = list_project(client)
    assert not isinstance(listing, Failed)
    by_list = observe_listed(
        wanted, client, listing, lambda t, body: plannable_from_list(entries[t.name], body)
    )
    list_requests = emulator.requests_received - get_requests
    list_plan = build_plan(spec, by_list, listing=listing)
    return get_plan, list_plan, get_requests, list_requests


def _decisions(plan: Plan) -> Any:
    """What a plan decides: actions, differences, health, status, steps, errors, unmanaged, summary."""
    return (
        [
            (rc.name, rc.actions, rc.differences, rc.health, rc.status, rc.steps)
            for rc in plan.resource_changes
        ],
        plan.errors,
        plan.unmanaged,
        plan.summary,
        plan.has_changes,
    )


@settings(max_examples=15, deadline=None)
@given(fleet=fleets())
def test_full_list_entries_give_byte_identical_plans(
    fleet: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    """With list entries as full as the GET bodies, list mode's plan is byte-identical to get mode's, in every format."""
    docs, data = fleet
    with Servers() as servers:
        get_plan, list_plan, get_requests, list_requests = _plans(servers, docs, data, Faults())
    for fmt in ("json", "text", "markdown", "junit"):
        assert render(list_plan, fmt) == render(get_plan, fmt)
    assert list_requests <= get_requests  # one listing, then only the confirming GETs


@settings(max_examples=15, deadline=None)
@given(fleet=fleets(), left_out=st.sets(st.sampled_from(SPARSE_FIELDS), min_size=1))
def test_sparse_list_entries_give_the_same_decisions(
    fleet: tuple[list[dict[str, Any]], dict[str, Any]], left_out: set[str]
) -> None:
    """List entries without some fields (--sparse-list): list mode decides exactly what get mode decides."""
    docs, data = fleet
    with Servers() as servers:
        get_plan, list_plan, _, _ = _plans(servers, docs, data, Faults(sparse_list=tuple(sorted(left_out))))
    assert _decisions(list_plan) == _decisions(get_plan)


@settings(max_examples=15, deadline=None)
@given(
    fleet=fleets(),
    lag=st.sampled_from([("flavor", "modelarts.vm.stale"), ("status", "STOPPING"), ("description", "old")]),
)
def test_stale_list_entries_give_the_same_decisions(
    fleet: tuple[list[dict[str, Any]], dict[str, Any]], lag: tuple[str, str]
) -> None:
    """A list lagging behind the GET (a field changed after the listing) gives the same decisions: drift is confirmed."""
    docs, data = fleet
    with Servers() as servers:
        get_plan, list_plan, _, _ = _plans(servers, docs, data, Faults(list_lag=(lag,)))
    assert _decisions(list_plan) == _decisions(get_plan)


def test_in_sync_notebooks_cost_no_get_and_drift_is_confirmed(servers: Servers) -> None:
    """Ten in-sync notebooks by id cost one list request; one drifted notebook costs one GET more."""
    docs = [notebook(i) | {"status": "RUNNING"} for i in range(10)]
    data = {
        "version": 1,
        "notebooks": {f"n{i}": {"id": d["id"], "flavor": d["flavor"]} for i, d in enumerate(docs)},
    }
    _, _, _, in_sync = _plans(servers, docs, data, Faults())
    assert in_sync == 1  # get mode: the listing (for unmanaged notebooks) and ten GETs
    data["notebooks"]["n3"]["flavor"] = "modelarts.vm.gpu.v100"
    get_plan, list_plan, get_requests, drifted = _plans(servers, docs, data, Faults())
    assert drifted == 2 and get_requests == 11
    assert json.loads(render(list_plan, "json")) == json.loads(render(get_plan, "json"))


def test_emulator_list_filters_by_status_and_workspace(servers: Servers) -> None:
    """The emulator's list API filters exactly by `status` and `workspace_id`, and fuzzily by `name`."""
    docs = [notebook(i) for i in range(4)]
    docs[1]["status"], docs[2]["workspace_id"] = "STOPPED", "ws-2"
    emulator = servers.emulator(docs, auth=None)

    def ids(query: str) -> list[str]:
        with urllib.request.urlopen(f"{emulator.url}/v1/p/notebooks?limit=50&{query}") as answer:
            return [d["id"] for d in json.loads(answer.read())["data"]]

    assert ids("status=STOPPED") == [docs[1]["id"]]
    assert ids("workspace_id=ws-2") == [docs[2]["id"]]
    assert ids("name=nb-00") == [d["id"] for d in docs]
    assert ids("status=CREATING&workspace_id=0") == [docs[0]["id"], docs[3]["id"]]


def test_refresh_flag_is_documented() -> None:
    """`reconcile plan --help` documents --refresh and its auto rule."""
    out = run("plan", "--help").stdout
    assert "--refresh {auto,list,get}" in out and "fewer requests" in out


@pytest.mark.parametrize(
    "faults", [Faults(), Faults(sparse_list=("flavor", "lease"))], ids=["full", "sparse"]
)
def test_cli_refresh_modes_print_the_same_plan(servers: Servers, tmp_path: Any, faults: Faults) -> None:
    """`reconcile plan --refresh list` and `--refresh get` over the emulator give the same plan and exit status."""
    docs = [notebook(i) | {"status": "RUNNING"} for i in range(4)]
    spec = {
        "version": 1,
        "notebooks": {
            "a": {"id": docs[0]["id"], "flavor": docs[0]["flavor"]},
            "b": {"id": docs[1]["id"], "flavor": "modelarts.vm.gpu.v100"},
            "c": {"name": docs[2]["name"], "lease": {"enable": True}},
        },
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    emulator = servers.emulator(docs, faults=faults)
    env = {"MODELARTS_AUTH_TOKEN": TOKEN}
    common = (str(path), "--endpoint", emulator.url, "--project-id", PROJECT_ID, "--detailed-exitcode")
    listed = run("plan", *common, "--refresh", "list", "--format", "json", env=env)
    got = run("plan", *common, "--refresh", "get", "--format", "json", env=env)
    assert listed.returncode == got.returncode == 2, listed.stderr + got.stderr
    decided = [json.loads(r.stdout) for r in (listed, got)]
    for doc in decided:
        for rc in doc["resource_changes"]:
            rc.pop("change")  # before/after may come from a sparse list entry
        for key in ("planned_values", "prior_state", "resource_drift", "metadata"):
            doc.pop(key)
    assert decided[0] == decided[1]


def test_pages_after_the_first_are_fetched_concurrently(servers: Servers) -> None:
    """With 300 notebooks, 200 ms latency and parallelism 5, the six pages take about two round trips, in order."""
    docs = [notebook(i) for i in range(300)]
    emulator = servers.emulator(docs, faults=Faults(latency_ms=200))
    client = servers.client(emulator)
    started = time.monotonic()
    entries = client.list_all_notebooks(parallelism=5)
    elapsed = time.monotonic() - started
    assert [e["id"] for e in entries] == [d["id"] for d in docs]
    assert emulator.requests_received == 6
    assert elapsed < 0.9  # one page after another would take 1.2 s


def test_a_total_past_the_bounds_is_refused_at_once(servers: Servers) -> None:
    """A first page claiming a million notebooks is refused before any other page is requested."""
    emulator = servers.emulator(
        [notebook(i) for i in range(60)], faults=Faults(lying_total=Schedule(every=1))
    )
    client = servers.client(emulator)
    with pytest.raises(TransportError, match="a total of 1000000 passes the listing's bounds"):
        client.list_all_notebooks(parallelism=4)
    assert emulator.requests_received == 1


def test_many_name_only_entries_resolve_from_one_listing_in_linear_time(servers: Servers) -> None:
    """2,000 entries by name are resolved from one listing, each to its notebook, with no GET and in
    well under the 44 s that matching every name against every list entry took."""
    docs = [notebook(i) for i in range(2000)]
    emulator = servers.emulator(docs)
    client = servers.client(emulator)
    listing = list_project(client, parallelism=10)
    assert not isinstance(listing, Failed)
    wanted = [Target(f"e{i}", None, doc["name"]) for i, doc in enumerate(docs)]
    started = time.monotonic()
    found = observe_listed(wanted, client, listing, lambda _target, _body: True)
    elapsed = time.monotonic() - started
    assert emulator.requests_received == 2000 // 50  # the listing's pages only
    assert [obs.body["id"] for obs in found.values() if isinstance(obs, Found)] == [d["id"] for d in docs]
    assert elapsed < 5, elapsed
