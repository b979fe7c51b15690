"""`reconcile plan --waivers`: acknowledged drift, left out of counts, exit status and apply."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT
from tests.test_policy_cli import NOW, run

SPEC = "examples/gpu-fleet.yaml"
OBSERVED = str(ROOT / "examples" / "observed")


def _waivers(
    tmp_path: Path, *paths: str, expires: str = "2026-12-31", notebook: str = "vision-gpu-02"
) -> str:
    body = "".join(
        f"  - {{drift: {p}, notebook: {notebook}, reason: ticket OPS-12, owner: ops@example.com, expires: {expires}}}\n"
        for p in paths
    )
    path = tmp_path / "w.yaml"
    path.write_text("version: 1\nwaivers:\n" + body)
    return str(path)


def _change(stdout: str, name: str) -> dict[str, object]:
    plan = json.loads(stdout)
    return next(rc for rc in plan["resource_changes"] if rc["name"] == name)  # type: ignore[no-any-return]


def test_acknowledged_drift_leaves_the_plan_with_its_reason(tmp_path: Path) -> None:
    """A drift waiver removes that difference from the plan and `after`, and says why in a note."""
    waivers = _waivers(tmp_path, "volume.capacity")
    result = run("plan", SPEC, "--observed", OBSERVED, "--waivers", waivers, "--now", NOW, "--format", "json")
    assert result.returncode == 0, result.stderr
    rc = _change(result.stdout, "vision-gpu-02")
    paths = [d["path"] for d in rc["differences"]]  # type: ignore[attr-defined]
    assert paths == [["endpoints", "SSH", "allowed_access_ips"]]
    assert rc["change"]["after"]["volume"]["capacity"] == 100  # type: ignore[index]  # apply leaves it
    assert any("acknowledged drift: volume.capacity" in n and "ops@example.com" in n for n in rc["notes"])  # type: ignore[attr-defined]


def test_fully_acknowledged_drift_is_no_change_for_the_exit_status(tmp_path: Path) -> None:
    """With every difference acknowledged the notebook is a no-op and --detailed-exitcode ignores it."""
    waivers = _waivers(tmp_path, "volume", "endpoints")
    args = ("plan", SPEC, "--observed", OBSERVED, "--now", NOW, "--format", "json")
    rc = _change(run(*args, "--waivers", waivers).stdout, "vision-gpu-02")
    assert rc["change"]["actions"] == ["no-op"]  # type: ignore[index]
    without = _change(run(*args).stdout, "vision-gpu-02")
    assert without["change"]["actions"] == ["update"]  # type: ignore[index]


def test_expired_drift_waiver_acknowledges_nothing(tmp_path: Path) -> None:
    """After its expiry day a drift waiver no longer hides the difference."""
    waivers = _waivers(tmp_path, "volume.capacity", expires="2026-11-30")
    result = run("plan", SPEC, "--observed", OBSERVED, "--waivers", waivers, "--now", NOW, "--format", "json")
    paths = [d["path"] for d in _change(result.stdout, "vision-gpu-02")["differences"]]  # type: ignore[attr-defined]
    assert ["volume", "capacity"] in paths


def test_plan_reports_bad_waiver_files_like_spec_errors(tmp_path: Path) -> None:
    """A waiver file problem stops plan with FILE:LINE: path: message and exit 1, nothing on stdout."""
    bad = tmp_path / "w.yaml"
    bad.write_text(
        "version: 1\nwaivers:\n  - {drift: 'no such', notebook: x, reason: r, owner: o, expires: 2026-12-31}\n"
    )
    result = run("plan", SPEC, "--observed", OBSERVED, "--waivers", str(bad), "--now", NOW)
    assert result.returncode == 1 and result.stdout == ""
    assert f"{bad}:3: waivers[0].drift: 'no such' names no managed field" in result.stderr


def test_a_misspelt_drift_path_is_an_error_naming_the_nearest_field(tmp_path: Path) -> None:
    """`drift: lease.durration` names no managed field: FILE:LINE: path: message with a hint, exit 1."""
    waivers = _waivers(tmp_path, "lease.durration")
    result = run("plan", SPEC, "--observed", OBSERVED, "--waivers", waivers, "--now", NOW)
    assert result.returncode == 1 and result.stdout == ""
    expected = f"{waivers}:3: waivers[0].drift: 'lease.durration' names no managed field (did you mean lease.duration?)"
    assert expected in result.stderr
    check = run("check", SPEC, "--observed", OBSERVED, "--waivers", waivers, "--now", NOW)
    assert check.returncode == 1 and expected in check.stderr  # the same file, the same error in check


def test_an_unused_drift_waiver_is_a_warning_and_strict_makes_it_an_error(tmp_path: Path) -> None:
    """A drift waiver covering no difference warns (exit as without it); --strict-waivers exits 1."""
    waivers = _waivers(tmp_path, "flavor")  # vision-gpu-02's flavor has not drifted
    args = ("plan", SPEC, "--observed", OBSERVED, "--waivers", waivers, "--now", NOW, "--format", "json")
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert (
        f"reconcile: warning: {waivers}:3: waivers[0]: waiver drift:flavor on vision-gpu-02 matches nothing (unused)"
        in result.stderr
    )
    strict = run(*args, "--strict-waivers")
    assert strict.returncode == 1
    assert "reconcile: error: " in strict.stderr and "matches nothing (unused)" in strict.stderr
    assert "warning" not in strict.stderr  # what makes it exit 1 is said as an error
    assert json.loads(strict.stdout)["resource_changes"]  # the plan is still written
    used = run(*args[:5], _waivers(tmp_path, "volume.capacity"), *args[6:], "--strict-waivers")
    assert used.returncode == 0 and "unused" not in used.stderr


def test_an_expired_drift_waiver_counts_the_drift_again_and_says_so(tmp_path: Path) -> None:
    """After expiry the difference is back in the plan, with a note and a warning naming the date."""
    waivers = _waivers(tmp_path, "volume.capacity", expires="2026-11-30")
    args = ("plan", SPEC, "--observed", OBSERVED, "--waivers", waivers, "--now", NOW)
    result = run(*args, "--format", "json", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    rc = _change(result.stdout, "vision-gpu-02")
    assert ["volume", "capacity"] in [d["path"] for d in rc["differences"]]  # type: ignore[attr-defined]
    assert "acknowledged" not in rc
    assert any("waiver expired on 2026-11-30" in n for n in rc["notes"])  # type: ignore[attr-defined]
    assert "waiver drift:volume.capacity on vision-gpu-02 expired on 2026-11-30" in result.stderr
    assert "unused" not in result.stderr
    text = run(*args, "--no-color")
    assert "drift no longer acknowledged: volume.capacity (waiver expired on 2026-11-30" in text.stdout


def test_acknowledged_drift_is_data_in_the_json_plan_and_survives_show(tmp_path: Path) -> None:
    """Each acknowledged difference is an `acknowledged` entry (path, reason, owner, expiry) that
    fits the plan schema and reads back through `reconcile show` unchanged."""
    import jsonschema

    waivers = _waivers(tmp_path, "volume", expires="2026-12-10")  # within warn_days of --now
    out = tmp_path / "plan.json"
    result = run(
        "plan",
        SPEC,
        "--observed",
        OBSERVED,
        "--waivers",
        waivers,
        "--now",
        NOW,
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(out.read_text())
    rc = _change(out.read_text(), "vision-gpu-02")
    assert rc["acknowledged"] == [
        {
            "path": "volume.capacity",
            "reason": "ticket OPS-12",
            "owner": "ops@example.com",
            "expires": "2026-12-10",
            "expiring": True,
        }
    ]
    assert "volume.capacity" in rc["ignored"]  # type: ignore[operator]
    others = [c for c in plan["resource_changes"] if c["name"] != "vision-gpu-02"]
    assert others and all("acknowledged" not in c for c in others)
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(plan)
    shown = run("show", str(out), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert _change(shown.stdout, "vision-gpu-02")["acknowledged"] == rc["acknowledged"]


def test_a_drift_waiver_on_the_desired_state_is_an_error(tmp_path: Path) -> None:
    """Drift is what was observed: a drift waiver with `subject: desired` could never match, so the file
    is refused naming the field, rather than the waiver showing up as unused forever."""
    bad = tmp_path / "w.yaml"
    bad.write_text(
        "version: 1\nwaivers:\n  - {drift: flavor, subject: desired, notebook: vision-gpu-02, reason: r,"
        " owner: o, expires: 2026-12-31}\n"
    )
    result = run("plan", SPEC, "--observed", OBSERVED, "--waivers", str(bad), "--now", NOW)
    assert result.returncode == 1 and result.stdout == ""
    assert f"{bad}:3: waivers[0].subject: a drift waiver acknowledges what was observed" in result.stderr
