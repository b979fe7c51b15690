"""`reconcile show PLAN.json`: render a saved JSON plan in any format."""

from __future__ import annotations

import argparse
from typing import Any

from reconcile._cli.common import EXIT_OK, add_output_options, emit

__all__ = ["add"]


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `show` command."""
    p = commands.add_parser(
        "show",
        help="render a saved JSON plan in any format",
        description="Read a JSON plan written by `reconcile plan --format json` and render it.",
    )
    p.add_argument("plan", metavar="PLAN.json", help="a JSON plan file")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the plan (a regular file of at most `reconcile._api.MAX_PLAN_BYTES`) and render it."""
    from reconcile._api import read_plan

    plan = read_plan(args.plan)
    emit(args, plan)
    return EXIT_OK
