"""`reconcile check`, `validate --policy` and the policy and waiver files, run through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from reconcile._schema.files import load_schema
from tests.conftest import ROOT

POLICY = "examples/policy/policy.yaml"
WAIVERS = "examples/policy/waivers.yaml"
SPEC = "examples/policy/notebooks.yaml"
NOW = "2026-12-01T00:00:00Z"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run `python -m reconcile ARGS` and capture its output."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if "SOURCE_DATE_EPOCH" not in (env or {}):
        full.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=120,
        check=False,
    )


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


SAFE = """\
version: 1
notebooks:
  safe:
    name: safe
    flavor: modelarts.vm.cpu.2u
    lease: {enable: true, duration: 2h}
    endpoints:
      - dev_service: SSH
        allowed_access_ips: [203.0.113.0/24]
        ssh_keys: [kp-a]
"""

OFF = """\
version: 1
notebooks:
  idle:
    name: idle
    lease: {enable: false}
"""


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, load_schema("report"))
    return doc  # type: ignore[no-any-return]


def test_spec_only_gate_passes_a_compliant_spec(tmp_path: Path) -> None:
    """A spec breaking no rule exits 0 with --spec-only and needs no credentials or observation."""
    result = run("check", _write(tmp_path / "s.yaml", SAFE), "--spec-only", "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert "0 fail" in result.stdout and "compliance 100.0%" in result.stdout


def test_failures_exit_2_and_fail_on_raises_the_bar(tmp_path: Path) -> None:
    """A medium failure exits 2 at the default threshold (low) and 0 with --fail-on high."""
    spec = _write(tmp_path / "s.yaml", OFF)
    assert run("check", spec, "--spec-only", "--now", NOW).returncode == 2
    assert run("check", spec, "--spec-only", "--now", NOW, "--fail-on", "medium").returncode == 2
    result = run("check", spec, "--spec-only", "--now", NOW, "--fail-on", "high")
    assert result.returncode == 0, result.stdout


def test_json_report_validates_and_is_byte_identical(tmp_path: Path) -> None:
    """The JSON report validates against `reconcile schema report`, and two runs give the same bytes."""
    args = (
        "check",
        SPEC,
        "--spec-only",
        "--policy",
        POLICY,
        "--waivers",
        WAIVERS,
        "--now",
        NOW,
        "--format",
        "json",
    )
    first, second = run(*args), run(*args)
    assert first.stdout == second.stdout
    doc = _json(first)
    results = doc["results"]
    assert isinstance(results, list)
    statuses = {(r["notebook"]["name"], r["rule"]): r["status"] for r in results}
    assert statuses["open-ssh", "MA001"] == "fail"
    assert statuses["ds-sandbox", "MA004"] == "waived"
    assert statuses["gpu-train", "ORG001"] == "fail"
    waived = next(r for r in results if r["status"] == "waived")
    assert waived["waiver"]["owner"] == "alice@example.com" and waived["waiver"]["expires"] == "2027-01-31"


def test_now_and_source_date_epoch_decide_expiry(tmp_path: Path) -> None:
    """After its expiry day the waived failure is back, labelled as expired, and counts for the exit status."""
    spec = _write(tmp_path / "s.yaml", OFF)
    waivers = _write(
        tmp_path / "w.yaml",
        "version: 1\nwaivers:\n  - {rule: MA004, notebook: idle, reason: demo, owner: bob, expires: 2026-12-10}\n",
    )
    ok = run("check", spec, "--spec-only", "--waivers", waivers, "--now", "2026-12-10T23:59:59Z")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "expires soon" in ok.stdout
    late = run("check", spec, "--spec-only", "--waivers", waivers, "--now", "2026-12-11T00:00:00Z")
    assert late.returncode == 2
    assert "waiver expired on 2026-12-10" in late.stdout
    epoch = str(int(dt.datetime(2026, 12, 11, tzinfo=dt.UTC).timestamp()))
    by_env = run("check", spec, "--spec-only", "--waivers", waivers, env={"SOURCE_DATE_EPOCH": epoch})
    assert by_env.returncode == 2 and "waiver expired on 2026-12-10" in by_env.stdout


def test_unused_waiver_warns_and_strict_waivers_fails(tmp_path: Path) -> None:
    """A waiver matching no failure is a warning, and exit 1 with --strict-waivers."""
    spec = _write(tmp_path / "s.yaml", SAFE)
    waivers = _write(
        tmp_path / "w.yaml",
        "version: 1\nwaivers:\n  - {rule: MA004, notebook: safe, reason: r, owner: o, expires: 2026-12-31}\n",
    )
    result = run("check", spec, "--spec-only", "--waivers", waivers, "--now", NOW)
    assert result.returncode == 0
    assert "reconcile: warning: " in result.stderr
    assert "w.yaml:3: waivers[0]: waiver MA004 on safe matches nothing (unused)" in result.stderr
    strict = run("check", spec, "--spec-only", "--waivers", waivers, "--now", NOW, "--strict-waivers")
    assert strict.returncode == 1
    assert "reconcile: error: " in strict.stderr and "warning" not in strict.stderr


def test_bad_policy_and_waiver_files_report_every_problem_with_lines(tmp_path: Path) -> None:
    """Problems in the policy and waiver files are listed together as FILE:LINE: path: message, exit 1."""
    spec = _write(tmp_path / "s.yaml", SAFE)
    policy = _write(
        tmp_path / "p.yaml",
        "version: 1\nrules:\n  MA099: {}\n  MA005: {max_lease: soon}\ncustom:\n"
        "  - id: MA100\n    title: t\n    expression: 'notebook.flavor =='\n    message: m\n",
    )
    waivers = _write(
        tmp_path / "w.yaml",
        "version: 1\nwaivers:\n  - {rule: MA004, notebook: safe, owner: o, expires: 2099-01-01}\n",
    )
    result = run("check", spec, "--spec-only", "--policy", policy, "--waivers", waivers, "--now", NOW)
    assert result.returncode == 1
    err = result.stderr
    assert f"{policy}:3: rules.MA099: unknown built-in rule" in err
    assert f"{policy}:4: rules.MA005.max_lease:" in err
    assert f"{policy}:6: custom[0].id: 'MA100' clashes with the built-in MA ids" in err
    assert f"{policy}:8: custom[0].expression: invalid CEL" in err
    assert f"{waivers}:3: waivers[0]: `reason` is required" in err
    assert f"{waivers}:3: waivers[0].expires: 2099-01-01 is more than max_lifetime (180 days)" in err
    assert "Traceback" not in err and result.stdout == ""


def test_validate_policy_runs_the_desired_state_rules(tmp_path: Path) -> None:
    """`validate --policy` judges the spec with the policy's settings and exits like check."""
    spec = _write(tmp_path / "s.yaml", SAFE)
    assert run("validate", spec).returncode == 0
    strict = _write(tmp_path / "p.yaml", "version: 1\nrules:\n  MA005: {max_lease: 1h}\n")
    result = run("validate", spec, "--policy", strict, "--now", NOW)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "MA005" in result.stdout


