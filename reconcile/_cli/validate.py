"""`reconcile validate SPEC...`: check spec files without observing anything."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconcile._cli.common import EXIT_OK, print_spec_problems
from reconcile._core.errors import SpecError

__all__ = ["add"]


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `validate` command."""
    p = commands.add_parser(
        "validate",
        help="check spec files without observing anything",
        description="Check spec files: syntax, types, unknown keys, values, identities and\n"
        "ignore_changes paths.\n"
        "Every problem is printed on stderr as FILE:LINE: dotted.path: what is wrong (what was expected).",
        epilog="exit status: 0 valid, 1 problems found",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.yaml, .yml, .json, .toml); merged")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the specs; print every problem, or how many notebooks and files are valid."""
    from reconcile._specfile.load import load_spec

    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        return print_spec_problems(exc)
    count = len(spec.entries)
    files = len(spec.files)
    sys.stdout.write(
        f"Valid: {count} notebook{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}.\n"
    )
    return EXIT_OK
