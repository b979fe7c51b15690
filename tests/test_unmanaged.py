"""Unmanaged notebooks: the listing, spec ignore rules, `--unmanaged report|fail|ignore`, MA013."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconcile._core.errors import SpecError
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._render import read_plan, render
from reconcile._specfile.load import load_spec, spec_from_data
from tests.conftest import ROOT
from tests.test_cli import run

CASE = ROOT / "tests" / "cases" / "unmanaged-ignore-rules"


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _listing(*items: dict[str, Any]) -> dict[str, Any]:
    return {"current": 0, "pages": 1, "size": len(items), "total": len(items), "data": list(items)}


def test_fail_counts_unmanaged_as_changes_report_and_ignore_do_not() -> None:
    """With --detailed-exitcode, --unmanaged fail exits 2 for an unmanaged notebook; report and ignore exit 0."""
    codes = {}
    for mode in ("report", "fail", "ignore"):
        result = run(
            "plan",
            "spec.yaml",
            "--observed",
            "observed",
            "--detailed-exitcode",
            "--unmanaged",
            mode,
            cwd=CASE,
        )
        codes[mode] = result.returncode
        assert ("forgotten-gpu" in result.stdout) is (mode != "ignore"), mode
    assert codes == {"report": 0, "fail": 2, "ignore": 0}


def test_only_ignored_strays_do_not_fail(tmp_path: Path) -> None:
    """--unmanaged fail exits 0 when every unmanaged notebook is named by an ignore rule."""
    spec = _write(
        tmp_path,
        "spec.yaml",
        'version: 1\nnotebooks:\n  a: {id: a1}\nunmanaged:\n  ignore:\n    - {name: "tmp-*", reason: scratch}\n',
    )
    _write(tmp_path, "list.json", _listing({"id": "a1", "name": "a"}, {"id": "t1", "name": "tmp-1"}))
    result = run(
        "plan",
        str(spec),
        "--observed",
        str(tmp_path / "list.json"),
        "--detailed-exitcode",
        "--unmanaged",
        "fail",
    )
    assert result.returncode == 0, result.stderr
    assert "tmp-1 (t1, no status): ignored: scratch" in result.stdout
    assert "1 of 2 notebooks are managed, 50%." in result.stdout


def test_an_ignore_rule_matching_nothing_is_a_warning_with_its_line() -> None:
    """An ignore rule that names no unmanaged notebook is a warning on stderr with FILE:LINE: path; the run succeeds."""
    result = run("plan", "spec.yaml", "--observed", "observed", cwd=CASE)
    assert result.returncode == 0
    assert result.stderr == (
        'reconcile: warning: spec.yaml:16: unmanaged.ignore[1]: ignore rule id "aaaa-1111" '
        "matches no unmanaged notebook\n"
    )
    quiet = run("plan", "spec.yaml", "--observed", "observed", "--unmanaged", "ignore", cwd=CASE)
    assert quiet.stderr == ""  # no listing considered: nothing to warn about


def test_saved_get_bodies_are_no_listing(tmp_path: Path) -> None:
    """Offline, only a saved list response is a listing: GET bodies alone leave unmanaged notebooks unknown."""
    spec = spec_from_data({"version": 1, "notebooks": {"a": {"id": "a1"}}})
    _write(tmp_path, "a.json", {"id": "a1", "name": "a", "status": "RUNNING"})
    _write(tmp_path, "b.json", {"id": "b2", "name": "b", "status": "RUNNING"})
    index = load_observed(tmp_path)
    plan = build_plan(spec, observe_offline(targets(spec), index), listing=index.listing)
    assert index.listing is None and plan.listed is None and plan.unmanaged == ()
    assert "managed" not in render(plan, "text")
    assert json.loads(render(plan, "json"))["summary"]["listed"] is None


def test_what_counts_as_managed(tmp_path: Path) -> None:
    """Ids match whatever the letter case, names only for name-only entries, gone notebooks never count, ids once."""
    spec = spec_from_data(
        {
            "version": 1,
            "notebooks": {
                "by-id": {"id": "ABC-1"},
                "by-name": {"name": "named"},
                "both": {"id": "xyz-9", "name": "renamed"},  # the name of an entry with an id is a field
            },
        }
    )
    listing = [
        {"id": "abc-1", "name": "whatever", "status": "RUNNING"},
        {"id": "n-2", "name": "named", "status": "STOPPED"},
        {"id": "xyz-9", "name": "old-name", "status": "RUNNING"},
        {"id": "r-3", "name": "renamed", "status": "RUNNING"},  # not managed: "both" is managed by id
        {"id": "g-4", "name": "gone", "status": "DELETED"},
        {"id": "g-5", "name": "going", "status": "DELETING"},
        {"id": "r-3", "name": "renamed", "status": "RUNNING"},  # the same notebook on two pages
        {"name": "no-id"},
    ]
    plan = build_plan(spec, {}, listing=listing)
    assert [(u.notebook_id, u.name) for u in plan.unmanaged] == [("r-3", "renamed")]
    assert plan.coverage == (3, 4)
    assert plan.summary.unmanaged == 1


def test_json_plan_round_trips_unmanaged_through_show(tmp_path: Path) -> None:
    """`reconcile show` of the JSON plan prints the same text, unmanaged section and coverage included."""
    plan_json = run("plan", "spec.yaml", "--observed", "observed", "--format", "json", cwd=CASE).stdout
    doc = json.loads(plan_json)
    assert doc["summary"]["unmanaged"] == 1 and doc["summary"]["listed"] == 5
    assert [u["name"] for u in doc["unmanaged"]] == ["forgotten-gpu", "scratch-kim", "scratch-lee"]
    saved = _write(tmp_path, "plan.json", plan_json)
    shown = run("show", str(saved))
    assert shown.stdout == (CASE / "expected-plan.txt").read_text(encoding="utf-8")
    old = json.loads(plan_json)
    old["reconcile_format_version"] = "2.0"
    del old["unmanaged"], old["summary"]["unmanaged"], old["summary"]["listed"]
    assert read_plan(json.dumps(old), "old.json").listed is None  # a 2.0 plan has no listing


def test_junit_has_a_case_per_unmanaged_notebook() -> None:
    """JUnit: a failure per counted unmanaged notebook, skipped (with the reason) for ignored ones."""
    xml = run("plan", "spec.yaml", "--observed", "observed", "--format", "junit", cwd=CASE).stdout
    assert '<testcase classname="unmanaged" name="forgotten-gpu (9999-7777)" time="0">' in xml
    assert '<skipped message="ignored: personal scratch notebooks, cleaned up weekly" />' in xml
    assert 'failures="1"' in xml and 'skipped="2"' in xml


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("[{name: a}]", "unmanaged.ignore[0]: missing `reason`"),
        (
            "[{name: a, id: b, reason: r}]",
            "unmanaged.ignore[0]: expected exactly one of name (a glob) and id",
        ),
        ("[{reason: r}]", "unmanaged.ignore[0]: expected exactly one of name (a glob) and id"),
        ("[{name: a, reason: r, owner: me}]", "unmanaged.ignore[0].owner: unknown field"),
        ("[{name: '', reason: r}]", "unmanaged.ignore[0].name: expected non-blank text"),
        ("[{id: 7, reason: r}]", "unmanaged.ignore[0].id: expected non-blank text, got 7"),
        ("[scratch]", "unmanaged.ignore[0]: expected a mapping"),
        ("scratch", "unmanaged.ignore: expected a list of rules"),
    ],
)
def test_bad_ignore_rules_are_spec_errors_with_lines(tmp_path: Path, rules: str, message: str) -> None:
    """A bad ignore rule is a spec error naming FILE:LINE: path and what was expected."""
    spec = _write(
        tmp_path, "spec.yaml", f"version: 1\nnotebooks:\n  a: {{id: a1}}\nunmanaged:\n  ignore: {rules}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec([spec])
    text = str(caught.value)
    assert f"spec.yaml:5: {message}" in text, text


def test_unmanaged_top_level_key_must_be_a_mapping_of_ignore(tmp_path: Path) -> None:
    """`unmanaged` takes only `ignore`; other keys and non-mappings are errors at their line."""
    spec = _write(tmp_path, "spec.yaml", "version: 1\nnotebooks: {}\nunmanaged:\n  report: all\n")
    with pytest.raises(SpecError) as caught:
        load_spec([spec])
    assert "spec.yaml:4: unmanaged.report: unknown field (expected ignore)" in str(caught.value)


def test_ignore_rules_merge_across_files(tmp_path: Path) -> None:
    """Ignore rules of every spec file apply together."""
    one = _write(
        tmp_path, "one.yaml", "version: 1\nnotebooks: {}\nunmanaged: {ignore: [{name: 'a*', reason: x}]}\n"
    )
    two = _write(
        tmp_path, "two.yaml", "version: 1\nnotebooks: {}\nunmanaged: {ignore: [{id: B1, reason: y}]}\n"
    )
    spec = load_spec([one, two])
    plan = build_plan(spec, {}, listing=[{"id": "a1", "name": "ab"}, {"id": "b1", "name": "zz"}])
    assert [u.ignored for u in plan.unmanaged] == ["x", "y"]
    assert plan.summary.unmanaged == 0


def test_ma013_fails_per_unmanaged_notebook_when_listed() -> None:
    """check: MA013 fails once per counted unmanaged notebook and passes for managed ones; n/a without a listing."""
    result = run("check", "spec.yaml", "--observed", "observed", "--format", "json", cwd=CASE)
    findings = [f for f in json.loads(result.stdout)["results"] if f["rule"] == "MA013"]
    failed = [f for f in findings if f["status"] == "fail"]
    assert [f["notebook"]["id"] for f in failed] == ["9999-7777"]
    assert {f["status"] for f in findings} == {"fail", "pass"}


def test_ma013_not_applicable_without_a_listing(tmp_path: Path) -> None:
    """check over saved GET bodies only: MA013 is not applicable (no listing to judge)."""
    spec = _write(tmp_path, "spec.yaml", "version: 1\nnotebooks:\n  a: {id: a1}\n")
    _write(tmp_path, "a.json", {"id": "a1", "name": "a", "status": "RUNNING"})
    result = run("check", str(spec), "--observed", str(tmp_path / "a.json"), "--format", "json")
    findings = [f for f in json.loads(result.stdout)["results"] if f["rule"] == "MA013"]
    assert findings and {f["status"] for f in findings} == {"not_applicable"}


def test_unmanaged_text_from_the_service_is_escaped_in_every_format() -> None:
    """An unmanaged notebook's name with terminal controls, Markdown and XML is escaped in text, Markdown and JUnit."""
    from tests import plan_samples

    plan = plan_samples.unmanaged()
    for fmt in ("text", "markdown", "junit"):
        out = render(plan, fmt)
        assert "\x1b" not in out and "\u202e" not in out, fmt
    assert "- ``a|b <script>" in render(plan, "markdown")  # only inside a code span: shown literally
    assert "<script>" not in render(plan, "junit") and "&lt;script&gt;" in render(plan, "junit")
