"""Benchmark: the whole-process offline plan of a fleet against the floor of reading and writing JSON.

Issue 14's fleet targets. Two generated fleets of the same size (`fixtures.make_fleet`): one in
sync (every spec entry matches its notebook: all no-ops) and one with drift (22% updates, 2%
creates). For each, one list-response file and a JSON spec. Each side is a fresh interpreter,
started and reaped by `bench.procs.measured_module`, alternating round by round (the order rotates):

- the plan: `python -m reconcile plan SPEC.json --observed OBSERVED --format json --out PLAN`, the
  real CLI, start-up to exit;
- the floor (`bench.floor`): `json.loads` of the same observed file, then one `json.dumps` of a
  document exactly as large as the plan that run wrote (notebooks from the parsed file, repeated,
  plus padding), written to a file the way `--out` writes (temporary sibling, fsync, rename).

Targets: the plan within 2x the floor's wall time and 1.5x its peak memory, in sync and with drift.
Memory is each process's own peak resident set (`VmHWM` at exit, reported by `bench.peak`); the
`ru_maxrss` of `os.wait4` is recorded beside it. CPU time (user + system, from `os.wait4`) is
reported too: on a busy machine it is disturbed less than wall time.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.floor import dumps, layout
from bench.measure import BenchResult, Config, Measurement, Ratio, Target, per_round_ratios
from bench.procs import Child, measured_module, python, python_env
from bench.profiling import format_stats

__all__ = ["FLEETS", "run"]

TITLE = "whole-process offline plan (real CLI) vs the floor: json.loads in, json.dumps out as large"
#: The fleets measured: name -> whether it drifts.
FLEETS = {"in_sync": False, "drift": True}
_WORDS = {"in_sync": "in sync", "drift": "22% drift"}
_PROFILE_FLEET = 1000


def _plan_args(spec: Path, observed: Path, out: Path) -> list[str]:
    return [
        "reconcile",
        "plan",
        str(spec),
        "--observed",
        str(observed),
        "--format",
        "json",
        "--out",
        str(out),
    ]


def _checked(child: Child, what: str) -> Child:
    if child.returncode != 0:
        raise RuntimeError(f"{what} failed ({child.returncode}): {child.stderr.strip()[-2000:]}")
    return child


def _profile(workdir: Path) -> str:
    """cProfile of the whole command (imports included) on a smaller drifted fleet."""
    import pstats

    fleet = fixtures.make_fleet(_PROFILE_FLEET)
    spec, observed = workdir / "profile-spec.json", workdir / "profile-observed.json"
    fixtures.write_spec(spec, fleet.spec)
    fixtures.write_list_response(observed, fleet.observed)
    stats_path, out = workdir / "plan.prof", workdir / "profile-plan.json"
    proc = python(
        ["-m", "cProfile", "-o", str(stats_path), "-m", *_plan_args(spec, observed, out)],
        env=python_env({"NO_COLOR": "1"}),
    )
    if proc.returncode != 0:
        return f"profiling failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
    return format_stats(pstats.Stats(str(stats_path), stream=sys.stderr), top=20)


def _prepare(
    workdir: Path, name: str, count: int, env: dict[str, str]
) -> tuple[list[str], list[str], dict[str, Any]]:
    """Write fleet `name`'s files, run its plan and floor once (warm-up, checked); both commands and facts."""
    fleet = fixtures.make_fleet(count, drift=FLEETS[name])
    observed, spec = workdir / f"{name}-observed.json", workdir / f"{name}-spec.json"
    plan_out, floor_out = workdir / f"{name}-plan.json", workdir / f"{name}-floor.json"
    observed_bytes = fixtures.write_list_response(observed, fleet.observed)
    spec_bytes = fixtures.write_spec(spec, fleet.spec)
    drift = fleet.drift
    del fleet  # the parent stays small (its memory is not measured, but the machine has little)
    plan_args = _plan_args(spec, observed, plan_out)
    # The warm-up compiles the bytecode caches (bench.procs) and gives the plan's size.
    _checked(measured_module(plan_args, env=env), f"reconcile plan ({name})")
    plan_bytes = plan_out.stat().st_size
    sizes = [len(dumps(nb)) for nb in json.loads(observed.read_bytes())["data"]]
    entries, pad = layout(sizes, plan_bytes)
    floor_args = ["bench.floor", str(observed), str(floor_out), str(entries), str(pad)]
    written = _checked(measured_module(floor_args, env=env), f"floor ({name})")
    if int(written.stdout.split()[-1]) != plan_bytes or floor_out.stat().st_size != plan_bytes:
        raise AssertionError(f"the floor wrote {floor_out.stat().st_size} bytes, the plan {plan_bytes}")
    document = json.loads(plan_out.read_bytes())
    actions: dict[str, int] = {}
    for change in document.get("resource_changes", []):
        key = "/".join(change.get("change", {}).get("actions", ["?"]))
        actions[key] = actions.get(key, 0) + 1
    facts = {
        "observed_bytes": observed_bytes,
        "spec_json_bytes": spec_bytes,
        "plan_bytes": plan_bytes,
        "plan_over_observed_bytes": plan_bytes / observed_bytes,
        "plan_top_level_keys": sorted(document),
        "plan_resource_changes": len(document.get("resource_changes", [])),
        "plan_actions": actions,
        "plan_errors": len(document.get("errors", [])),
        "floor_notebooks_written": entries,
        "floor_padding_chars": pad,
        "drift": drift,
    }
    if facts["plan_errors"] or facts["plan_resource_changes"] != count:
        raise AssertionError(f"the {name} fleet did not plan cleanly: {facts}")
    return plan_args, floor_args, facts