def test_bad_now_is_a_usage_error(tmp_path: Path) -> None:
    """`--now` without an offset, or not a time, is one line of error and exit 1."""
    spec = _write(tmp_path / "s.yaml", SAFE)
    for bad in ("2026-12-01T00:00:00", "tomorrow"):
        result = run("check", spec, "--spec-only", "--now", bad)
        assert result.returncode == 1 and "--now" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["policy", "waivers", "report"])
def test_new_schemas_are_served(name: str) -> None:
    """`reconcile schema policy|waivers|report` prints a JSON Schema that is itself valid."""
    result = run("schema", name)
    assert result.returncode == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))


def test_example_policy_and_waivers_validate_against_their_schemas() -> None:
    """The example policy and waiver files validate against the shipped schemas."""
    import yaml

    jsonschema.validate(yaml.safe_load((ROOT / POLICY).read_text()), load_schema("policy"))
    waivers = yaml.safe_load((ROOT / WAIVERS).read_text())
    for w in waivers["waivers"]:
        w["expires"] = str(w["expires"])  # YAML reads an unquoted date as a date
    jsonschema.validate(waivers, load_schema("waivers"))


def test_compliance_ci_example_runs_real_commands(tmp_path: Path) -> None:
    """Every `reconcile check` in the compliance CI example parses and runs against the examples offline."""
    from tests.test_cli import _ci_commands

    commands = _ci_commands(ROOT / "examples" / "ci" / "github-compliance.yml")
    assert any("--spec-only" in c for c in commands) and any("sarif" in c for c in commands)
    for command in commands:
        words = [w for w in shlex.split(command) if w != "notebooks/*.yaml"]
        # the workflow's repository keeps its policy in policy/; here that is examples/policy/
        words = [str(ROOT / "examples" / w) if w.startswith("policy/") else w for w in words[1:]]
        words[1:1] = [str(ROOT / SPEC)]
        if "--spec-only" not in words:
            words += ["--observed", str(ROOT / "examples" / "observed")]
        result = run(*words, "--now", NOW, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)  # the example spec trips rules
        assert "Traceback" not in result.stderr


