"""Real consumers of the JSON plan: checkov (`--framework terraform_plan`) and a Rego policy (regopy).

The README says tools that read Terraform plans read ours; these tests hold it to that with the tools
themselves, on the bytes `reconcile plan --format json` writes: checkov in a subprocess with a custom
check on `huaweicloud_modelarts_notebook`, and OPA's language through regopy on `resource_changes`,
`resource_drift`, `errored` and `complete`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
import regopy

from reconcile._core.plan import Action, ApplyMethod, Difference, Health, Plan, ResourceChange
from reconcile._render import jsonplan, read_plan
from tests import plan_samples as samples
from tests.conftest import ROOT

#: Non-ASCII text from the service, astral characters included: checkov misread the old escaped
#: surrogate pairs, so the plan carries it as UTF-8.
UNICODE_DESCRIPTION = "开发 🚀 naïve"

_CHECK = '''\
"""A custom check as a team would write it: every ModelArts notebook stops itself (lease enabled)."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class NotebookLeaseEnabled(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name="ModelArts notebooks stop themselves (lease enabled)",
            id="CKV_MRC_1",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["huaweicloud_modelarts_notebook"],
        )

    def scan_resource_conf(self, conf):
        lease = conf.get("lease")
        if lease and isinstance(lease[0], dict) and lease[0].get("enable") == [True]:
            return CheckResult.PASSED
        return CheckResult.FAILED


