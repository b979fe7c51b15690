"""`reconcile plan --waivers`: acknowledged drift, left out of counts, exit status and apply."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT
from tests.test_policy_cli import NOW, run

SPEC = "examples/gpu-fleet.yaml"
OBSERVED = str(ROOT / "examples" / "observed")


def _waivers(tmp_path: Path, *paths: str, expires: str = "2026-12-31") -> str:
    body = "".join(
        f"  - {{drift: {p}, notebook: vision-gpu-02, reason: ticket OPS-12, owner: ops@example.com, expires: {expires}}}\n"
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
    assert f"{bad}:3: waivers[0].drift: expected a dotted spec path" in result.stderr
