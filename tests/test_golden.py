"""Golden scenarios (`tests/cases/<scenario>/`): spec + saved responses -> the expected plan, JSON and text.

Regenerate the expected files with `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`, then
read every changed file before committing it: the expected plans are reviewed, not trusted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from reconcile._core.plan import Plan
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._render import read_plan, render
from reconcile._schema.files import load_schema
from reconcile._specfile.load import load_spec

CASES = Path(__file__).resolve().parent / "cases"
SCENARIOS = sorted(p.name for p in CASES.iterdir() if (p / "spec.yaml").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
PLAN_VALIDATOR = jsonschema.Draft202012Validator(load_schema("plan"))


def plan_for(name: str) -> Plan:
    """The plan of one scenario, computed offline from paths relative to the scenario folder (as the
    CLI does: a saved list response is the project's listing)."""
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
