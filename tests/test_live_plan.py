"""Live plans against the emulator equal offline plans over the same files, faults or not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
    assert len(errors) == 6  # five notebooks, and the project's listing (for unmanaged notebooks)
    assert all("HTTP 401" in line for line in errors)
    assert sum("the project's listing" in line for line in errors) == 1
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


# -- interrupts, deadlines and bad credentials through the real CLI (issue 9 §3) -----------------


@pytest.fixture
def slow_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The examples served by an in-process emulator with the faults the test parametrises."""
    faults: Faults = getattr(request, "param", Faults(latency_ms=10_000))
    with Emulator(
        NotebookStore.from_dir(OBSERVED), auth=EmulatorAuth(token=Secret(TOKEN)), faults=faults
    ) as emulator:
        yield emulator


def _start_plan(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "reconcile", "plan", *EXAMPLES, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**full, "PYTHONPATH": str(ROOT), **env},
    )


def _wait_for_requests(emulator: Emulator, count: int) -> None:
    deadline = time.monotonic() + 20
    while emulator.requests_received < count:
        assert time.monotonic() < deadline, "the plan never reached the emulator"
        time.sleep(0.02)


@pytest.mark.parametrize("presses", [1, 3], ids=["ctrl-c", "ctrl-c-thrice"])
def test_ctrl_c_during_a_live_plan_stops_at_once_with_130(slow_emulator: Emulator, presses: int) -> None:
    """Ctrl-C (once or repeatedly) while requests hang exits 130 within a second, without a traceback."""
    proc = _start_plan(
        "--endpoint",
        slow_emulator.url,
        "--parallelism",
        "2",
        "--refresh",
        "get",  # one GET per notebook, two at a time: the rest queue
        env={"MODELARTS_AUTH_TOKEN": TOKEN},
    )
    try:
        _wait_for_requests(slow_emulator, 2)
        time.sleep(0.2)  # the interpreter is waiting in the executor by now
        started = time.monotonic()
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
        out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert elapsed < 1.5
    assert "reconcile: interrupted" in err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert out == ""  # no half-written plan
    assert slow_emulator.requests_received == 2  # the queued notebooks were never requested


@pytest.mark.parametrize(
    "slow_emulator",
    [Faults(endless_headers=Schedule(every=1), drip_ms=200)],
    indirect=True,
    ids=["endless-headers"],
)
def test_request_timeout_bounds_a_server_that_never_ends_its_headers(slow_emulator: Emulator) -> None:
    """With --request-timeout 1s, headers that never end cost one second per notebook, then an error each."""
    started = time.monotonic()
    proc = _start_plan(
        "--endpoint", slow_emulator.url, "--request-timeout", "1s", env={"MODELARTS_AUTH_TOKEN": TOKEN}
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert time.monotonic() - started < 8
    errors = [line for line in err.splitlines() if line.startswith("reconcile: error:")]
    assert len(errors) == 6  # five notebooks, and the project's listing
    assert all("no complete answer within the request timeout of 1 s" in line for line in errors)
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "-1s", "soon", "9" * 5000, "9" * 31, "99999999999999999h", "25h"])
def test_a_bad_request_timeout_is_a_usage_error(value: str) -> None:
    """A --request-timeout that is not a positive duration of at most 24h is one usage line, exit 1.

    31 nines once passed, and the deadline (beyond the platform's clock) ended the watchdog thread
    with an OverflowError: the request then hung for ever.
    """
    result = _plan("--endpoint", "http://127.0.0.1:9", f"--request-timeout={value}", env={})
    assert result.returncode == 1
    assert "--request-timeout: expected a" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_credential_beyond_latin_1_is_one_error_naming_the_variable(slow_emulator: Emulator) -> None:
    """A token with a character HTTP cannot carry is one config error naming the variable, and no request."""
    result = _plan("--endpoint", slow_emulator.url, env={"MODELARTS_AUTH_TOKEN": "tok\u2019en-secret-part"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "reconcile: error: MODELARTS_AUTH_TOKEN contains a character an HTTP header cannot carry "
        "(a smart quote?); check how it was set"
    ]
    assert "secret-part" not in result.stderr + result.stdout
    assert slow_emulator.requests_received == 0
