"""`python -m bench`: run the benchmarks, print a table, write the same as JSON.

Exit status 0 when every benchmark ran (whatever the targets say: benchmarks are not tests),
1 when a benchmark failed to run (its error is printed and recorded in the JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bench import BENCHMARKS
from bench.machine import describe
from bench.measure import BenchResult, Config, Measurement, Status

__all__ = ["DEFAULT_JSON", "FORMAT_VERSION", "format_quantity", "format_ratio", "main", "render_table"]

#: Where results go unless `--json PATH` says otherwise (git-ignored).
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
#: Version of the JSON document's shape.
FORMAT_VERSION = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of modelarts-reconcile: medians, side-by-side ratios and targets.",
        epilog=f"benchmarks: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny inputs and few rounds: proves every benchmark runs (seconds); numbers not meaningful",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="write the results here (default bench/results/latest.json)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this benchmark (repeat, or separate with commas)",
    )
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile the slow side of targets: auto = missed targets in full mode (default)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _selected(only: Sequence[str] | None, parser: argparse.ArgumentParser) -> list[str]:
    if not only:
        return list(BENCHMARKS)
    wanted = {name.strip() for item in only for name in item.split(",") if name.strip()}
    unknown = sorted(wanted - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    return [name for name in BENCHMARKS if name in wanted]


# -- formatting -----------------------------------------------------------------------------------


def format_quantity(value: float, unit: str) -> str:
    """`value` in seconds (`"s"`), bytes (`"B"`) or a count (any other unit), with a readable unit."""
    if math.isnan(value):
        return "-"
    if unit not in ("s", "B"):  # a count (requests, say)
        return f"{value:g} {unit}"
    if unit == "B":
        for size, name in ((2.0**30, "GiB"), (2.0**20, "MiB"), (2.0**10, "KiB")):
            if abs(value) >= size:
                return f"{value / size:.1f} {name}"
        return f"{value:.0f} B"
    for scale, word in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {word}" if value / scale < 100 else f"{value / scale:.0f} {word}"
    return f"{value * 1e9:.0f} ns"


def format_ratio(value: float) -> str:
    """A ratio as `3.21x` (or `129x` from 100 up)."""
    return f"{value:.2f}x" if value < 100 else f"{value:.0f}x"


def _measurement_row(m: Measurement) -> str:
    spread = (
        f"{format_quantity(min(m.runs), m.unit)} .. {format_quantity(max(m.runs), m.unit)}, n={len(m.runs)}"
    )
    return f"    {m.label or m.name:<62} {format_quantity(m.median, m.unit):>10}  ({spread}, per {m.per})"


def render_table(results: Sequence[BenchResult], *, quick: bool) -> str:
    """The human-readable report: one block per benchmark, then every target with its verdict."""
    lines: list[str] = []
    for result in results:
        lines.append(f"== {result.name}: {result.title} ({result.seconds:.1f} s)")
        if result.error:
            lines.append(f"    ERROR: {result.error.strip().splitlines()[-1]}")
            lines.append("")
            continue
        lines.append("  medians")
        lines.extend(_measurement_row(m) for m in result.measurements)
        if result.ratios:
            lines.append("  ratios (median of per-round ratios, each round measured side by side)")
            for r in result.ratios:
                lines.append(
                    f"    {r.label or r.name:<62} {format_ratio(r.median):>10}  "
                    f"({format_ratio(min(r.runs))} .. {format_ratio(max(r.runs))})"
                )
        if result.targets:
            lines.append("  targets")
            for t in result.targets:
                value = format_ratio(t.value) if t.value is not None else "-"
                bound = f"{'<=' if t.at_most else '>='} {t.limit:g}x"
                why = f"  ({t.reason})" if t.reason else ""
                lines.append(f"    {t.status.value:<4}  {t.name:<58} {value:>8}  {bound}{why}")
        for key, which in (("stage_split", "JSON spec"), ("stage_split_yaml_spec", "YAML spec")):
            split = result.details.get(key)
            if not split:
                continue
            lines.append(f"  per-stage split of the plan ({which}): median time, share, per notebook, memory")
            for stage, part in split.items():
                memory = ""
                if "peak_rise_bytes" in part:
                    memory = (
                        f"  peak +{format_quantity(part['peak_rise_bytes'], 'B')},"
                        f" kept {format_quantity(part['retained_bytes'], 'B')}"
                    )
                took = format_quantity(part["seconds"], "s")
                lines.append(
                    f"    {stage:<20} {took:>10}  {part['share'] * 100:5.1f}%"
                    f"  {part['per_notebook_us']:8.1f} us/notebook{memory}"
                )
        offenders = result.details.get("importtime")
        if offenders:
            lines.append(
                f"  import time of our command: {offenders['total_ms']:.0f} ms over {offenders['modules']} "
                f"modules (the baseline's imports: {result.details['baseline_import_total_ms']:.0f} ms)"
            )
            lines.append(
                "    top-level imports by cumulative ms: "
                + ", ".join(
                    f"{o['module']} {o['cumulative_ms']:.1f}"
                    for o in offenders["top_level_by_cumulative_ms"][:8]
                )
            )
            lines.append(
                "    modules by own ms: "
                + ", ".join(f"{o['module']} {o['own_ms']:.1f}" for o in offenders["by_own_ms"][:8])
            )
        lines.extend(f"  note: {note}" for note in result.notes)
        lines.append("")
    verdicts = [(r.name, t) for r in results for t in r.targets]
    if verdicts:
        lines.append("== targets" + ("  (quick mode: tiny inputs, verdicts not meaningful)" if quick else ""))
        for name, t in verdicts:
            value = format_ratio(t.value) if t.value is not None else "-"
            lines.append(f"    {t.status.value:<4}  {name:<14} {t.name:<58} {value:>8}")
        counts = {s: sum(1 for _, t in verdicts if t.status is s) for s in Status}
        lines.append("    " + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n))
    for result in results:
        for what, text in result.profiles.items():
            lines.append("")
            lines.append(f"== profile [{result.name}] {what}")
            lines.append(text)
    return "\n".join(lines) + "\n"


# -- running --------------------------------------------------------------------------------------


def _run_one(name: str, config: Config) -> BenchResult:
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        result: BenchResult = module.run(config)
    except Exception:  # one failing benchmark must not hide the others' numbers
        return BenchResult(
            name=name, title="failed", seconds=time.perf_counter() - started, error=traceback.format_exc()
        )
    return result


def _document(
    results: Sequence[BenchResult],
    *,
    quick: bool,
    started: dt.datetime,
    seconds: float,
    machine: dict[str, Any],
    argv: Sequence[str],
) -> dict[str, Any]:
    targets = [{"benchmark": r.name, **t.to_json()} for r in results for t in r.targets]
    return {
        "format_version": FORMAT_VERSION,
        "mode": "quick" if quick else "full",
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": seconds,
        "argv": list(argv),
        "machine": machine,
        "benchmarks": {r.name: r.to_json() for r in results},
        "summary": {
            "targets": targets,
            **{s.value.lower(): sum(1 for t in targets if t["status"] == s.value) for s in Status},
            "errors": [r.name for r in results if r.error],
        },
    }


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the selected benchmarks; print the table on `out`, progress on `err`; write the JSON."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = _parser()
    args = parser.parse_args(argv)
    names = _selected(args.only, parser)

    def log(line: str) -> None:
        if not args.quiet:
            err.write(f"[bench] {line}\n")
            err.flush()

    config = Config(quick=args.quick, profile=args.profile, log=log)
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    machine = describe()
    results = [_run_one(name, config) for name in names]
    seconds = time.perf_counter() - clock
    out.write(render_table(results, quick=args.quick))
    out.write(
        f"\n{len(results)} benchmark{'s' if len(results) != 1 else ''} in {seconds:.1f} s "
        f"({'quick' if args.quick else 'full'} mode) on {machine['cpu_model']}, "
        f"{machine['cpus_usable']} cores, Python {machine['python']}\n"
    )
    document = _document(
        results,
        quick=args.quick,
        started=started,
        seconds=seconds,
        machine=machine,
        argv=sys.argv[1:] if argv is None else argv,
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    out.write(f"results written to {args.json}\n")
    for result in results:
        if result.error:
            err.write(f"bench: {result.name} failed:\n{result.error}")
    return 1 if any(r.error for r in results) else 0
