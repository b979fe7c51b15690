"""Benchmark: a live plan of a fleet through the list API (issue 12), the whole CLI, in a subprocess.

The emulator (`reconcile._emulator.server.Emulator`, in this process, on loopback, AK/SK signatures
verified) serves `count` notebooks (1,000 in full mode; `fixtures.make_fleet(count, drift=False)`,
all RUNNING and in sync) with 20 ms of latency per request. Two JSON specs manage all of them: one in
sync (`fixtures.matching_spec` of every notebook) and one with 10% drift (every tenth entry wants
another flavor, so the plan updates `count // 10` notebooks). One list-response file holds the
same notebooks, for the offline plan. Each round runs, in a rotating order, as fresh processes:

- live, in sync: `python -m reconcile plan SPEC --endpoint URL --project-id P --parallelism 10
  --format json --out PLAN`, the command users run (`--refresh auto`, the default, picks list
  mode: `--unmanaged report`, the default, makes the listing anyway);
- live, 10% drift: the same with the drifted spec (every drifted entry is confirmed with a GET);
- offline, in sync and 10% drift: `python -m reconcile plan SPEC --observed LIST.json ...`, the same
  notebooks read from the saved list response (the same plan, apart from the metadata naming where
  the notebooks were read);
- live, get mode (`--refresh get`, in sync): one GET per notebook, for comparison (not judged).

Every live plan's requests are counted by the emulator (`Emulator.requests_received`, read in this
process before and after the subprocess). Every run is checked: the live plan equals the offline
plan of the same spec (apart from `metadata`), and plans exactly the expected updates.

Targets (issue 12): in sync, at most 25 requests, wall time at most 0.5x the per-notebook ideal
(`count x 20 ms / 10`: 2 s for 1,000) and at most 1.5x the offline plan of the same notebooks
(per round, side by side); with 10% drift, at most `25 + drifted` requests. A request budget is
judged as `requests / budget <= 1`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.fleet_live import CREDENTIAL_VARIABLES
from bench.measure import BenchResult, Config, Measurement, Ratio, Target, per_round_ratios
from bench.procs import measured_module, python, python_env
from bench.profiling import format_stats
from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth, Faults
from reconcile._emulator.store import NotebookStore

__all__ = ["REQUEST_ALLOWANCE", "run"]

TITLE = "live plan through the list API (whole CLI, emulator at 20 ms, parallelism 10) vs ideal and offline"
LATENCY_MS = 20
PARALLELISM = 10
#: Requests a live plan may make beyond one GET per drifted notebook (issue 12: 25).
REQUEST_ALLOWANCE = 25
#: Every this-many-th spec entry of the drifted spec wants another flavor (10% drift).
_DRIFT_EVERY = 10
_DRIFT_FLAVOR = "modelarts.vm.gpu.a100"
#: The sides of each round: name -> (live?, drifted spec?, extra arguments), in the order of round 1.
_SIDES: dict[str, tuple[bool, bool, tuple[str, ...]]] = {
    "live.in_sync": (True, False, ()),
    "offline.in_sync": (False, False, ()),
    "live.drift": (True, True, ()),
    "offline.drift": (False, True, ()),
    "live_get.in_sync": (True, False, ("--refresh", "get")),
}
_LABELS = {
    "live.in_sync": "reconcile plan --endpoint (list mode), in sync",
    "offline.in_sync": "reconcile plan --observed LIST.json, in sync",
    "live.drift": "reconcile plan --endpoint (list mode), 10% drift",
    "offline.drift": "reconcile plan --observed LIST.json, 10% drift",
    "live_get.in_sync": "reconcile plan --endpoint --refresh get, in sync (not judged)",
}
_REQUEST_LABELS = {
    "live.in_sync": "list mode, in sync",
    "live.drift": "list mode, 10% drift",
    "live_get.in_sync": "--refresh get, in sync",
}


def _specs(documents: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The in-sync spec, the drifted spec, and how many entries drift."""
    in_sync = {doc["name"]: fixtures.matching_spec(doc) for doc in documents}
    drift = {name: dict(entry) for name, entry in in_sync.items()}
    drifted = 0
    for i, name in enumerate(drift):
        if i % _DRIFT_EVERY == 3 and drift[name]["flavor"] != _DRIFT_FLAVOR:
            drift[name]["flavor"] = _DRIFT_FLAVOR
            drifted += 1
    return in_sync, drift, drifted


def _command(
    spec: Path, out: Path, *, url: str | None, observed: Path | None, extra: tuple[str, ...]
) -> list[str]:
    command = ["reconcile", "plan", str(spec), "--format", "json", "--out", str(out), *extra]
    if observed is not None:
        return [*command, "--observed", str(observed)]
    assert url is not None
    return [
        *command,
        "--endpoint",
        url,
        "--project-id",
        fixtures.PROJECT_ID,
        "--parallelism",
        str(PARALLELISM),
    ]


