"""Benchmarks of modelarts-reconcile: `python -m bench` (see bench/README.md).

Each benchmark module (`decode`, `compare`, `fleet_floor`, `fleet_offline`, `fleet_live`,
`fleet_list`, `startup`, `policy`) has a `run(config) -> BenchResult`; `bench.cli` runs them, prints
a table of medians, ratios and targets, and writes the same as JSON. Every ratio is measured side
by side: both sides run in the same process or the same run, alternating round by round, and the
ratio is the median of the per-round ratios, so a burst of load from elsewhere on the machine hits
both sides alike.
"""

from __future__ import annotations

__all__ = ["BENCHMARKS", "main"]

#: The benchmark names, in the order they run and print.
BENCHMARKS = (
    "decode",
    "compare",
    "fleet_floor",
    "fleet_offline",
    "fleet_live",
    "fleet_list",
    "startup",
    "policy",
)


def main(argv: list[str] | None = None) -> int:
    """Run `python -m bench`; returns the exit status."""
    from bench.cli import main as cli_main

    return cli_main(argv)