def _verdicts(
    results: dict[str, list[Child]], details: dict[str, Any], per: str
) -> tuple[list[Measurement], list[Ratio], list[Target]]:
    """The medians, the side-by-side ratios and the four targets."""
    measurements: list[Measurement] = []
    ratios: list[Ratio] = []
    targets: list[Target] = []
    for fleet_name in FLEETS:
        words = _WORDS[fleet_name]
        plan, floor = results[f"plan.{fleet_name}"], results[f"floor.{fleet_name}"]
        size = details[fleet_name]["plan_bytes"]
        for side, runs, label in (
            ("plan", plan, f"reconcile plan, {words}"),
            ("floor", floor, f"floor ({size / 2**20:.1f} MiB out), {words}"),
        ):
            measurements += [
                Measurement(
                    f"{side}.{fleet_name}.seconds", [c.seconds for c in runs], per=per, label=f"{label}: wall"
                ),
                Measurement(
                    f"{side}.{fleet_name}.cpu_seconds",
                    [c.cpu_seconds for c in runs],
                    per=per,
                    label=f"{label}: CPU user+sys",
                ),
                Measurement(
                    f"{side}.{fleet_name}.peak_bytes",
                    [c.peak_bytes for c in runs],
                    unit="B",
                    per="process",
                    label=f"{label}: peak RSS",
                ),
            ]
        time_ratio = Ratio(
            f"{fleet_name}.plan/floor.seconds",
            f"plan.{fleet_name}.seconds",
            f"floor.{fleet_name}.seconds",
            per_round_ratios([c.seconds for c in plan], [c.seconds for c in floor]),
            label=f"time: plan / floor, {words}",
        )
        memory_ratio = Ratio(
            f"{fleet_name}.plan/floor.peak",
            f"plan.{fleet_name}.peak_bytes",
            f"floor.{fleet_name}.peak_bytes",
            per_round_ratios([c.peak_bytes for c in plan], [c.peak_bytes for c in floor]),
            label=f"peak memory: plan / floor, {words}",
        )
        ratios += [
            time_ratio,
            memory_ratio,
            Ratio(
                f"{fleet_name}.plan/floor.cpu_seconds",
                f"plan.{fleet_name}.cpu_seconds",
                f"floor.{fleet_name}.cpu_seconds",
                per_round_ratios([c.cpu_seconds for c in plan], [c.cpu_seconds for c in floor]),
                label=f"CPU time: plan / floor, {words} (not a target)",
            ),
        ]
        targets += [
            Target.judge(f"offline plan, {words}: <= 2x the floor, time", time_ratio, 2.0),
            Target.judge(f"offline plan, {words}: <= 1.5x the floor, peak memory", memory_ratio, 1.5),
        ]
        details[fleet_name]["ru_maxrss_bytes_median"] = {
            "plan": statistics.median(c.ru_maxrss_bytes for c in plan),
            "floor": statistics.median(c.ru_maxrss_bytes for c in floor),
        }
    return measurements, ratios, targets


