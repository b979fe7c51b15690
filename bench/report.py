"""`python -m bench.report [RESULTS.json]`: the results as Markdown tables, for bench/README.md.

Reads a JSON document written by `python -m bench` (default `bench/results/latest.json`) and prints
the targets with their verdicts, then every median, one table per benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.cli import DEFAULT_JSON, format_quantity, format_ratio

__all__ = ["main", "markdown"]


def markdown(document: dict[str, Any]) -> str:
    """The targets table, then a medians table per benchmark, as Markdown."""
    machine = document["machine"]
    lines = [
        f"Measured {document['started_at'][:10]}, {document['mode']} mode ({document['seconds']:.0f} s), on "
        f"{machine['cpu_model']} ({machine['cpus_usable']} cores), {machine['python_implementation']} "
        f"{machine['python']}, commit `{machine['git_commit']}`"
        + (" with uncommitted changes in `reconcile/`" if machine.get("reconcile_dirty") else "")
        + ".",
        "",
        "| benchmark | target | limit | value | verdict |",
        "|---|---|---|---|---|",
    ]
    for t in document["summary"]["targets"]:
        value = format_ratio(t["value"]) if t["value"] is not None else "-"
        bound = f"{'<=' if t['bound'] == 'at_most' else '>='} {t['limit']:g}x"
        lines.append(f"| {t['benchmark']} | {t['name']} | {bound} | {value} | {t['status']} |")
    for name, result in document["benchmarks"].items():
        lines += [
            "",
            f"**{name}**: {result['title']}",
            "",
            "| measurement | median | min .. max | n |",
            "|---|---|---|---|",
        ]
        for m in result["measurements"].values():
            spread = f"{format_quantity(m['min'], m['unit'])} .. {format_quantity(m['max'], m['unit'])}"
            median = format_quantity(m["median"], m["unit"])
            lines.append(f"| {m['label']} (per {m['per']}) | {median} | {spread} | {m['n']} |")
        for r in result["ratios"].values():
            lines.append(
                f"| ratio: {r['label']} | {format_ratio(r['median'])} | "
                f"{format_ratio(r['min'])} .. {format_ratio(r['max'])} | {len(r['runs'])} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the Markdown for one results file."""
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=DEFAULT_JSON, help="default: %(default)s")
    args = parser.parse_args(argv)
    sys.stdout.write(markdown(json.loads(args.results.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
