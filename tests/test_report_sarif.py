"""SARIF output: valid against the official 2.1.0 schema, with what GitHub code scanning needs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconcile._policy.engine import evaluate
from reconcile._render.report_sarif import FINGERPRINT_KEY, render
from reconcile._specfile.load import load_spec
from reconcile._specfile.policy import load_policy
from reconcile._specfile.waivers import load_waivers
from tests.conftest import DATA, ROOT
from tests.test_policy_cli import NOW, POLICY, SPEC, WAIVERS, run

SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _sarif(spec: str = SPEC, *, suppressed: bool = True) -> dict[str, Any]:
    policy = load_policy(ROOT / POLICY)
    rules = {"MA004", *(c.id for c in policy.custom)}
    waivers = load_waivers(ROOT / WAIVERS, rules=rules, now=WHEN, limits=policy.waivers)
    report = evaluate(load_spec([spec]), policy, waivers, now=WHEN)
    doc: dict[str, Any] = json.loads(render(report, suppressed=suppressed))
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    return doc


@pytest.mark.parametrize("suppressed", [True, False])
def test_sarif_validates_against_the_official_schema(suppressed: bool) -> None:
    """The SARIF log validates against the vendored OASIS schema, with and without waived results."""
    _sarif(str(ROOT / SPEC), suppressed=suppressed)


def test_rules_carry_help_and_security_severity() -> None:
    """Every rule has help text, a help URI and properties.security-severity on GitHub's 0-10 scale."""
    driver = _sarif(str(ROOT / SPEC))["runs"][0]["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids) and "MA001" in ids and "ORG001" in ids
    for rule in driver["rules"]:
        assert rule["help"]["text"] and rule["help"]["markdown"] and rule["helpUri"].startswith("https://")
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
    ma001 = driver["rules"][ids.index("MA001")]
    assert float(ma001["properties"]["security-severity"]) > 9.0  # critical on GitHub


def test_results_have_locations_fingerprints_and_suppressions() -> None:
    """Each result has a physical and a logical location and a fingerprint; waived ones have suppressions."""
    run_ = _sarif(str(ROOT / SPEC))["runs"][0]
    assert run_["automationDetails"]["id"] == "modelarts-reconcile/0c6a4f0b2b0b4b6d9c1e3f7a2b9d8e11/"
    results = run_["results"]
    assert results
    for r in results:
        loc = r["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith("notebooks.yaml")
        assert loc["logicalLocations"][0]["fullyQualifiedName"].startswith("huaweicloud_modelarts_notebook.")
        assert len(r["partialFingerprints"][FINGERPRINT_KEY]) == 32
    waived = [r for r in results if r["properties"]["status"] == "waived"]
    assert [r["ruleId"] for r in waived] == ["MA004"]
    assert waived[0]["suppressions"][0]["status"] == "accepted"
    assert "demo week" in waived[0]["suppressions"][0]["justification"]
    omitted = _sarif(str(ROOT / SPEC), suppressed=False)["runs"][0]["results"]
    assert all("suppressions" not in r for r in omitted) and len(omitted) == len(results) - 1


def test_fingerprints_survive_edits_elsewhere_in_the_spec(tmp_path: Path) -> None:
    """Moving lines (comments added, notebooks reordered) keeps every fingerprint, so alerts stay closed."""
    data = yaml.safe_load((ROOT / SPEC).read_text(encoding="utf-8"))
    data["notebooks"] = dict(reversed(data["notebooks"].items()))
    data["notebooks"]["ds-sandbox"]["description"] = "a field added elsewhere"
    edited = tmp_path / "notebooks.yaml"
    edited.write_text("# a new comment\n# and another\n" + yaml.safe_dump(data, sort_keys=False))
    before = {
        r["partialFingerprints"][FINGERPRINT_KEY] for r in _sarif(str(ROOT / SPEC))["runs"][0]["results"]
    }
    after = {r["partialFingerprints"][FINGERPRINT_KEY] for r in _sarif(str(edited))["runs"][0]["results"]}
    assert before == after


def test_cli_writes_sarif_to_a_file(tmp_path: Path) -> None:
    """`check --format sarif --out FILE` writes a valid SARIF log and exits by the failures (2)."""
    out = tmp_path / "r.sarif"
    args = ("check", SPEC, "--spec-only", "--policy", POLICY, "--waivers", WAIVERS, "--now", NOW)
    result = run(*args, "--format", "sarif", "--out", str(out))
    assert result.returncode == 2 and result.stdout == ""
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(out.read_text()))
    omitted = run(*args, "--format", "sarif", "--omit-waived")
    assert "suppressions" not in omitted.stdout
