"""Benchmark 3: the whole offline plan of a 10,000-notebook fleet, time and peak memory.

A generated fleet (varied ids, names, flavors and states, with drift: see `fixtures.make_fleet`)
is written as ONE list-response file, and its spec twice: as JSON and as YAML (the same data).
Each side runs in a fresh interpreter (`bench.worker`), alternating round by round:

- the plan: `load_spec` + `load_observed` + `observe_offline` + `build_plan` + render JSON, i.e.
  what `reconcile plan fleet.json --observed observed.json --format json` does after start-up;
- the baseline: `json.loads` of the same observed file's bytes, read the same way.

The targets (plan within 10x the time and 3x the peak memory of `json.loads`) are judged with the
JSON spec: the same parser family as the baseline, so the ratio measures our code, not the spec
format. The YAML-spec plan is measured alongside with its ratio, and so are the parsers' floors
(`yaml.load` with libyaml's `CSafeLoader`, `json.loads`) for the spec: with YAML, no loader can be
faster than the floor, and the floor alone is well above 10x `json.loads` of the observed file.

Time is wall time of the work; memory is the rise of the peak resident set over the resident set
just before the work (both interpreters have imported the same modules by then), and per stage.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import fixtures
from bench.measure import BenchResult, Config, Measurement, Ratio, Target, per_round_ratios
from bench.procs import python
from bench.profiling import profile_call

__all__ = ["STAGES", "run", "run_worker"]

TITLE = "offline plan of a fleet (one list file, one spec): time and peak memory vs json.loads"
#: The plan's stages, in order.
STAGES = ("load_spec", "load_observed", "observe_offline", "build_plan", "render_json")
_PROFILE_FLEET = 1000


def run_worker(*args: str) -> dict[str, Any]:
    """Run `python -m bench.worker ARGS...` in a fresh interpreter; its JSON result.

    Raises:
        RuntimeError: the worker failed (its stderr is in the message).
    """
    proc = python(["-m", "bench.worker", *args])
    if proc.returncode != 0:
        raise RuntimeError(f"bench.worker {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _profile(workdir: Path, spec_name: str) -> str:
    """cProfile of the in-process plan of a smaller fleet (the per-notebook costs are the same)."""
    from reconcile._observe.offline import load_observed, observe_offline
    from reconcile._planning.planner import build_plan, targets
    from reconcile._render import render
    from reconcile._specfile.load import load_spec

    fleet = fixtures.make_fleet(_PROFILE_FLEET)
    spec_path, observed_path = workdir / spec_name, workdir / "profile-observed.json"
    fixtures.write_spec(spec_path, fleet.spec)
    fixtures.write_list_response(observed_path, fleet.observed)

    def plan() -> str:
        spec = load_spec([spec_path])
        found = observe_offline(targets(spec), load_observed(observed_path))
        return render(build_plan(spec, found), "json")

    return profile_call(plan, top=20)


def _split(runs: list[dict[str, Any]], count: int) -> dict[str, dict[str, float]]:
    """Median seconds, share, per-notebook cost and memory of each stage."""
    total = statistics.median(x["seconds"] for x in runs)
    split: dict[str, dict[str, float]] = {}
    for stage in STAGES:
        seconds = statistics.median(x["stages"][stage] for x in runs)
        split[stage] = {
            "seconds": seconds,
            "share": seconds / total if total else 0.0,
            "per_notebook_us": seconds / count * 1e6,
        }
        memory = [x["stage_memory"][stage] for x in runs if stage in x.get("stage_memory", {})]
        if memory:
            for key in ("peak_rise_bytes", "retained_bytes"):
                split[stage][key] = statistics.median(m[key] for m in memory)
    return split


def run(config: Config) -> BenchResult:
    """Generate the fleet, run every side in fresh interpreters round by round, judge the targets."""
    started = time.perf_counter()
    count, rounds = (200, 1) if config.quick else (10_000, 3)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        workdir = Path(tmp)
        fleet = fixtures.make_fleet(count)
        observed = workdir / "observed.json"
        spec_yaml, spec_json = workdir / "fleet.yaml", workdir / "fleet.json"
        sizes = {
            "observed_bytes": fixtures.write_list_response(observed, fleet.observed),
            "spec_yaml_bytes": fixtures.write_spec(spec_yaml, fleet.spec),
            "spec_json_bytes": fixtures.write_spec(spec_json, fleet.spec),
        }
        sides = {
            "json_loads": ("json-loads", "--observed", str(observed)),
            "plan_json": ("plan", "--spec", str(spec_json), "--observed", str(observed)),
            "plan_yaml": ("plan", "--spec", str(spec_yaml), "--observed", str(observed)),
            "spec_floor": ("spec-floor", "--spec", str(spec_yaml), "--spec-json", str(spec_json)),
        }
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
        names = list(sides)
        for r in range(rounds):
            config.log(f"fleet_offline: {count} notebooks, round {r + 1}/{rounds}")
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                results[name].append(run_worker(*sides[name]))
        base, plan_json, plan_yaml = results["json_loads"], results["plan_json"], results["plan_yaml"]
        for runs in (plan_json, plan_yaml):
            info = runs[0]["info"]
            if info["errors"] or info["entries"] != count:
                raise AssertionError(f"the generated fleet did not plan cleanly: {info}")
        per = f"{count} notebooks"

        def seconds(runs: list[dict[str, Any]], stage: str | None = None) -> list[float]:
            return [x["seconds"] if stage is None else x["stages"][stage] for x in runs]

        def peaks(runs: list[dict[str, Any]]) -> list[float]:
            return [x["peak_delta_bytes"] for x in runs]

        floor = results["spec_floor"]
        yaml_loader = floor[0]["info"]["yaml_loader"]
        measurements = [
            Measurement(
                "json_loads.seconds", seconds(base), per=per, label="json.loads of the observed file"
            ),
            Measurement(
                "plan_json.seconds",
                seconds(plan_json),
                per=per,
                label="whole offline plan, JSON spec (load_spec .. render json)",
            ),
            Measurement(
                "plan_yaml.seconds", seconds(plan_yaml), per=per, label="whole offline plan, YAML spec"
            ),
            Measurement(
                "json_loads.peak_bytes",
                peaks(base),
                unit="B",
                per="process",
                label="json.loads: peak RSS over baseline",
            ),
            Measurement(
                "plan_json.peak_bytes",
                peaks(plan_json),
                unit="B",
                per="process",
                label="plan, JSON spec: peak RSS over baseline",
            ),
            Measurement(
                "plan_yaml.peak_bytes",
                peaks(plan_yaml),
                unit="B",
                per="process",
                label="plan, YAML spec: peak RSS over baseline",
            ),
            Measurement(
                "load_spec_json.seconds",
                seconds(plan_json, "load_spec"),
                per=per,
                label="load_spec, JSON spec (the plan's first stage)",
            ),
            Measurement(
                "load_spec_yaml.seconds",
                seconds(plan_yaml, "load_spec"),
                per=per,
                label="load_spec, YAML spec (the plan's first stage)",
            ),
            Measurement(
                "floor_json.seconds",
                seconds(floor, "json_loads"),
                per=per,
                label="floor: json.loads of the JSON spec",
            ),
            Measurement(
                "floor_yaml.seconds",
                seconds(floor, "yaml_load"),
                per=per,
                label=f"floor: yaml.load of the YAML spec, {yaml_loader.split()[0]}",
            ),
        ]
        measurements += [
            Measurement(
                f"stage.{stage}", seconds(plan_json, stage), per=per, label=f"plan (JSON spec) stage: {stage}"
            )
            for stage in STAGES
        ]
        time_ratio = Ratio(
            "plan_json/json_loads.seconds",
            "plan_json.seconds",
            "json_loads.seconds",
            per_round_ratios(seconds(plan_json), seconds(base)),
            label="time: plan (JSON spec) / json.loads",
        )
        memory_ratio = Ratio(
            "plan_json/json_loads.peak",
            "plan_json.peak_bytes",
            "json_loads.peak_bytes",
            per_round_ratios(peaks(plan_json), peaks(base)),
            label="peak memory: plan (JSON spec) / json.loads",
        )
        ratios = [
            time_ratio,
            memory_ratio,
            Ratio(
                "plan_yaml/json_loads.seconds",
                "plan_yaml.seconds",
                "json_loads.seconds",
                per_round_ratios(seconds(plan_yaml), seconds(base)),
                label="time: plan (YAML spec) / json.loads",
            ),
            Ratio(
                "plan_yaml/json_loads.peak",
                "plan_yaml.peak_bytes",
                "json_loads.peak_bytes",
                per_round_ratios(peaks(plan_yaml), peaks(base)),
                label="peak memory: plan (YAML spec) / json.loads",
            ),
            Ratio(
                "load_spec_json/floor",
                "load_spec_json.seconds",
                "floor_json.seconds",
                per_round_ratios(seconds(plan_json, "load_spec"), seconds(floor, "json_loads")),
                label="load_spec (JSON) / json.loads of the spec",
            ),
            Ratio(
                "load_spec_yaml/floor",
                "load_spec_yaml.seconds",
                "floor_yaml.seconds",
                per_round_ratios(seconds(plan_yaml, "load_spec"), seconds(floor, "yaml_load")),
                label=f"load_spec (YAML) / yaml.load with {yaml_loader.split()[0]}",
            ),
            Ratio(
                "floor_yaml/json_loads.seconds",
                "floor_yaml.seconds",
                "json_loads.seconds",
                per_round_ratios(seconds(floor, "yaml_load"), seconds(base)),
                label="floor: yaml.load of the YAML spec / json.loads of observed",
            ),
        ]
        targets = [
            Target.judge("offline plan (JSON spec) within 10x json.loads, time", time_ratio, 10.0),
            Target.judge("offline plan (JSON spec) within 3x json.loads, peak memory", memory_ratio, 3.0),
        ]
        profiles: dict[str, str] = {}
        if config.should_profile(any(t.status == "MISS" for t in targets)):
            for spec_name in ("profile.json", "profile.yaml"):
                config.log(f"fleet_offline: profiling the plan of {_PROFILE_FLEET} notebooks ({spec_name})")
                profiles[
                    f"offline plan of {_PROFILE_FLEET} notebooks, {spec_name.split('.')[1].upper()} spec, "
                    "in process"
                ] = _profile(workdir, spec_name)
    return BenchResult(
        name="fleet_offline",
        title=TITLE,
        measurements=tuple(measurements),
        ratios=tuple(ratios),
        targets=tuple(targets),
        notes=(
            f"memory: {plan_json[0]['memory_method']}; each side in a fresh interpreter, same imports",
            "targets judged with the JSON spec; the YAML spec is the same data (see its ratios and floor)",
        ),
        details={
            "notebooks": count,
            "rounds": rounds,
            **sizes,
            "drift": fleet.drift,
            "plan": plan_json[0]["info"],
            "yaml_loader_floor": yaml_loader,
            "stage_split": _split(plan_json, count),
            "stage_split_yaml_spec": _split(plan_yaml, count),
            "baseline_rss_bytes": {
                "plan_json": plan_json[0]["baseline_rss_bytes"],
                "json_loads": base[0]["baseline_rss_bytes"],
            },
        },
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )
