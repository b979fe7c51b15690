"""Golden compliance scenarios (`tests/policy_cases/<scenario>/`): spec, policy, waivers, saved
responses -> the expected report in every format.

Each scenario holds `spec.yaml`, optionally `policy.yaml`, `waivers.yaml` and `observed/`, and
`case.json` (`now`, and `spec_only` when the observed state is not judged). Regenerate the expected
files with `UPDATE_GOLDEN=1 python -m pytest tests/test_policy_golden.py` and read every diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jsonschema
import pytest

from reconcile._core.report import Report, Status
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._policy.engine import evaluate, observed_state
from reconcile._policy.rules import BUILTIN
from reconcile._policy.settings import Policy
from reconcile._render.report_common import REPORT_FORMATS, render_report
from reconcile._schema.files import load_schema
from reconcile._specfile.load import load_spec
from reconcile._specfile.policy import load_policy
from reconcile._specfile.waivers import load_waivers
from tests.conftest import DATA

CASES = Path(__file__).resolve().parent / "policy_cases"
SCENARIOS = sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SUFFIX = {
    "text": "txt",
    "json": "json",
    "sarif": "sarif",
    "junit": "junit.xml",
    "markdown": "md",
    "html": "html",
}
TOKEN = "7b22482a-a4cb-4b46-e3b3-6a793a47967e"
SARIF = jsonschema.Draft4Validator(json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")))
REPORT = jsonschema.Draft202012Validator(load_schema("report"))


@contextmanager
def _inside(path: Path) -> Iterator[None]:
    here = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(here)


def report_for(name: str) -> Report:
    """The report of one scenario, with paths relative to its folder (as a user in it would type them)."""
    with _inside(CASES / name):
        case = json.loads(Path("case.json").read_text(encoding="utf-8"))
        now = dt.datetime.fromisoformat(case["now"])
        spec = load_spec(["spec.yaml"])
        policy = load_policy("policy.yaml") if Path("policy.yaml").exists() else Policy()
        waivers = None
        if Path("waivers.yaml").exists():
            rules = {*BUILTIN, *(c.id for c in policy.custom)}
            waivers = load_waivers("waivers.yaml", rules=rules, now=now, limits=policy.waivers)
        observed = None
        if not case.get("spec_only"):
            observations = observe_offline(targets(spec), load_observed("observed"))
            observed = observed_state(build_plan(spec, observations), observations)
        return evaluate(spec, policy, waivers, now=now, observed=observed)


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual, f"{path} differs; regenerate and review"


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_report(name: str) -> None:
    """The scenario's report equals its reviewed files in every format; JSON and SARIF fit their schemas."""
    report = report_for(name)
    for fmt in REPORT_FORMATS:
        text = render_report(report, fmt)
        _check(CASES / name / f"expected-report.{SUFFIX[fmt]}", text)
        assert TOKEN not in text
    assert list(REPORT.iter_errors(json.loads(render_report(report, "json")))) == []
    assert list(SARIF.iter_errors(json.loads(render_report(report, "sarif")))) == []


def _statuses(name: str) -> dict[str, set[Status]]:
    out: dict[str, set[Status]] = {}
    for f in report_for(name).findings:
        out.setdefault(f.rule, set()).add(f.status)
    return out


def test_scenarios_cover_every_rule_in_every_state() -> None:
    """Between them the scenarios show every built-in rule passing, failing, waived and not applicable."""
    passing, failing, waived = _statuses("all-pass"), _statuses("all-fail"), _statuses("waived")
    na = _statuses("not-applicable")
    for rule in BUILTIN:
        if rule == "MA013":  # fleet listing does not exist yet: never anything but not applicable
            assert failing[rule] == {Status.NOT_APPLICABLE}
            continue
        assert Status.PASS in passing[rule], rule
        assert Status.FAIL in failing[rule], rule
        assert Status.WAIVED in waived[rule], rule
        if rule in {"MA001", "MA002", "MA003", "MA004", "MA005", "MA006", "MA007", "MA008", "MA009"}:
            assert na[rule] == {Status.NOT_APPLICABLE}, rule
    expiring = report_for("waivers-expiring")
    assert any(w.state.value == "expiring" for w in expiring.waivers)
    expired = report_for("waivers-expired")
    assert expired.findings and not any(f.status is Status.WAIVED for f in expired.findings)
    assert any(f.waiver_expired == "2025-11-30" for f in expired.findings)
    custom = _statuses("custom-cel")
    assert {Status.PASS, Status.FAIL} <= custom["ORG002"] and Status.FAIL in custom["ORG001"]
    assert Status.ERROR in custom["ORG003"]  # an observed notebook without a lease


@pytest.mark.parametrize("case", SCENARIOS)
def test_golden_check_junit_passes_the_jenkins_xunit_schema(case: str) -> None:
    """Every golden `check --format junit` report validates against the vendored junit-10.xsd."""
    from tests.test_render_junit import _xsd_errors

    xml = (CASES / case / "expected-report.junit.xml").read_text(encoding="utf-8")
    assert _xsd_errors(xml) == []