def _plan_facts(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The plan without its metadata (what must equal between live and offline), and its action counts."""
    document = json.loads(path.read_bytes())
    document.pop("metadata", None)
    actions: dict[str, int] = {}
    for change in document.get("resource_changes", []):
        key = "/".join(change.get("change", {}).get("actions", ["?"]))
        actions[key] = actions.get(key, 0) + 1
    return document, actions


def _profile(command: list[str], env: dict[str, str], workdir: Path) -> str:
    """cProfile of one live in-sync plan (the whole command, imports included)."""
    import pstats

    stats_path = workdir / "live.prof"
    proc = python(["-m", "cProfile", "-o", str(stats_path), "-m", *command], env=env)
    if proc.returncode != 0:
        return f"profiling failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
    return format_stats(pstats.Stats(str(stats_path), stream=sys.stderr), top=20)


def _over(
    runs: dict[str, list[float]], numerator: str, denominator: str | tuple[str, float], label: str
) -> Ratio:
    """`numerator / denominator` round by round: another side of the same round, or a named constant."""
    if isinstance(denominator, str):
        quotients, below = per_round_ratios(runs[numerator], runs[denominator]), denominator
    else:
        below, value = denominator
        quotients = [x / value for x in runs[numerator]]
    return Ratio(f"{numerator}/{below}", numerator, below, quotients, label=label)


def _verdicts(
    runs: dict[str, list[float]], requests: dict[str, list[float]], ideal: float, drifted: int
) -> tuple[list[Ratio], list[Target]]:
    """The ratios (per round) and the issue's four targets."""
    sync_budget, drift_budget = REQUEST_ALLOWANCE, REQUEST_ALLOWANCE + drifted
    counted = {f"requests.{name}": made for name, made in requests.items()}
    ideal_ratio = _over(runs, "live.in_sync", ("ideal", ideal), "live plan, in sync / per-notebook ideal")
    offline_ratio = _over(runs, "live.in_sync", "offline.in_sync", "live plan / offline plan, in sync")
    sync_requests = _over(
        counted,
        "requests.live.in_sync",
        ("budget", sync_budget),
        f"requests, in sync / {sync_budget} allowed",
    )
    drift_requests = _over(
        counted,
        "requests.live.drift",
        ("budget", drift_budget),
        f"requests, 10% drift / {drift_budget} allowed ({REQUEST_ALLOWANCE} + {drifted} drifted)",
    )
    ratios = [
        ideal_ratio,
        _over(
            runs, "offline.in_sync", ("ideal", ideal), "offline plan, in sync / the same ideal (not a target)"
        ),
        offline_ratio,
        _over(runs, "live.drift", "offline.drift", "live plan / offline plan, 10% drift (not a target)"),
        _over(runs, "live_get.in_sync", "live.in_sync", "get mode / list mode, in sync (not a target)"),
        sync_requests,
        drift_requests,
    ]
    targets = [
        Target.judge(f"in sync: requests <= {sync_budget} (requests / budget)", sync_requests, 1.0),
        Target.judge("in sync: whole CLI <= 0.5x the per-notebook ideal", ideal_ratio, 0.5),
        Target.judge("in sync: whole CLI <= 1.5x the offline plan", offline_ratio, 1.5),
        Target.judge(
            f"10% drift: requests <= {REQUEST_ALLOWANCE} + {drifted} (requests / budget)", drift_requests, 1.0
        ),
    ]
    return ratios, targets


def run(config: Config) -> BenchResult:
    """Serve the fleet, run the five plans round by round (the order rotating), check and judge them."""
    started = time.perf_counter()
    count, rounds = (60, 1) if config.quick else (1000, 5)
    ideal = count * LATENCY_MS / 1000 / PARALLELISM
    documents = fixtures.make_fleet(count, drift=False).observed
    in_sync, drift, drifted = _specs(documents)
    env = python_env(
        {"HUAWEICLOUD_SDK_AK": fixtures.AK, "HUAWEICLOUD_SDK_SK": fixtures.SK, "NO_COLOR": "1"},
        drop=CREDENTIAL_VARIABLES,
    )
    auth = EmulatorAuth(ak=fixtures.AK, sk=Secret(fixtures.SK))
    runs: dict[str, list[float]] = {name: [] for name in _SIDES}
    cpu: dict[str, list[float]] = {name: [] for name in _SIDES}
    requests: dict[str, list[float]] = {name: [] for name, side in _SIDES.items() if side[0]}
    details: dict[str, Any] = {
        "notebooks": count,
        "latency_ms": LATENCY_MS,
        "parallelism": PARALLELISM,
        "ideal_seconds": ideal,
        "drifted": drifted,
        "rounds": rounds,
        "spec_format": "json",
    }
    profiles: dict[str, str] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-list-") as tmp,
        Emulator(
            NotebookStore.from_documents(documents),
            auth=auth,
            faults=Faults(latency_ms=LATENCY_MS),
            project_id=fixtures.PROJECT_ID,
        ) as emulator,
    ):
        workdir = Path(tmp)
        specs = {False: workdir / "in-sync.json", True: workdir / "drift.json"}
        fixtures.write_spec(specs[False], in_sync)
        fixtures.write_spec(specs[True], drift)
        observed = workdir / "list-response.json"
        details["list_response_bytes"] = fixtures.write_list_response(observed, documents)
        commands = {
            name: _command(
                specs[drifted_spec],
                workdir / f"{name}.plan.json",
                url=emulator.url if live else None,
                observed=None if live else observed,
                extra=extra,
            )
            for name, (live, drifted_spec, extra) in _SIDES.items()
        }
        names = list(_SIDES)
        # Full mode: round 0 warms the bytecode caches, untimed; the plans are checked after it.
        first = 1 if config.quick else 0
        for r in range(first, rounds + 1):
            config.log(f"fleet_list: {count} notebooks, {'warm-up' if r == 0 else f'round {r}/{rounds}'}")
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                before = emulator.requests_received
                child = measured_module(commands[name], env=env)
                made = emulator.requests_received - before
                if child.returncode != 0:
                    raise RuntimeError(
                        f"{name}: reconcile plan failed ({child.returncode}): {child.stderr[-2000:]}"
                    )
                if r > 0:
                    runs[name].append(child.seconds)
                    cpu[name].append(child.cpu_seconds)
                    if name in requests:
                        requests[name].append(made)
            if r == first:
                details["plans"] = _check_plans(workdir, count, drifted)
        ratios, targets = _verdicts(runs, requests, ideal, drifted)
        if config.should_profile(any(t.status == "MISS" for t in targets)):
            config.log("fleet_list: profiling one live in-sync plan")
            profiles["python -m cProfile -m reconcile plan --endpoint, in sync (list mode)"] = _profile(
                commands["live.in_sync"], env, workdir
            )
    per = f"{count} notebooks"
    measurements = [Measurement(name, runs[name], per=per, label=f"{_LABELS[name]}: wall") for name in _SIDES]
    measurements += [
        Measurement(f"{name}.cpu", cpu[name], per=per, label=f"{_LABELS[name]}: CPU user+sys")
        for name in ("live.in_sync", "offline.in_sync")
    ]
    ratios.append(
        Ratio(
            "live.in_sync/offline.in_sync.cpu",
            "live.in_sync.cpu",
            "offline.in_sync.cpu",
            per_round_ratios(cpu["live.in_sync"], cpu["offline.in_sync"]),
            label="live plan / offline plan, in sync: CPU time (not a target)",
        )
    )
    measurements += [
        Measurement(
            f"requests.{name}",
            made,
            unit="requests",
            per="plan",
            label=f"requests the emulator received per plan: {_REQUEST_LABELS[name]}",
        )
        for name, made in requests.items()
    ]
    notes = [
        f"ideal = {count} x {LATENCY_MS} ms / {PARALLELISM} = {ideal:g} s "
        "(one GET per notebook, 10 in flight)",
        "each plan a fresh `python -m reconcile plan` process; the emulator runs in the benchmark's process",
        "specs are JSON (as fleet_floor judges); a YAML spec adds the same load time to live and offline",
        f"drift: every {_DRIFT_EVERY}th entry wants another flavor ({drifted} updates), "
        "each confirmed with a GET",
        "checked once before timing: every live plan equals the offline plan of the same spec apart from "
        "`metadata`, and plans exactly the expected updates",
    ]
    return BenchResult(
        name="fleet_list",
        title=TITLE,
        measurements=tuple(measurements),
        ratios=tuple(ratios),
        targets=tuple(targets),
        notes=tuple(notes),
        details=details,
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )


def _check_plans(workdir: Path, count: int, drifted: int) -> dict[str, Any]:
    """Each live plan equals the offline plan of its spec (apart from `metadata`); the expected actions."""
    facts: dict[str, Any] = {}
    for fleet, offline, updates in (
        ("in_sync", "offline.in_sync", 0),
        ("drift", "offline.drift", drifted),
    ):
        expected, actions = _plan_facts(workdir / f"{offline}.plan.json")
        want = {"no-op": count - updates, **({"update": updates} if updates else {})}
        if actions != want:
            raise AssertionError(f"the offline plan ({fleet}) has actions {actions}, expected {want}")
        live_names = [f"live.{fleet}"] + (["live_get.in_sync"] if fleet == "in_sync" else [])
        for live in live_names:
            document, _ = _plan_facts(workdir / f"{live}.plan.json")
            if document != expected:
                differing = sorted(
                    k for k in expected.keys() | document.keys() if expected.get(k) != document.get(k)
                )
                raise AssertionError(f"the {live} plan differs from the offline plan in {differing}")
        facts[fleet] = {"actions": actions, "unmanaged": len(expected.get("unmanaged", []))}
    return facts