def test_also_writes_more_formats_from_one_evaluation(tmp_path: Path) -> None:
    """`--also FORMAT=FILE` writes the same report in another format, byte for byte what a run with
    that `--format` writes, beside `--out`; a bad value is a usage error naming the formats."""
    base = ("check", str(ROOT / SPEC), "--observed", str(ROOT / "examples" / "observed"), "--now", NOW)
    sarif, html = tmp_path / "r.sarif", tmp_path / "r.html"
    both = run(
        *base,
        "--format",
        "sarif",
        "--out",
        str(sarif),
        "--also",
        f"html={html}",
        "--also",
        "json=r.json",
        cwd=tmp_path,
    )
    assert both.returncode == 2, both.stderr  # the example spec trips rules: the exit status is check's
    alone = run(*base, "--format", "html", cwd=tmp_path)
    assert html.read_text(encoding="utf-8") == alone.stdout
    assert sarif.read_text(encoding="utf-8") == run(*base, "--format", "sarif", cwd=tmp_path).stdout
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == run(
        *base, "--format", "json", cwd=tmp_path
    ).stdout
    bad = run(*base, "--also", "pdf=r.pdf", cwd=tmp_path)
    assert bad.returncode == 1 and "expected FORMAT=FILE with FORMAT one of text, json, sarif" in bad.stderr


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (("--out", "r.sarif", "--also", "json=r.sarif"), "--also json=r.sarif: r.sarif is also --out"),
        (("--also", "json=a.json", "--also", "html=a.json"), "a.json is also --also json=a.json"),
        (("--also", "json=-"), "--also json=-: '-' is not a file"),
        (("--also", "json=spec.yaml"), "spec.yaml is also the input spec.yaml"),
        (("--out", "spec.yaml"), "--out: spec.yaml is also the input spec.yaml"),
        (("--also", "json=nodir/x.json"), "no such directory 'nodir'"),
    ],
)
def test_outputs_that_would_clobber_each_other_or_an_input_are_refused_first(
    tmp_path: Path, outputs: tuple[str, ...], message: str
) -> None:
    """An `--out`/`--also` file given twice, naming an input or stdout, or in a missing folder is a
    one-line error before anything is evaluated: exit 1, and no file is written or changed."""
    spec = tmp_path / "spec.yaml"
    spec.write_bytes((ROOT / SPEC).read_bytes())
    result = run("check", "spec.yaml", "--spec-only", "--format", "sarif", *outputs, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()] and message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]
    assert spec.read_bytes() == (ROOT / SPEC).read_bytes()
