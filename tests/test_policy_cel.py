"""Custom rules in CEL: pass condition, subjects, run-time errors, and the lazy import of cel-python."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile._core.errors import SpecError
from reconcile._core.report import Status, Subject
from reconcile._policy import cel
from reconcile._policy.engine import evaluate
from reconcile._specfile.load import spec_from_data
from reconcile._specfile.policy import load_policy
from tests.conftest import ROOT
from tests.test_policy_cli import NOW, run

WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SPEC = {
    "version": 1,
    "notebooks": {
        "gpu": {"name": "gpu", "flavor": "modelarts.vm.gpu.t4", "lease": {"enable": True, "duration": "8h"}},
        "cpu": {"name": "cpu", "flavor": "modelarts.vm.cpu.2u"},
    },
}


def _policy(tmp_path: Path, custom: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\ncustom:\n{custom}", encoding="utf-8")
    return path


def _statuses(tmp_path: Path, custom: str) -> dict[tuple[str, str], tuple[Status, str]]:
    report = evaluate(spec_from_data(SPEC), load_policy(_policy(tmp_path, custom)), now=WHEN)
    return {(f.name, f.subject.value): (f.status, f.message) for f in report.findings if f.rule == "ORG001"}


GPU_RULE = """\
  - id: ORG001
    title: GPU notebooks stop within two hours
    severity: high
    subject: desired
    expression: '!notebook.flavor.startsWith("modelarts.vm.gpu") || notebook.lease.duration <= 7200000'
    message: GPU notebooks must auto-stop within 2h
"""


def test_expression_is_the_pass_condition(tmp_path: Path) -> None:
    """True passes and false fails with the rule's message, as in ValidatingAdmissionPolicy."""
    got = _statuses(tmp_path, GPU_RULE)
    assert got["gpu", "desired"] == (Status.FAIL, "GPU notebooks must auto-stop within 2h")
    assert got["cpu", "desired"][0] is Status.PASS


def test_a_failing_expression_is_an_error_result_not_a_crash(tmp_path: Path) -> None:
    """Reading an absent field without has() is an error for that notebook and rule only."""
    rule = GPU_RULE.replace("!notebook.flavor", "notebook.lease.duration > 0 && !notebook.flavor")
    got = _statuses(tmp_path, rule)
    assert got["cpu", "desired"][0] is Status.ERROR and "expression failed" in got["cpu", "desired"][1]
    assert got["gpu", "desired"][0] is Status.FAIL
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(SPEC))
    result = run("check", str(spec), "--spec-only", "--policy", str(_policy(tmp_path, rule)), "--now", NOW)
    assert result.returncode == 1  # errors win over failures
    assert "ORG001 (desired): expression failed" in result.stderr and "Traceback" not in result.stderr


def test_has_guards_absent_fields(tmp_path: Path) -> None:
    """`has(notebook.lease)` is false for a spec that does not state a lease."""
    rule = GPU_RULE.replace(
        "expression: '!notebook.flavor.startsWith(\"modelarts.vm.gpu\") || notebook.lease.duration <= 7200000'",
        "expression: 'has(notebook.lease)'",
    )
    got = _statuses(tmp_path, rule)
    assert got["gpu", "desired"][0] is Status.PASS and got["cpu", "desired"][0] is Status.FAIL


def test_non_boolean_result_is_an_error(tmp_path: Path) -> None:
    """An expression that gives a number instead of a bool is an error result."""
    rule = GPU_RULE.replace(
        "expression: '!notebook.flavor.startsWith(\"modelarts.vm.gpu\") || notebook.lease.duration <= 7200000'",
        "expression: 'size(notebook.name)'",
    )
    assert _statuses(tmp_path, rule)["gpu", "desired"][0] is Status.ERROR


def test_subject_narrows_the_states_judged(tmp_path: Path) -> None:
    """`subject: observed` rules do not run on the desired state."""
    rule = GPU_RULE.replace("subject: desired", "subject: observed")
    assert _statuses(tmp_path, rule) == {}
    assert load_policy(_policy(tmp_path, GPU_RULE.replace("    subject: desired\n", ""))).custom[
        0
    ].subjects == frozenset(Subject)


def test_invalid_expression_is_a_policy_file_problem(tmp_path: Path) -> None:
    """A syntax error in an expression is reported as FILE:LINE: custom[0].expression, not at run time."""
    path = _policy(tmp_path, GPU_RULE.replace("<= 7200000", "<= "))
    with pytest.raises(SpecError) as info:
        load_policy(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (7, "custom[0].expression")
    assert problem.message.startswith("invalid CEL")


def test_missing_cel_python_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without cel-python installed, compiling a rule says which extra to install."""
    monkeypatch.setitem(sys.modules, "celpy", None)  # what an absent package looks like to import
    with pytest.raises(cel.CelUnavailable, match=r"modelarts-reconcile\[policy\]"):
        cel.compile_expression("true")


def test_cel_is_imported_only_when_a_custom_rule_exists() -> None:
    """A check without custom rules never imports celpy; one with a custom rule does."""
    code = (
        "import sys; from reconcile._cli.main import main; "
        "main(['check', 'examples/policy/notebooks.yaml', '--spec-only', '--now', '2026-12-01T00:00:00Z', {extra}"
        "'--out', '/dev/null']); print('celpy' in sys.modules)"
    )
    for extra, expected in (("", "False"), ("'--policy', 'examples/policy/policy.yaml', ", "True")):
        out = subprocess.run(
            [sys.executable, "-c", code.format(extra=extra)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert out.stdout.strip() == expected, out.stderr