def run(config: Config) -> BenchResult:
    """Write both fleets, run plan and floor side by side round by round, judge the targets."""
    started = time.perf_counter()
    count, rounds = (200, 1) if config.quick else (10_000, 5)
    env = python_env({"NO_COLOR": "1"})
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        workdir = Path(tmp)
        sides: dict[str, list[str]] = {}
        details: dict[str, Any] = {"notebooks": count, "rounds": rounds}
        for name in FLEETS:
            config.log(f"fleet_floor: {count} notebooks, {_WORDS[name]}: writing and warming up")
            sides[f"plan.{name}"], sides[f"floor.{name}"], details[name] = _prepare(workdir, name, count, env)
        results: dict[str, list[Child]] = {name: [] for name in sides}
        names = list(sides)
        for r in range(rounds):
            config.log(f"fleet_floor: {count} notebooks, round {r + 1}/{rounds}")
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                results[name].append(_checked(measured_module(sides[name], env=env), name))
                side, fleet_name = name.split(".", 1)
                if side == "plan":  # deterministic output: the same bytes every round, recorded
                    size = (workdir / f"{fleet_name}-plan.json").stat().st_size
                    details[fleet_name].setdefault("plan_bytes_per_round", []).append(size)
        measurements, ratios, targets = _verdicts(results, details, f"{count} notebooks")
        methods = {c.memory_method for runs in results.values() for c in runs}
        profiles: dict[str, str] = {}
        if config.should_profile(any(t.status == "MISS" for t in targets)):
            config.log(f"fleet_floor: profiling the whole command on {_PROFILE_FLEET} notebooks (drift)")
            profiles[f"python -m cProfile -m reconcile plan, {_PROFILE_FLEET} notebooks, 22% drift"] = (
                _profile(workdir)
            )
    notes = [
        f"memory: each process's own peak RSS ({', '.join(sorted(methods))} at exit, via bench.peak); "
        "ru_maxrss from wait4 is in the JSON details",
        "each side a fresh interpreter through the same wrapper (bench.peak); the floor's output is "
        "exactly as many bytes as the plan of the same fleet",
    ]
    for fleet_name in FLEETS:
        d = details[fleet_name]
        if set(d.get("plan_bytes_per_round", [d["plan_bytes"]])) != {d["plan_bytes"]}:
            notes.append(
                f"WARNING {_WORDS[fleet_name]}: the plan's size changed between runs "
                f"({sorted(set(d['plan_bytes_per_round']))}, floor laid out for {d['plan_bytes']}): "
                "the output is not deterministic"
            )
        helpers = max(c.children_maxrss_bytes for c in results[f"plan.{fleet_name}"])
        if helpers:
            notes.append(
                f"WARNING {_WORDS[fleet_name]}: the plan started processes of its own (largest "
                f"{helpers / 2**20:.1f} MiB); the peak judged is the main process's alone"
            )
        notes.append(
            f"{_WORDS[fleet_name]}: observed {d['observed_bytes'] / 2**20:.1f} MiB, plan "
            f"{d['plan_bytes'] / 2**20:.1f} MiB ({d['plan_over_observed_bytes']:.1f}x the input), "
            f"actions {d['plan_actions']}; floor writes {d['floor_notebooks_written']} notebooks + "
            f"{d['floor_padding_chars']} chars"
        )
    return BenchResult(
        name="fleet_floor",
        title=TITLE,
        measurements=tuple(measurements),
        ratios=tuple(ratios),
        targets=tuple(targets),
        notes=tuple(notes),
        details=details,
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )
