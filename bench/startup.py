"""Benchmark 5: start-up: planning one notebook, the whole process, against importing our dependencies.

Timed round by round, each a fresh interpreter (`sys.executable`, the same environment):

- `python -m reconcile plan examples/cpu-notebook.yaml --observed examples/observed`;
- `python -c "import attrs, cattrs, urllib3, deepdiff, yaml"`: the floor for any tool built on
  these libraries. The target (issue 14): our whole command costs at most 1.1x that.

`python -X importtime` of our command gives the import offenders: the slowest top-level imports
(cumulative) and the modules with the most own import time.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import BenchResult, Config, Measurement, Ratio, Target, per_round_ratios
from bench.procs import python, python_env
from bench.profiling import format_stats

__all__ = ["BASELINE", "COMMAND", "importtime", "run"]

TITLE = "start-up: reconcile plan of one notebook (whole process) vs importing its dependencies"
#: Our command, after `python`.
COMMAND = ("-m", "reconcile", "plan", "examples/cpu-notebook.yaml", "--observed", "examples/observed")
#: The baseline, after `python`.
BASELINE = ("-c", "import attrs, cattrs, urllib3, deepdiff, yaml")
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)\s*$")


def _run(args: tuple[str, ...], *extra: str) -> subprocess.CompletedProcess[str]:
    proc = python([*extra, *args], env=python_env({"NO_COLOR": "1"}))
    if proc.returncode != 0:
        raise RuntimeError(
            f"python {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return proc


def _wall(args: tuple[str, ...]) -> float:
    start = time.perf_counter()
    _run(args)
    return time.perf_counter() - start


def importtime(args: tuple[str, ...] = COMMAND, top: int = 12) -> dict[str, Any]:
    """`python -X importtime ARGS`: the import offenders.

    Returns the total import time, the top-level imports by cumulative time and the modules by
    their own time, in milliseconds. A top-level import is one at depth 0 in the import tree (imported
    by the program itself, not by another module).
    """
    stderr = _run(args, "-X", "importtime").stderr
    rows = []
    for line in stderr.splitlines():
        found = _LINE.match(line)
        if found:
            own, cumulative, indent, module = found.groups()
            rows.append((module, int(own) / 1000, int(cumulative) / 1000, (len(indent)) // 2))
    top_level = [r for r in rows if r[3] == 0]
    ours = [r for r in rows if r[0] == "reconcile" or r[0].startswith("reconcile.")]
    return {
        "total_ms": sum(r[2] for r in top_level),
        "modules": len(rows),
        "top_level_by_cumulative_ms": [
            {"module": m, "cumulative_ms": c, "own_ms": o}
            for m, o, c, _ in sorted(top_level, key=lambda r: r[2], reverse=True)[:top]
        ],
        "by_own_ms": [
            {"module": m, "own_ms": o, "depth": d}
            for m, o, _, d in sorted(rows, key=lambda r: r[1], reverse=True)[:top]
        ],
        "reconcile_modules_by_own_ms": [
            {"module": m, "own_ms": o, "cumulative_ms": c}
            for m, o, c, _ in sorted(ours, key=lambda r: r[1], reverse=True)[:top]
        ],
    }


def _profile() -> str:
    """cProfile of the whole command in a subprocess (imports included)."""
    import pstats

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        out = Path(tmp) / "startup.prof"
        _run(("-m", "cProfile", "-o", str(out), *COMMAND))
        stats = pstats.Stats(str(out), stream=sys.stderr)
        return format_stats(stats, top=20)


def run(config: Config) -> BenchResult:
    """Time both processes round by round, read the import offenders, judge the target."""
    started = time.perf_counter()
    rounds = 3 if config.quick else 21
    _run(COMMAND)  # writes the bytecode caches (see bench.procs): no round pays for compiling
    _run(BASELINE)
    cases = {"reconcile_plan": COMMAND, "import_dependencies": BASELINE}
    runs: dict[str, list[float]] = {name: [] for name in cases}
    config.log(f"startup: {rounds} rounds")
    names = list(cases)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            runs[name].append(_wall(cases[name]))
    ratio = Ratio(
        "plan/imports",
        "reconcile_plan",
        "import_dependencies",
        per_round_ratios(runs["reconcile_plan"], runs["import_dependencies"]),
        label="reconcile plan (1 notebook) / importing the dependencies",
    )
    targets = [Target.judge("reconcile plan of one notebook <= 1.1x importing its dependencies", ratio, 1.1)]
    offenders = importtime()
    baseline_imports = importtime(BASELINE)
    profiles: dict[str, str] = {}
    if config.should_profile(targets[0].status == "MISS"):
        profiles["python -m cProfile -m reconcile plan (one notebook)"] = _profile()
    return BenchResult(
        name="startup",
        title=TITLE,
        measurements=(
            Measurement(
                "reconcile_plan",
                runs["reconcile_plan"],
                per="process",
                label="python -m reconcile plan cpu-notebook.yaml --observed ...",
            ),
            Measurement(
                "import_dependencies",
                runs["import_dependencies"],
                per="process",
                label='python -c "import attrs, cattrs, urllib3, deepdiff, yaml"',
            ),
        ),
        ratios=(ratio,),
        targets=tuple(targets),
        notes=("import times come from one `python -X importtime` run each (they vary run to run)",),
        details={
            "rounds": rounds,
            "importtime": offenders,
            "baseline_import_total_ms": baseline_imports["total_ms"],
            "baseline_importtime_top": baseline_imports["top_level_by_cumulative_ms"],
        },
        profiles=profiles,
        seconds=time.perf_counter() - started,
    )
