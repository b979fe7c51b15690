"""Benchmark 4: observing a 1,000-notebook fleet live, against the ideal and the official SDK.

The emulator (`reconcile._emulator.server.Emulator`, in this process, on loopback) serves the fleet with
20 ms of latency per request and verifies AK/SK signatures (a wrong SK is checked to get HTTP 401,
for our client and for the SDK). Timed round by round:

- `observe_live(targets, client, parallelism=10)` with `ModelArtsClient` + `AkSkAuth`, a fresh
  client (and connection pool) each round. Against the ideal `count * latency / parallelism`: the
  time if requests cost nothing but the server's latency and exactly 10 are always in flight.
- `reconcile plan fleet.yaml --endpoint URL --refresh get --unmanaged ignore` as a subprocess, the
  whole command: start-up, spec loading, observation by GET (no listing), plan, JSON rendering.
  Against the same ideal. List mode has its own benchmark, `bench/fleet_list.py`.

The emulator counts the requests it receives (`Emulator.requests_received`); the count per
`observe_live` and per `reconcile plan` is reported (one GET per notebook is the expected count).
- the official SDK: a sequential loop of `ModelArtsClient.show_notebook` (AK/SK `BasicCredentials`,
  `with_endpoint(emulator.url)`), which is how a script using the SDK reads notebooks. A loop over
  a sample spread evenly over the fleet (200 of 1,000) is timed and scaled to the whole fleet.

The emulator shares this process (and its GIL) with our client's threads, which handicaps our side;
the SDK's loop has the same server and no threads to share it with.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import fixtures, sdk
from bench.measure import BenchResult, Config, Measurement, Ratio, Target, per_round_ratios
from bench.procs import python, python_env
from bench.profiling import profile_call
from reconcile._core.errors import AuthError
from reconcile._core.observation import Found
from reconcile._core.observation import Target as ObserveTarget
from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth, Faults
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts.auth import AkSkAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._observe.live import observe_live

__all__ = ["CREDENTIAL_VARIABLES", "run"]

TITLE = "live observation of a fleet through the emulator (20 ms latency): vs ideal and the SDK loop"
LATENCY_MS = 20
PARALLELISM = 10
#: Credential variables a measured CLI must not inherit from the benchmark's environment.
CREDENTIAL_VARIABLES = (
    "MODELARTS_AUTH_TOKEN",
    "HW_AUTH_TOKEN",
    "HW_ACCESS_KEY",
    "HW_SECRET_KEY",
    "HW_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HW_PROJECT_ID",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HW_REGION_NAME",
)


def _client(url: str, sk: str = fixtures.SK) -> ModelArtsClient:
    return ModelArtsClient(
        url, fixtures.PROJECT_ID, AkSkAuth(fixtures.AK, Secret(sk)), pool_maxsize=PARALLELISM
    )


def _observe(url: str, wanted: list[ObserveTarget]) -> float:
    with _client(url) as client:
        start = time.perf_counter()
        found = observe_live(wanted, client, parallelism=PARALLELISM)
        took = time.perf_counter() - start
    bad = [name for name, obs in found.items() if not isinstance(obs, Found)]
    if bad:
        raise AssertionError(f"{len(bad)} notebooks not observed, e.g. {bad[0]}: {found[bad[0]]}")
    return took


def _sdk_loop(url: str, ids: list[str]) -> float:
    client = sdk.live_client(url, fixtures.AK, fixtures.SK, fixtures.PROJECT_ID)
    start = time.perf_counter()
    for nid in ids:
        model = sdk.show_notebook(client, nid)
        if model.id != nid:
            raise AssertionError(f"the SDK read {model.id!r}, expected {nid!r}")
    return time.perf_counter() - start


def _cli(url: str, spec_path: Path, out: Path) -> float:
    env = python_env(
        {"HUAWEICLOUD_SDK_AK": fixtures.AK, "HUAWEICLOUD_SDK_SK": fixtures.SK, "NO_COLOR": "1"},
        drop=CREDENTIAL_VARIABLES,
    )
    command = [
        "-m",
        "reconcile",
        "plan",
        str(spec_path),
        "--endpoint",
        url,
        "--refresh",
        "get",  # one GET per notebook, as this benchmark measures (list mode: bench/fleet_list.py)
        "--unmanaged",
        "ignore",
        "--project-id",
        fixtures.PROJECT_ID,
        "--parallelism",
        str(PARALLELISM),
        "--format",
        "json",
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    proc = python(command, env=env)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"reconcile plan --endpoint failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return took


def _check_signatures(url: str, some_id: str, sdk_skip: str | None) -> dict[str, Any]:
    """Prove the emulator verifies signatures: a wrong SK must be refused, for us and the SDK."""
    with _client(url, sk="SKwrong" + fixtures.SK[7:]) as client:
        try:
            client.get_notebook(some_id)
        except AuthError:
            ours = "refused (HTTP 401)"
        else:
            raise AssertionError("the emulator accepted a request signed with the wrong SK")
    checked = {"ours_with_wrong_sk": ours}
    if not sdk_skip:
        wrong = sdk.live_client(url, fixtures.AK, "SKwrong" + fixtures.SK[7:], fixtures.PROJECT_ID)
        status = sdk.status_of_failure(wrong, some_id)
        if status != 401:
            raise AssertionError(f"the SDK with a wrong SK got {status}, expected 401")
        checked["sdk_with_wrong_sk"] = f"refused (HTTP {status})"
    return checked


def _verdicts(
    runs: dict[str, list[float]], count: int, ideal: float, sdk_rounds: int, skip: str | None
) -> tuple[list[Ratio], list[Target]]:
    """The ratios against the ideal and the SDK loop, and the targets on them."""
    ours_ratio = Ratio(
        "observe_live/ideal",
        "observe_live",
        f"ideal {ideal:g} s",
        [x / ideal for x in runs["observe_live"]],
        label=f"observe_live / ideal ({count} x {LATENCY_MS} ms / {PARALLELISM})",
    )
    cli_ratio = Ratio(
        "cli/ideal",
        "cli",
        f"ideal {ideal:g} s",
        [x / ideal for x in runs["cli"]],
        label="reconcile plan --endpoint (whole process) / ideal",
    )
    targets = [
        Target.judge("observe_live within 1.3x ideal", ours_ratio, 1.3),
        Target.judge("whole CLI plan within 1.3x ideal", cli_ratio, 1.3),
    ]
    ratios = [ours_ratio, cli_ratio]
    name = "observe_live >= 8x faster than the sequential SDK loop"
    if skip:
        targets.append(Target.judge(name, None, 8.0, at_most=False, reason=skip))
        return ratios, targets
    sdk_ratio = Ratio(
        "sdk/observe_live",
        "sdk_scaled",
        "observe_live",
        per_round_ratios(runs["sdk_scaled"], runs["observe_live"][:sdk_rounds]),
        label="sequential SDK loop / observe_live (speed-up)",
    )
    ratios.append(sdk_ratio)
    targets.append(Target.judge(name, sdk_ratio, 8.0, at_most=False))
    return ratios, targets


def run(config: Config) -> BenchResult:
    """Serve the fleet, time the three sides round by round, judge the targets."""
    started = time.perf_counter()
    count, sample = (50, 10) if config.quick else (1000, 200)
    ours_rounds, sdk_rounds, cli_rounds = (1, 1, 1) if config.quick else (5, 3, 3)
    ideal = count * LATENCY_MS / 1000 / PARALLELISM
    skip = sdk.available()
    documents = fixtures.make_fleet(count, drift=False).observed
    wanted = [ObserveTarget(doc["name"], doc["id"]) for doc in documents]
    sample_ids = [documents[i * count // sample]["id"] for i in range(sample)]
    store = NotebookStore.from_documents(documents)
    auth = EmulatorAuth(ak=fixtures.AK, sk=Secret(fixtures.SK))
    runs: dict[str, list[float]] = {"observe_live": [], "cli": [], "sdk_scaled": []}
    requests_per: dict[str, list[float]] = {"observe_live": [], "cli": []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-live-") as tmp,
        Emulator(
            store, auth=auth, faults=Faults(latency_ms=LATENCY_MS), project_id=fixtures.PROJECT_ID
        ) as emulator,
    ):
        url = emulator.url
        spec_path, out = Path(tmp) / "fleet.yaml", Path(tmp) / "plan.json"
        fixtures.write_spec(spec_path, {doc["name"]: fixtures.matching_spec(doc) for doc in documents})
        signatures = _check_signatures(url, documents[0]["id"], skip)
        if not skip:
            _sdk_loop(url, sample_ids[:2])  # the SDK's first request builds its session: not timed
        for r in range(max(ours_rounds, sdk_rounds, cli_rounds)):
            config.log(f"fleet_live: {count} notebooks, round {r + 1}")
            if r < ours_rounds:
                before = emulator.requests_received
                runs["observe_live"].append(_observe(url, wanted))
                requests_per["observe_live"].append(emulator.requests_received - before)
            if r < sdk_rounds and not skip:
                runs["sdk_scaled"].append(_sdk_loop(url, sample_ids) * count / sample)
            if r < cli_rounds:
                before = emulator.requests_received
                runs["cli"].append(_cli(url, spec_path, out))
                requests_per["cli"].append(emulator.requests_received - before)
        profiles: dict[str, str] = {}
        requests = emulator.requests_received
        ratios, targets = _verdicts(runs, count, ideal, sdk_rounds, skip)
        missed = any(t.status == "MISS" for t in targets if t.name.startswith("observe_live"))
        if config.should_profile(missed):
            with _client(url) as client:
                ids = sample_ids[:50]
                profiles[
                    "50 sequential get_notebook calls (client side; the 20 ms sleeps are the server's)"
                ] = profile_call(lambda: [client.get_notebook(i) for i in ids])
    per = f"{count} notebooks"
    measurements = [
        Measurement(
            "observe_live",
            runs["observe_live"],
            per=per,
            label=f"observe_live, parallelism {PARALLELISM}, AK/SK",
        ),
        Measurement("cli", runs["cli"], per=per, label="reconcile plan --endpoint, whole process"),
    ]
    measurements += [
        Measurement(
            "requests.observe_live",
            requests_per["observe_live"],
            unit="requests",
            per="observation",
            label="requests the emulator received per observe_live",
        ),
        Measurement(
            "requests.cli",
            requests_per["cli"],
            unit="requests",
            per="plan",
            label="requests the emulator received per reconcile plan --endpoint",
        ),
    ]
    if runs["sdk_scaled"]:
        measurements.append(
            Measurement(
                "sdk_scaled",
                runs["sdk_scaled"],
                per=per,
                label=f"SDK show_notebook loop ({sample} timed, scaled x{count / sample:g})",
            )
        )
    notes = [f"ideal = {count} x {LATENCY_MS} ms / {PARALLELISM} = {ideal:g} s"]
    if skip:
        notes.append(f"SDK side skipped: {skip}")
    else:
        notes.append(f"SDK loop: {sample} of {count} notebooks timed per round, scaled to {count}")
    notes.append("the CLI time includes interpreter start-up and loading the spec of every notebook")
    return BenchResult(
        name="fleet_live",
        title=TITLE,
        measurements=tuple(measurements),
        ratios=tuple(ratios),
        targets=tuple(targets),
        notes=tuple(notes),
        details={
            "notebooks": count,
            "latency_ms": LATENCY_MS,
            "parallelism": PARALLELISM,
            "ideal_seconds": ideal,
            "sdk_sample": sample,
            "requests_served": requests,
            "requests_per_plan": requests_per["cli"],
            "requests_per_observe_live": requests_per["observe_live"],
            "rounds": {"observe_live": ours_rounds, "sdk": sdk_rounds, "cli": cli_rounds},
            "signature_checks": signatures,
            "sdk_version": sdk.version(),
        },
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )
