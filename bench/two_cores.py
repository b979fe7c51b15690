"""Experiment (issue 14's last lever): does a fleet's offline plan gain from both cores?

`python -m bench.two_cores [--count 10000] [--rounds 5]` writes a fleet in sync (one list file, a
JSON spec), then alternates fresh interpreters, round by round:

- one: the spec and the observed file loaded, then `build_plan` and the JSON plan's text, in one
  process;
- two: the same loading, then two forked children, each planning and writing the text of half the
  entries (a contiguous half, as a split would take them) and sending it through a pipe.

The two-process side does not stitch its halves into one document, so it is a lower bound of what
a split would cost. It prints each side's median time of the planning and rendering (the part a
split shares out), and the ratio two / one of each round. Not part of `python -m bench`: it is not
a target, and its answer depends on whether the other core is free (measured both ways in
bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]


def _work(spec: object, found: object) -> str:
    from reconcile._planning.planner import build_plan
    from reconcile._render.jsonplan import render_chunks

    plan = build_plan(spec, found, spec_files=())  # type: ignore[arg-type]
    return "".join(render_chunks(plan))


def _side(side: str, spec_path: str, observed_path: str) -> dict[str, float]:
    """One measured run of `side` in this (fresh) interpreter."""
    import attrs

    from reconcile._observe.offline import load_observed, observe_offline
    from reconcile._planning.planner import targets
    from reconcile._specfile.load import load_spec

    gc.disable()  # as `reconcile plan` plans
    spec = load_spec([spec_path])
    found = observe_offline(targets(spec), load_observed(observed_path))
    started = time.perf_counter()
    if side == "one":
        size = len(_work(spec, found))
    else:
        half = (len(spec.entries) + 1) // 2
        children = []
        for part in (spec.entries[:half], spec.entries[half:]):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: plan its half, send the text, leave without clean-up
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    out.write(_work(attrs.evolve(spec, entries=part), found).encode())
                os._exit(0)
            os.close(write)
            children.append((pid, read))
        size = 0
        for pid, read in children:
            with os.fdopen(read, "rb") as got:
                size += len(got.read())
            os.waitpid(pid, 0)
    return {"seconds": time.perf_counter() - started, "chars": size}


def main(argv: list[str] | None = None) -> int:
    """Run the experiment, or (with `--side`) one measured side of it."""
    parser = argparse.ArgumentParser(prog="python -m bench.two_cores", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="notebooks in the fleet")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds of each side")
    parser.add_argument("--side", choices=("one", "two"), help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(_side(args.side, *args.files)))
        return 0
    from bench import fixtures
    from bench.procs import python

    with tempfile.TemporaryDirectory(prefix="bench-two-cores-") as tmp:
        fleet = fixtures.make_fleet(args.count, drift=False)
        spec, observed = Path(tmp, "spec.json"), Path(tmp, "observed.json")
        fixtures.write_spec(spec, fleet.spec)
        fixtures.write_list_response(observed, fleet.observed)
        del fleet
        runs: dict[str, list[float]] = {"one": [], "two": []}
        for round_ in range(args.rounds):
            order = ("one", "two") if round_ % 2 == 0 else ("two", "one")
            for side in order:
                proc = python(["-m", "bench.two_cores", "--side", side, "--files", str(spec), str(observed)])
                if proc.returncode != 0:
                    print(f"the {side} side failed: {proc.stderr.strip()[-2000:]}", file=sys.stderr)
                    return 1
                runs[side].append(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])
    ratios = [two / one for one, two in zip(runs["one"], runs["two"], strict=True)]
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.2f}, {os.cpu_count()} cores, {args.count} notebooks")
    for side, values in runs.items():
        shown = [round(v, 3) for v in values]
        print(f"{side}: plan + JSON text, median {statistics.median(values):.3f} s ({shown})")
    print(f"two / one: median {statistics.median(ratios):.2f}x (rounds: {[round(r, 2) for r in ratios]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