check = NotebookLeaseEnabled()
'''


def _fleet() -> Plan:
    """24 notebooks of every action (the 6 creates have no lease), 3 errors, and one without a lease."""
    base = samples.many()
    lease_off = samples.observed("22222222-0000-4000-8000-000000000000", description=UNICODE_DESCRIPTION)
    lease_off["lease"] = {**lease_off["lease"], "enable": False}
    odd = ResourceChange(
        name="unicode-box",
        notebook_id=lease_off["id"],
        actions=(Action.NO_OP,),
        status="RUNNING",
        sensitive=("token",),
        before=lease_off,
        after=lease_off,
    )
    return Plan([*base.resource_changes, odd], base.errors)


@attrs.frozen
class _CheckovRun:
    """What checkov reported on a folder holding two plans: one we wrote, one the CLI wrote."""

    written: Plan
    cli: Plan
    report: dict[str, Any]
    stdout: str

    def results(self, plan_file: str, outcome: str) -> list[dict[str, Any]]:
        """The passed or failed check results for one of the two files."""
        return [r for r in self.report["results"][f"{outcome}_checks"] if r["file_path"].endswith(plan_file)]


@pytest.fixture(scope="module")
def checkov_run(tmp_path_factory: pytest.TempPathFactory) -> _CheckovRun:
    """Run checkov once, on a folder with a plan we write and one `reconcile plan` writes (README example)."""
    folder = tmp_path_factory.mktemp("checkov")
    plans = folder / "plans"
    plans.mkdir()
    written = _fleet()
    (plans / "written.json").write_bytes(jsonplan.render(written).encode("utf-8"))
    examples = ROOT / "examples"
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconcile",
            "plan",
            *(str(p) for p in sorted(examples.glob("*.yaml"))),
            "--observed",
            str(examples / "observed"),
            "--format",
            "json",
            "--out",
            str(plans / "cli.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert cli.returncode == 0, cli.stderr
    checks = folder / "checks"
    checks.mkdir()
    (checks / "__init__.py").write_text("")
    (checks / "notebook_lease.py").write_text(_CHECK)
    checkov = Path(sys.executable).with_name("checkov")
    result = subprocess.run(
        [
            str(checkov),
            "--directory",
            str(plans),
            "--framework",
            "terraform_plan",
            "--external-checks-dir",
            str(checks),
            "--check",
            "CKV_MRC_1",
            "--output",
            "json",
            "--skip-download",  # no network: no guideline links, nothing else changes
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=False,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    assert result.returncode == 1, result.stderr  # 1: some check failed
    report: dict[str, Any] = json.loads(result.stdout)
    cli_plan = read_plan((plans / "cli.json").read_bytes(), "cli.json")
    return _CheckovRun(written, cli_plan, report, result.stdout)


def test_checkov_sees_every_notebook_of_both_plans(checkov_run: _CheckovRun) -> None:
    """checkov reads both plans without parsing errors and scans every planned notebook, by its address."""
    report = checkov_run.report
    assert report["check_type"] == "terraform_plan"
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == 25 + 5
    for plan_file, plan in (("written.json", checkov_run.written), ("cli.json", checkov_run.cli)):
        scanned = {r["resource"] for r in checkov_run.results(plan_file, "passed")}
        scanned |= {r["resource"] for r in checkov_run.results(plan_file, "failed")}
        assert scanned == {rc.address for rc in plan.resource_changes}


def test_checkov_custom_check_fails_the_notebooks_that_break_it(checkov_run: _CheckovRun) -> None:
    """The custom check fails exactly the notebooks without an enabled lease, in both plans."""
    failed = {r["resource"] for r in checkov_run.results("written.json", "failed")}
    expected = {rc.address for rc in checkov_run.written.resource_changes if rc.actions == (Action.CREATE,)}
    expected.add("huaweicloud_modelarts_notebook.unicode-box")
    assert failed == expected
    assert len(failed) == 7
    assert len(checkov_run.results("written.json", "passed")) == 18
    cli_failed = {r["resource"] for r in checkov_run.results("cli.json", "failed")}
    assert cli_failed == {
        rc.address
        for rc in checkov_run.cli.resource_changes
        if not ((rc.after or {}).get("lease") or {}).get("enable")
    }
    assert len(cli_failed) == 3  # the GPU fleet runs without a lease; vision-gpu-03 is created without one
    assert {r["check_id"] for r in checkov_run.report["results"]["failed_checks"]} == {"CKV_MRC_1"}


def test_checkov_report_holds_no_token(checkov_run: _CheckovRun) -> None:
    """checkov quotes the plan's lines in its report: no notebook token of the examples is among them."""
    examples = ROOT / "examples" / "observed"
    tokens = [json.loads(p.read_text()).get("token") for p in examples.glob("*.json")]
    tokens = [t for t in tokens if isinstance(t, str)]
    assert tokens
    assert all(t not in checkov_run.stdout for t in tokens)


_POLICY = """\
package modelarts.plan

import rego.v1

notebooks := [rc | some rc in input.resource_changes; rc.type == "huaweicloud_modelarts_notebook"]

deny contains msg if {
    input.errored
    not input.complete
    msg := "the plan is incomplete: a notebook could not be observed"
}

deny contains msg if {
    some rc in notebooks
    "delete" in rc.change.actions
    msg := sprintf("%s would be replaced (%s)", [rc.address, rc.action_reason])
}

warn contains msg if {
    some d in input.resource_drift
    d.change.actions == ["update"]
    d.change.after.description != d.change.before.description
    msg := sprintf("%s: description drifted to \\"%s\\"", [d.address, d.change.after.description])
}

creates := count([rc | some rc in notebooks; rc.change.actions == ["create"]; rc.change.after_unknown.id])
"""


def _rego(plan: Plan, query: str) -> Any:
    """Evaluate `query` with the policy over the plan's JSON text exactly as written."""
    rego = regopy.Interpreter()
    rego.add_module("modelarts_plan", _POLICY)
    rego.set_input_term(jsonplan.render(plan))
    output = json.loads(str(rego.query(query)))
    return output["expressions"][0]


def test_rego_policy_sees_errors_and_replacements() -> None:
    """A Rego policy denies an errored plan (errored, not complete) and every replacement, with its reason."""
    plan = samples.many()
    replaced = sorted(rc.address for rc in plan.resource_changes if Action.DELETE in rc.actions)
    assert len(replaced) == 6
    expected = {f"{a} would be replaced (replace_because_cannot_update)" for a in replaced}
    expected.add("the plan is incomplete: a notebook could not be observed")
    assert set(_rego(plan, "data.modelarts.plan.deny")) == expected
    assert _rego(plan, "data.modelarts.plan.creates") == 6


def test_rego_policy_passes_a_clean_plan_and_reads_drift_in_utf8() -> None:
    """Without errors or replacements nothing is denied; drift of non-ASCII text reads back as itself."""
    plan = samples.update_restart()
    rc = plan.resource_changes[0]
    before = {**(rc.before or {}), "description": UNICODE_DESCRIPTION}
    drifted = Plan(
        [
            ResourceChange(
                name=rc.name,
                notebook_id=rc.notebook_id,
                actions=(Action.UPDATE,),
                differences=(
                    *rc.differences,
                    Difference(("description",), UNICODE_DESCRIPTION, "api-test", ApplyMethod.IN_PLACE),
                ),
                health=Health.HEALTHY,
                status="RUNNING",
                sensitive=("token",),
                before=before,
                after={**(rc.after or {}), "description": "api-test"},
            )
        ]
    )
    assert _rego(drifted, "data.modelarts.plan.deny") == []
    assert _rego(drifted, "data.modelarts.plan.warn") == [
        f'huaweicloud_modelarts_notebook.train-box: description drifted to "{UNICODE_DESCRIPTION}"'
    ]
