"""`reconcile check` on the observed state: offline and live, MA010-MA012, per-notebook errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.test_policy_cli import NOW, run

EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.yaml"))
OBSERVED = ROOT / "examples" / "observed"
TOKEN = "demo-token-0123456789"


def _results(stdout: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    doc = json.loads(stdout)
    return {(r["notebook"]["name"], r["rule"], r["subject"], r["field"]): r for r in doc["results"]}


def test_offline_check_judges_both_states_and_drift() -> None:
    """With --observed every rule runs on both states; MA012 fails once per drifted field."""
    result = run("check", *EXAMPLES, "--observed", str(OBSERVED), "--now", NOW, "--format", "json")
    assert result.returncode == 2, result.stderr
    results = _results(result.stdout)
    assert (
        results["vision-gpu-02", "MA001", "observed", "endpoints[0].allowed_access_ips"]["status"] == "fail"
    )
    assert results["vision-gpu-02", "MA004", "desired", "lease.enable"]["status"] == "fail"
    drift = {
        k[3]
        for k, r in results.items()
        if k[:3] == ("vision-gpu-02", "MA012", "observed") and r["status"] == "fail"
    }
    assert drift == {"endpoints.SSH.allowed_access_ips", "volume.capacity"}
    assert results["shared-demo", "MA012", "observed", ""]["status"] == "pass"
    assert results["vision-gpu-03", "MA012", "observed", ""]["status"] == "fail"  # would be created
    assert not any(k[2] == "desired" and k[1] in {"MA010", "MA011", "MA012"} for k in results)


def test_drift_waiver_acknowledges_one_field_in_check(tmp_path: Path) -> None:
    """A `drift:` waiver waives MA012 for that field only; the other drifted field still fails."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "version: 1\nwaivers:\n  - {drift: volume.capacity, notebook: vision-gpu-02, reason: resize pending,"
        " owner: ops@example.com, expires: 2026-12-20}\n"
    )
    args = ("check", *EXAMPLES, "--observed", str(OBSERVED), "--now", NOW, "--format", "json")
    results = _results(run(*args, "--waivers", str(waivers)).stdout)
    assert results["vision-gpu-02", "MA012", "observed", "volume.capacity"]["status"] == "waived"
    assert (
        results["vision-gpu-02", "MA012", "observed", "endpoints.SSH.allowed_access_ips"]["status"] == "fail"
    )


def test_failed_and_long_stopped_notebooks(tmp_path: Path) -> None:
    """MA010 fails a START_FAILED notebook with its reason; MA011 one STOPPED for longer than 30 days."""
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\nnotebooks:\n  broken: {id: nb-1}\n  parked: {id: nb-2}\n")
    observed = tmp_path / "observed"
    observed.mkdir()
    (observed / "a.json").write_text(
        json.dumps({"id": "nb-1", "status": "START_FAILED", "fail_reason": "quota <b>"})
    )
    (observed / "b.json").write_text(
        json.dumps({"id": "nb-2", "status": "STOPPED", "update_at": 1_700_000_000_000})
    )
    result = run("check", str(spec), "--observed", str(observed), "--now", NOW, "--format", "json")
    results = _results(result.stdout)
    assert results["broken", "MA010", "observed", "status"]["status"] == "fail"
    assert "quota <b>" in results["broken", "MA010", "observed", "status"]["message"]
    assert results["parked", "MA011", "observed", "status"]["status"] == "fail"
    late = run(
        "check", str(spec), "--observed", str(observed), "--now", "2023-11-20T00:00:00Z", "--format", "json"
    )
    assert _results(late.stdout)["parked", "MA011", "observed", "status"]["status"] == "pass"


def test_an_unobservable_notebook_is_an_error_and_the_others_are_reported(tmp_path: Path) -> None:
    """A notebook whose response cannot be decoded gives exit 1; the other notebooks are still judged."""
    observed = tmp_path / "observed"
    shutil.copytree(OBSERVED, observed)
    body = json.loads((observed / "ds-sandbox.json").read_text())
    body["lease"] = "not an object"
    (observed / "ds-sandbox.json").write_text(json.dumps(body))
    result = run("check", *EXAMPLES, "--observed", str(observed), "--now", NOW, "--format", "json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert [e["notebook"] for e in doc["errors"]] == ["ds-sandbox"]
    assert "modelarts_notebook.ds-sandbox" in result.stderr and "Traceback" not in result.stderr
    assert any(r["notebook"]["name"] == "shared-demo" and r["subject"] == "observed" for r in doc["results"])


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """`reconcile emulator` serving examples/observed on loopback, with a token check."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconcile",
            "emulator",
            "--data",
            str(OBSERVED),
            "--port",
            "0",
            "--token",
            TOKEN,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


def test_live_check_equals_offline_check(emulator_url: str) -> None:
    """`check --endpoint URL` over the emulator gives the same JSON report as --observed on the same files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    live = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconcile",
            "check",
            *EXAMPLES,
            "--endpoint",
            emulator_url,
            "--now",
            NOW,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT), "MODELARTS_AUTH_TOKEN": TOKEN},
        timeout=120,
        check=False,
    )
    offline = run("check", *EXAMPLES, "--observed", str(OBSERVED), "--now", NOW, "--format", "json")
    assert live.returncode == offline.returncode == 2, live.stderr
    assert live.stdout == offline.stdout
