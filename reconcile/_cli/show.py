"""`reconcile show PLAN.json`: render a saved JSON plan in any format."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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


def run(args: argparse.Namespace) -> int:
    """Read the plan and render it."""
    from reconcile._render import read_plan

    path = Path(args.plan)
    if path.is_dir():
        raise PlanFormatError(f"{path}: is a directory (expected a JSON plan file)")
    if path.exists() and not path.is_file():
        raise PlanFormatError(f"{path}: not a regular file (expected a JSON plan file)")
    plan = read_plan(path.read_bytes(), str(path))
    emit(args, plan)
    return EXIT_OK
