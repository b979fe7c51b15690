"""Benchmark 2: comparing one notebook with its spec entry, against a bare DeepDiff and the decode.

`reconcile._planning.compare.compare(entry, notebook)` is timed for the rich notebook (already decoded)
against two spec entries built with `reconcile._specfile.load.spec_from_data`: one stating every managed
field with the observed value (no drift), one with four differences (flavor, SSH allow-list,
capacity, lease). The baselines, timed round-robin in the same process:

- `deepdiff.DeepDiff(observed, desired)` of the raw dicts: the observed JSON dict against a
  desired dict shaped like it (an equal copy, or the copy with the same four differences). It is
  the cost of diffing the documents with no normalisation and no plan: the simplest thing that
  could claim to detect drift.
- `decode_for_plan(body)` of the same response, the way a plan reads it (the notebook and its JSON,
  the plan's `before`, in one pass, which also looks for echoes of the token in the strings it
  writes): the target (issue 14) is that a no-drift compare costs at most half of decoding it, so
  planning a notebook is dominated by reading it, not by comparing it. The compared notebook is
  decoded the same way, as `build_plan` decodes it, so compare() finds its `before` made and the
  echo check done (which moved from compare into that pass: bench/README.md gives both sides'
  instruction counts, and their sum).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from deepdiff import DeepDiff

from bench import fixtures
from bench.measure import BenchResult, Config, Measurement, Ratio, Target, interleaved, per_round_ratios
from bench.profiling import profile_call
from reconcile._codec.observed import decode_for_plan
from reconcile._core.plan import Action
from reconcile._core.spec import SpecEntry
from reconcile._planning.compare import compare
from reconcile._specfile.load import spec_from_data

__all__ = ["run"]

TITLE = "compare one notebook with its spec: compare() vs bare DeepDiff and vs decoding it"


def _entry(name: str, settings: dict[str, Any]) -> SpecEntry:
    spec = spec_from_data({"version": 1, "notebooks": {name: settings}}, file="<bench>")
    return spec.entries[0]


def run(config: Config) -> BenchResult:
    """Time compare() with and without drift, DeepDiff of the raw dicts, and the decode."""
    started = time.perf_counter()
    rounds, budget = (3, 0.004) if config.quick else (15, 0.05)
    body = fixtures.rich_body()
    raw: dict[str, Any] = json.loads(body)
    notebook = decode_for_plan(body)
    same = _entry("bench", fixtures.matching_spec(raw))
    drifted = _entry("bench", fixtures.drifted_spec(raw))
    no_drift_change = compare(same, notebook)
    drift_change = compare(drifted, notebook)
    if no_drift_change.actions != (Action.NO_OP,) or drift_change.actions == (Action.NO_OP,):
        raise AssertionError(  # the inputs are wrong, so the timings would mean nothing
            f"expected no-op and a change, got {no_drift_change.actions} and {drift_change.actions}"
        )
    desired_same = json.loads(body)
    desired_drift = fixtures.drift_in_observed_shape(raw)
    if DeepDiff(raw, desired_same) or not DeepDiff(raw, desired_drift):
        raise AssertionError("the DeepDiff baseline inputs are wrong")
    cases: dict[str, Callable[[], object]] = {
        "compare_no_drift": lambda: compare(same, notebook),
        "compare_drift": lambda: compare(drifted, notebook),
        "deepdiff_no_drift": lambda: DeepDiff(raw, desired_same),
        "deepdiff_drift": lambda: DeepDiff(raw, desired_drift),
        "decode_notebook": lambda: decode_for_plan(body),
    }
    words = {
        "compare_no_drift": "compare(), no drift",
        "compare_drift": f"compare(), {len(drift_change.differences)} differences",
        "deepdiff_no_drift": "DeepDiff of raw dicts, equal",
        "deepdiff_drift": "DeepDiff of raw dicts, 4 changes",
        "decode_notebook": "decode_for_plan of the same body",
    }
    config.log(f"compare: rich body ({len(body)} B), {rounds} rounds")
    runs = interleaved(cases, rounds=rounds, budget=budget)
    measurements = [Measurement(name, values, label=words[name]) for name, values in runs.items()]
    vs_decode = Ratio(
        "no_drift.compare/decode",
        "compare_no_drift",
        "decode_notebook",
        per_round_ratios(runs["compare_no_drift"], runs["decode_notebook"]),
        label="compare (no drift) / decode_for_plan",
    )
    ratios = [
        vs_decode,
        Ratio(
            "drift.compare/decode",
            "compare_drift",
            "decode_notebook",
            per_round_ratios(runs["compare_drift"], runs["decode_notebook"]),
            label="compare (drift) / decode_for_plan",
        ),
        Ratio(
            "no_drift.compare/deepdiff",
            "compare_no_drift",
            "deepdiff_no_drift",
            per_round_ratios(runs["compare_no_drift"], runs["deepdiff_no_drift"]),
            label="compare / bare DeepDiff, no drift",
        ),
        Ratio(
            "drift.compare/deepdiff",
            "compare_drift",
            "deepdiff_drift",
            per_round_ratios(runs["compare_drift"], runs["deepdiff_drift"]),
            label="compare / bare DeepDiff, drift",
        ),
    ]
    targets = [Target.judge("no-drift compare <= 0.5x decode of the same response", vs_decode, 0.5)]
    profiles: dict[str, str] = {}
    if config.should_profile(targets[0].status == "MISS"):
        profiles["compare(), no drift x1000"] = profile_call(
            lambda: [compare(same, notebook) for _ in range(1000)]
        )
    if config.profile == "always" or (not config.quick and config.profile == "auto"):
        profiles["compare(), drift x1000"] = profile_call(
            lambda: [compare(drifted, notebook) for _ in range(1000)]
        )
    return BenchResult(
        name="compare",
        title=TITLE,
        measurements=tuple(measurements),
        ratios=tuple(ratios),
        targets=tuple(targets),
        notes=(
            "DeepDiff compares every field of the raw documents with no normalisation (CIDRs, "
            "durations, sets, aliases) and builds no plan; compare() normalises the stated fields "
            "and builds the ResourceChange (before/after documents included).",
        ),
        details={
            "body_bytes": len(body),
            "differences_in_drift_case": len(drift_change.differences),
            "rounds": rounds,
            "batch_seconds": budget,
        },
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )
