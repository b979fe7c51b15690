"""One measured run in a fresh interpreter: `python -m bench.worker MODE ...`; prints one JSON line.

Modes:

- `json-loads --observed FILE`: `json.loads` of the file's bytes (the baseline).
- `plan --spec SPEC --observed FILE`: the whole offline plan, stage by stage, as `reconcile plan
  SPEC --observed FILE --format json` does it: load_spec, load_observed, observe_offline,
  build_plan, render json.
- `spec --spec SPEC`: load_spec alone.
- `spec-floor --spec SPEC.yaml --spec-json SPEC.json`: the parsers alone, no validation: PyYAML's
  fastest safe loader (libyaml's `CSafeLoader` when PyYAML has it) on the YAML spec and
  `json.loads` on the JSON one; what any spec loader must at least spend.

Every mode imports the same modules before measuring, so their baselines match. Memory is read
from `/proc/self/status` (Linux): before each stage the high-water mark is reset
(`/proc/self/clear_refs`, Linux 4.0+), so each stage's peak is its own; the run's peak is the
highest of them, reported as its rise over the resident set just before the work. Without
`/proc`, `ru_maxrss` is used, and the peak of the imports may hide a smaller peak of the work
(reported as `memory_method`).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import reconcile._render.jsonplan  # noqa: F401 (loaded on first use by render(); loaded here by every mode)
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._render import render
from reconcile._specfile.load import load_spec

__all__ = ["Recorder", "main"]


def _status_kib(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Recorder:
    """Times stages and records each stage's memory: its peak rise and what it left behind."""

    def __init__(self) -> None:
        gc.collect()
        self.proc = _reset_peak() and _status_kib("VmRSS") is not None
        self.baseline_kib = (
            _status_kib("VmRSS") if self.proc else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        )
        self.peak_kib = self.baseline_kib or 0
        self.seconds: dict[str, float] = {}
        self.memory: dict[str, dict[str, int]] = {}

    def stage(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` as stage `name`; returns its value."""
        before = _status_kib("VmRSS") if self.proc and _reset_peak() else None
        start = time.perf_counter()
        value = fn(*args)
        self.seconds[name] = time.perf_counter() - start
        if before is not None:
            peak, after = _status_kib("VmHWM") or 0, _status_kib("VmRSS") or 0
            self.memory[name] = {
                "peak_rise_bytes": max(peak - before, 0) * 1024,
                "retained_bytes": (after - before) * 1024,
            }
            self.peak_kib = max(self.peak_kib, peak)
        return value

    def result(self, total: float) -> dict[str, Any]:
        """The measurement as plain JSON values."""
        if not self.proc:
            self.peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        baseline = self.baseline_kib or 0
        return {
            "seconds": total,
            "stages": self.seconds,
            "stage_memory": self.memory,
            "baseline_rss_bytes": baseline * 1024,
            "peak_bytes": self.peak_kib * 1024,
            "peak_delta_bytes": max(self.peak_kib - baseline, 0) * 1024,
            "memory_method": "VmHWM, reset per stage (clear_refs)" if self.proc else "ru_maxrss",
        }


Work = Callable[[Recorder], Any]


def measure(work: Work, describe: Callable[[Any], dict[str, Any]] = lambda _kept: {}) -> dict[str, Any]:
    """Run `work(recorder)` once: its wall time, stage times and memory.

    `describe` is called on what `work` returned, after the measurement, for facts about it.
    """
    recorder = Recorder()
    start = time.perf_counter()
    kept = work(recorder)  # kept alive until measured, as a real run holds it until it exits
    result = recorder.result(time.perf_counter() - start)
    result["info"] = describe(kept)
    return result


def _json_loads(observed: Path) -> Work:
    def work(rec: Recorder) -> Any:
        return rec.stage("json_loads", lambda: json.loads(observed.read_bytes()))

    return work


def _observe_offline(spec: Any, index: Any) -> Any:
    return observe_offline(targets(spec), index)


def _plan(spec_path: Path, observed: Path) -> Work:
    def work(rec: Recorder) -> Any:
        # What `reconcile plan` holds, and when it lets go: the observations (and the raw bodies
        # they hold) are dropped once the plan is built, the spec and the plan live to the end.
        spec = rec.stage("load_spec", load_spec, [spec_path])
        index = rec.stage("load_observed", load_observed, observed)
        found = rec.stage("observe_offline", _observe_offline, spec, index)
        del index
        plan = rec.stage("build_plan", build_plan, spec, found)
        del found
        document = rec.stage("render_json", render, plan, "json")
        return spec, plan, document

    return work


def _describe_plan(kept: Any) -> dict[str, Any]:
    spec, plan, document = kept
    actions: dict[str, int] = {}
    for change in plan.resource_changes:
        key = "/".join(a.value for a in change.actions)
        actions[key] = actions.get(key, 0) + 1
    return {
        "entries": len(spec.entries),
        "actions": actions,
        "errors": len(plan.errors),
        "plan_json_bytes": len(document.encode()),
    }


def _spec(spec_path: Path) -> Work:
    def work(rec: Recorder) -> Any:
        return rec.stage("load_spec", lambda: load_spec([spec_path]))

    return work


def _spec_floor(spec_yaml: Path, spec_json: Path) -> Work:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def work(rec: Recorder) -> Any:
        parsed = rec.stage("yaml_load", lambda: yaml.load(spec_yaml.read_text("utf-8"), Loader=loader))
        return parsed, rec.stage("json_loads", lambda: json.loads(spec_json.read_bytes()))

    return work


def main(argv: list[str] | None = None) -> int:
    """Run one mode and print its measurement as one JSON line on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("mode", choices=("json-loads", "plan", "spec", "spec-floor"))
    parser.add_argument("--spec", type=Path)
    parser.add_argument("--spec-json", type=Path)
    parser.add_argument("--observed", type=Path)
    args = parser.parse_args(argv)
    if args.mode == "json-loads":
        result = measure(_json_loads(args.observed), lambda data: {"notebooks": len(data["data"])})
    elif args.mode == "plan":
        result = measure(_plan(args.spec, args.observed), _describe_plan)
    elif args.mode == "spec":
        result = measure(_spec(args.spec), lambda spec: {"entries": len(spec.entries)})
    else:
        loader = "CSafeLoader (libyaml)" if hasattr(yaml, "CSafeLoader") else "SafeLoader (pure Python)"
        result = measure(_spec_floor(args.spec, args.spec_json), lambda _kept: {"yaml_loader": loader})
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
