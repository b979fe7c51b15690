"""`reconcile show PLAN.json`: render a saved JSON plan in any format."""

from __future__ import annotations

import argparse
from typing import Any, Final

from reconcile._cli.common import EXIT_OK, add_output_options, emit
from reconcile._core.errors import PlanFormatError

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


#: The largest plan `show` reads: a 10,000-notebook plan is about 35 MB, so this is ~150,000 notebooks.
MAX_PLAN_BYTES: Final = 512 * 1024 * 1024


def run(args: argparse.Namespace) -> int:
    """Read the plan (a regular file of at most `MAX_PLAN_BYTES`) and render it."""
    from reconcile._files import FileRefused, read_bytes
    from reconcile._render import read_plan

    try:
        data = read_bytes(args.plan, what="a JSON plan file", limit=MAX_PLAN_BYTES)
    except FileRefused as exc:
        raise PlanFormatError(str(exc)) from None
    plan = read_plan(data, str(args.plan))
    emit(args, plan)
    return EXIT_OK
