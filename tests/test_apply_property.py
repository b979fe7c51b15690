"""Property: for random notebook states and specs, apply then plan shows no changes (over real HTTP)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile._apply.executor import Timing, apply_plan
from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts.auth import TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from tests.apply_helpers import live_plan, notebook_doc, spec_data, spec_entry
from tests.emulator_fixture import FAST_RETRY, FAST_TIMEOUTS, PROJECT_ID, TOKEN

FAST = Timing(timeout=10.0, poll_initial=0.005, poll_max=0.02)

#: Each field a spec may change, with the values it may take.
CHANGES: dict[str, st.SearchStrategy[Any]] = {
    "description": st.sampled_from(["", "team sandbox", "changed"]),
    "name": st.sampled_from(["box-0", "renamed"]),
    "flavor": st.sampled_from(["modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u"]),
    "image": st.sampled_from([{"id": "img-1"}, {"id": "img-2"}]),
    "volume": st.sampled_from([{"category": "EVS", "capacity": 50}, {"category": "EVS", "capacity": 80}]),
    "status": st.sampled_from(["RUNNING", "STOPPED"]),
    "lease": st.sampled_from(
        [
            {"enable": True, "duration": 7_200_000, "type": "TIMING"},
            {"enable": True, "duration": 10_800_000, "type": "IDLE"},
        ]
    ),
    "tags": st.sampled_from([{}, {"team": "nlp"}, {"team": "vision", "cost-center": "42"}]),
    "pool": st.sampled_from([{"id": "pool-1"}, {"id": "pool-2"}]),  # pool-2: a replacement
    "endpoints": st.sampled_from(
        [
            [{"dev_service": "SSH", "allowed_access_ips": ["203.0.113.0/24"], "ssh_keys": ["ops-key"]}],
            [
                {
                    "dev_service": "SSH",
                    "allowed_access_ips": ["10.0.0.0/8", "192.0.2.1/32"],
                    "ssh_keys": ["ops-key"],
                }
            ],
        ]
    ),
}


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, bool, dict[str, Any]]:
    """A notebook status, whether the entry is identified by name (else by id: no replacement, which
    apply refuses for an entry by id; no rename, which a name lookup would read as another notebook),
    and a random set of changes to its spec."""
    status = draw(st.sampled_from(["RUNNING", "STOPPED"]))
    by_name = draw(st.booleans())
    excluded = "name" if by_name else "pool"
    keys = draw(st.sets(st.sampled_from(sorted(set(CHANGES) - {excluded}))))
    return status, by_name, {key: draw(CHANGES[key]) for key in sorted(keys)}


@settings(max_examples=25)
@given(cases())
def test_apply_then_plan_shows_no_changes(case: tuple[str, bool, dict[str, Any]]) -> None:
    """Whatever the status and the changes (tags and replacements included), applying converges: the
    next plan has no changes."""
    status, by_name, wanted = case
    doc = notebook_doc(0, status, tags=[{"key": "team", "value": "nlp"}], pool={"id": "pool-1"})
    store = NotebookStore.from_documents([doc])
    with Emulator(store, auth=EmulatorAuth(token=Secret(TOKEN)), transition_ms=5) as emulator:
        client = ModelArtsClient(
            emulator.url, PROJECT_ID, TokenAuth(Secret(TOKEN)), retry=FAST_RETRY, timeouts=FAST_TIMEOUTS
        )
        with client:
            entry = spec_entry(doc, **wanted)
            if by_name:
                del entry["id"]
            data = spec_data({"box": entry})
            plan = live_plan(data, client)
            result = apply_plan(plan, client, timing=FAST)
            assert result.complete, (wanted, plan.resource_changes[0].steps, result)
            after = live_plan(data, client)
            assert not after.has_changes, [d.dotted_path for d in after.resource_changes[0].differences]
            (final,) = store.documents.values()  # a replacement leaves the new notebook alone
            expected = wanted.get("status", status)
            assert final["status"] == expected  # the status it had is kept unless the spec says
            assert final["lease"]["enable"] is True  # auto-stop never switched off
