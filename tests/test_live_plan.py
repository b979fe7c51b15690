"""Live plans against the emulator equal offline plans over the same files, faults or not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth, Faults, Schedule
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts.auth import TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._observe.live import observe_live
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._render import render
from reconcile._specfile.load import load_spec
from tests.conftest import ROOT
from tests.emulator_fixture import FAST_RETRY, FAST_TIMEOUTS
from tests.ptyrun import run_on_terminal

EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.yaml"))
OBSERVED = ROOT / "examples" / "observed"
TOKEN = "demo-token-0123456789"


def _offline_json() -> str:
    spec = load_spec([ROOT / p for p in EXAMPLES])
    return render(build_plan(spec, observe_offline(targets(spec), load_observed(OBSERVED))), "json")


@pytest.mark.parametrize(
    "faults",
    [
        Faults(),
        Faults(latency_ms=5, throttle=Schedule(first=2), retry_after=0),
        Faults(unavailable=Schedule(every=3)),
        Faults(reset=Schedule(first=2), truncate=Schedule(every=50)),
    ],
    ids=["clean", "throttled", "503-every-3rd", "resets"],
)
def test_live_plan_equals_offline_plan(faults: Faults) -> None:
    """The plan over the emulator serving examples/observed is byte-identical to the offline plan."""
    spec = load_spec([ROOT / p for p in EXAMPLES])
    assert spec.project_id is not None
    store = NotebookStore.from_dir(OBSERVED)
    with Emulator(store, auth=EmulatorAuth(token=Secret(TOKEN)), faults=faults) as emulator:
        client = ModelArtsClient(
            emulator.url, spec.project_id, TokenAuth(Secret(TOKEN)), timeouts=FAST_TIMEOUTS, retry=FAST_RETRY
        )
        with client:
            observations = observe_live(targets(spec), client, parallelism=4)
    assert render(build_plan(spec, observations), "json") == _offline_json()


@pytest.fixture
def emulator_process() -> Iterator[str]:
    """`reconcile emulator --data examples/observed --token ...` in a subprocess; yields its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
        env=env,
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


def _plan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    return subprocess.run(
        [sys.executable, "-m", "reconcile", "plan", *EXAMPLES, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**full, "PYTHONPATH": str(ROOT), **env},
        timeout=120,
        check=False,
    )


def test_readme_live_walkthrough(emulator_process: str) -> None:
    """`reconcile plan --endpoint URL` against `reconcile emulator` prints the same plan as --observed."""
    live = _plan("--endpoint", emulator_process, env={"MODELARTS_AUTH_TOKEN": TOKEN})
    offline = _plan("--observed", str(OBSERVED), env={})
    assert live.returncode == 0, live.stderr
    assert live.stdout == offline.stdout
    assert "Plan: 1 to add, 2 to change, 0 to destroy." in live.stdout


def test_live_errors_are_per_notebook_and_secret_free(emulator_process: str) -> None:
    """A refused token gives one clear error line per notebook, exit 1, and never prints the token."""
    result = _plan("--endpoint", emulator_process, env={"MODELARTS_AUTH_TOKEN": "wrong-token-value"})
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("reconcile: error:")]
    assert len(errors) == 5
    assert all("HTTP 401" in line for line in errors)
    assert "wrong-token-value" not in result.stdout + result.stderr
    missing = _plan("--endpoint", emulator_process, env={})
    assert missing.returncode == 1 and "no credentials" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_progress_line_only_on_a_terminal(emulator_process: str) -> None:
    """On a terminal, live observation shows a progress counter on stderr; in a pipe it does not."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    env.update(PYTHONPATH=str(ROOT), MODELARTS_AUTH_TOKEN=TOKEN, NO_COLOR="1")
    argv = [sys.executable, "-m", "reconcile", "plan", *EXAMPLES, "--endpoint", emulator_process]
    status, on_terminal = run_on_terminal(argv, env, str(ROOT))
    assert status == 0
    assert "observing notebooks: 5/5" in on_terminal
    piped = _plan("--endpoint", emulator_process, env={"MODELARTS_AUTH_TOKEN": TOKEN})
    assert "observing notebooks" not in piped.stderr + piped.stdout
