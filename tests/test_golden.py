"""Golden scenarios (`tests/cases/<scenario>/`): spec + saved responses -> the expected plan, JSON and text.

A scenario is planned offline from `observed/` (as `reconcile plan --observed`), unless it has a
`listed/` folder: it is then planned in list mode (as `reconcile plan --refresh list`). `listed/`
holds the saved list response (the project's listing, whose entries may be sparse or stale) and
`observed/` the GET bodies, served by the emulator over loopback: each entry is planned from its
list entry when list mode trusts it, else confirmed with a real GET. Such a scenario also has
`expected-gets.txt` (the notebooks confirmed with a GET) and `expected-get-mode-plan.txt` (the
get-mode plan of the same GET bodies, for comparison).

Regenerate the expected files with `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`, then
read every changed file before committing it: the expected plans are reviewed, not trusted.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconcile._core.plan import Plan
from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts.auth import TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._observe.live import observe_listed, observe_live
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.listmode import plannable_from_list
from reconcile._planning.planner import build_plan, targets
from reconcile._render import read_plan, render
from reconcile._schema.files import load_schema
from reconcile._specfile.load import load_spec

CASES = Path(__file__).resolve().parent / "cases"
SCENARIOS = sorted(p.name for p in CASES.iterdir() if (p / "spec.yaml").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
PLAN_VALIDATOR = jsonschema.Draft202012Validator(load_schema("plan"))


LIST_MODE = [name for name in SCENARIOS if (CASES / name / "listed").is_dir()]
_GET = re.compile(r'"GET /v1/[^/]+/notebooks/([^/?" ]+) HTTP')


def plan_for(name: str) -> Plan:
    """The plan of one scenario, computed offline from paths relative to the scenario folder (as the
    CLI does: a saved list response is the project's listing); in list mode when it has `listed/`."""
    if (CASES / name / "listed").is_dir():
        return list_mode_plans(name)[0]
    here = Path.cwd()
    os.chdir(CASES / name)
    try:
        spec = load_spec(["spec.yaml"])
        index = load_observed("observed")
        return build_plan(
            spec, observe_offline(targets(spec), index), observed="observed", listing=index.listing
        )
    finally:
        os.chdir(here)


def list_mode_plans(name: str) -> tuple[Plan, Plan, list[str]]:
    """A list-mode scenario's plan, the get-mode plan of the same GET bodies, and the ids list mode
    confirmed with a GET (the emulator serves `observed/`; `listed/` is the listing both plans use)."""
    root = CASES / name
    here = Path.cwd()
    os.chdir(root)  # relative paths, as plan_for: the plan's spec digests name the file as given
    try:
        spec = load_spec(["spec.yaml"])
    finally:
        os.chdir(here)
    listing = load_observed(root / "listed").listing
    assert listing is not None, f"{name}/listed holds no list response"
    entries = {entry.name: entry for entry in spec.entries}
    requests: list[str] = []
    emulator = Emulator(NotebookStore.from_dir(root / "observed"), log=requests.append)
    with (
        emulator,
        ModelArtsClient(emulator.url, spec.project_id or "project", TokenAuth(Secret("golden"))) as client,
    ):
        by_list = observe_listed(
            targets(spec), client, listing, lambda t, body: plannable_from_list(entries[t.name], body)
        )
        gets = sorted({m[1] for line in requests if (m := _GET.search(line))})
        by_get = observe_live(targets(spec), client)
    plans = [build_plan(spec, found, observed="observed", listing=listing) for found in (by_list, by_get)]
    return plans[0], plans[1], gets


def _decisions(plan: Plan) -> dict[str, Any]:
    return {rc.name: (rc.actions, rc.differences, rc.health, rc.steps) for rc in plan.resource_changes}


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual, f"{path} differs; regenerate and review"


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_plan(name: str) -> None:
    """The scenario's plan equals its reviewed expected JSON and text, and the JSON fits the plan schema."""
    plan = plan_for(name)
    as_json = render(plan, "json")
    _check(CASES / name / "expected-plan.json", as_json)
    _check(CASES / name / "expected-plan.txt", render(plan, "text"))
    assert list(PLAN_VALIDATOR.iter_errors(json.loads(as_json))) == []
    for fmt in ("json", "text", "markdown", "junit"):
        assert "7b22482a-a4cb-4b46-e3b3-6a793a47967e" not in render(plan, fmt)


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_plan_round_trips_through_show(name: str) -> None:
    """Every format rendered from the saved JSON plan equals the format rendered from the plan itself."""
    plan = plan_for(name)
    again = read_plan(render(plan, "json"), "plan.json")
    for fmt in ("text", "json", "markdown", "junit"):
        assert render(again, fmt) == render(plan, fmt)


@pytest.mark.parametrize("name", LIST_MODE)
def test_list_mode_golden_gets_and_get_mode_plan(name: str) -> None:
    """A list-mode scenario confirms exactly the reviewed notebooks with a GET, and its get-mode plan over
    the same GET bodies is the reviewed one."""
    _, by_get, gets = list_mode_plans(name)
    _check(CASES / name / "expected-gets.txt", "".join(f"GET {nid}\n" for nid in gets))
    _check(CASES / name / "expected-get-mode-plan.txt", render(by_get, "text"))


def test_sparse_list_entries_decide_as_get_mode_and_trusted_ones_cost_no_get() -> None:
    """Sparse list entries: list mode decides what get mode decides; only the entries lacking a managed
    field are confirmed with a GET, and a trusted sparse entry's `before` is that entry."""
    by_list, by_get, gets = list_mode_plans("list-mode-sparse")
    assert _decisions(by_list) == _decisions(by_get)
    ids = {rc.name: rc.before["id"] for rc in by_list.resource_changes if rc.before}
    assert gets == sorted([ids["no-flavor"], ids["no-lease"]])
    bare = next(rc for rc in by_list.resource_changes if rc.name == "bare")
    assert (
        "description" not in bare.before
        and "description" in next(rc for rc in by_get.resource_changes if rc.name == "bare").before
    )


def test_a_stale_entry_showing_the_desired_value_hides_drift_until_the_next_run() -> None:
    """Stale list entries: drift the list shows is confirmed with a GET (no false change); a change made
    after the listing that the list still shows as desired is planned as no change (get mode sees it)."""
    by_list, by_get, gets = list_mode_plans("list-mode-stale")
    differing = {name for name, decided in _decisions(by_list).items() if decided != _decisions(by_get)[name]}
    assert differing == {"hidden-drift"}
    ids = {rc.name: rc.before["id"] for rc in by_list.resource_changes}
    assert gets == sorted([ids["looks-drifted"], ids["shown-drift"]])
