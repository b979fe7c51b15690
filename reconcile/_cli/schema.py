"""`reconcile schema NAME`: print a shipped JSON Schema."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconcile._cli.common import EXIT_OK
from reconcile._schema.files import SCHEMA_NAMES, schema_text

__all__ = ["add"]


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `schema` command."""
    p = commands.add_parser(
        "schema",
        help="print a shipped JSON Schema (spec, notebook, plan, policy, waivers, report)",
        description="Print one of the JSON Schemas shipped with modelarts-reconcile on stdout.",
    )
    p.add_argument(
        "name",
        choices=sorted(SCHEMA_NAMES),
        help="spec: the desired-state file; notebook: the API response; plan: the JSON plan; "
        "policy, waivers: the check input files; report: the JSON compliance report",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema."""
    sys.stdout.write(schema_text(args.name))
    return EXIT_OK
