"""Benchmark 6: the compliance rules over a fleet, against decoding the same notebooks.

Timed round-robin in one process, over the drifted fleet of `bench.fixtures.make_fleet` (10,000
notebooks; 200 in quick mode), with the plan and the decoded notebooks prepared once up front:

- `decode`: `decode_notebook` of every observed notebook (what reading the fleet costs anyway);
- `builtin`: `reconcile._policy.engine.evaluate` with the default policy on the desired and the
  observed state of every notebook: the documents, MA001-MA011, MA012 from the plan, MA013;
- `builtin+cel`: the same plus one custom CEL rule (on both states), so the CEL cost per rule and
  notebook is (builtin+cel - builtin) / (notebooks x 2 subjects);
- `builtin+findings`: the built-in rules, then every result made a `Finding` in report order
  (`Report.findings`, what the JSON, JUnit and HTML formats read; text, SARIF and Markdown read only
  the failures): reported, not judged, so the cost the compact report defers stays visible.

The target: the built-in rules cost no more than decoding (ratio <= 1). cel-python's import time is
measured once in a fresh interpreter and reported.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from typing import Any

from bench import fixtures
from bench.measure import BenchResult, Config, Measurement, Ratio, Target, interleaved, per_round_ratios
from bench.profiling import profile_call
from reconcile._codec import decode_notebook
from reconcile._core.observation import Found
from reconcile._core.report import Severity
from reconcile._planning.planner import build_plan, targets
from reconcile._policy.engine import evaluate, observed_state
from reconcile._policy.settings import CustomRule, Policy
from reconcile._specfile.load import spec_from_data

__all__ = ["run"]

TITLE = "compliance rules over a fleet: built-in rules and one CEL rule vs decoding the notebooks"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
CEL_RULE = CustomRule(
    "BENCH001",
    "GPU notebooks stop within two hours",
    Severity.HIGH,
    '!notebook.flavor.startsWith("modelarts.vm.gpu") || '
    "(has(notebook.lease.duration) && notebook.lease.duration <= 7200000)",
    "GPU notebooks must auto-stop within 2h",
)


def _cel_import_seconds() -> float | None:
    code = "import time; t = time.perf_counter(); import celpy; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    return float(out.stdout) if out.returncode == 0 else None


def run(config: Config) -> BenchResult:
    """Time decoding, the built-in rules and the rules plus one CEL rule over the same fleet."""
    started = time.perf_counter()
    count = 200 if config.quick else 10_000
    rounds = 3 if config.quick else 5
    fleet = fixtures.make_fleet(count)
    spec = spec_from_data({"version": 1, "notebooks": fleet.spec}, file="<bench>")
    by_id = {doc["id"]: doc for doc in fleet.observed}
    by_name = {doc["name"]: doc for doc in fleet.observed}
    observations: dict[str, Any] = {}
    for t in targets(spec):
        doc = by_id.get(t.notebook_id or "") if t.notebook_id else by_name.get(t.notebook_name or "")
        if doc is not None:
            observations[t.name] = Found(doc, "<bench>")
    from reconcile._core.observation import Missing

    for t in targets(spec):
        observations.setdefault(t.name, Missing("not in the fleet"))
    config.log(f"policy: {count} notebooks, {len(fleet.observed)} observed, {rounds} rounds")
    observed = observed_state(build_plan(spec, observations), observations)
    with_cel = Policy(custom=(CEL_RULE,))
    bodies = list(fleet.observed)

    def decode_all() -> object:
        return [decode_notebook(b) for b in bodies]

    def builtin() -> object:
        return evaluate(spec, Policy(), now=NOW, observed=observed)

    def builtin_cel() -> object:
        return evaluate(spec, with_cel, now=NOW, observed=observed)

    def builtin_findings() -> object:
        return evaluate(spec, Policy(), now=NOW, observed=observed).findings

    report = builtin_cel()
    cel_results = sum(1 for f in report.findings if f.rule == "BENCH001")  # type: ignore[attr-defined]
    runs = interleaved(
        {
            "decode": decode_all,
            "builtin": builtin,
            "builtin_cel": builtin_cel,
            "builtin_findings": builtin_findings,
        },
        rounds=rounds,
        budget=0.0,
    )
    words = {
        "decode": "decode_notebook x fleet",
        "builtin": "built-in rules x fleet",
        "builtin_cel": "built-in + 1 CEL rule x fleet",
        "builtin_findings": "built-in rules + every Finding made x fleet",
    }
    measurements = [Measurement(f"fleet.{k}", v, label=words[k]) for k, v in runs.items()]
    ratio = Ratio(
        "fleet.builtin/decode",
        "fleet.builtin",
        "fleet.decode",
        per_round_ratios(runs["builtin"], runs["decode"]),
        label="built-in rules / decoding the same notebooks",
    )
    materialised = Ratio(
        "fleet.builtin_findings/decode",
        "fleet.builtin_findings",
        "fleet.decode",
        per_round_ratios(runs["builtin_findings"], runs["decode"]),
        label="built-in rules + every Finding made / decoding (not judged)",
    )
    cel_each = [
        (c - b) / max(cel_results, 1) for c, b in zip(runs["builtin_cel"], runs["builtin"], strict=True)
    ]
    measurements.append(
        Measurement("cel.per_rule_and_notebook", cel_each, label="one CEL rule, per notebook and state")
    )
    targets_ = [Target.judge("built-in rules <= decoding the fleet", ratio, 1.0)]
    profiles = {}
    if config.should_profile(targets_[0].status == "MISS"):
        profiles["built-in rules x fleet"] = profile_call(builtin)
    imported = _cel_import_seconds()
    return BenchResult(
        name="policy",
        title=TITLE,
        measurements=tuple(measurements),
        ratios=(ratio, materialised),
        targets=tuple(targets_),
        notes=(
            f"cel-python import: {imported * 1000:.0f} ms (fresh interpreter)"
            if imported
            else "cel-python not installed",
        ),
        details={
            "notebooks": count,
            "observed": len(fleet.observed),
            "rounds": rounds,
            "cel_results": cel_results,
            "cel_import_seconds": imported,
        },
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )
