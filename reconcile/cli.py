"""The `reconcile` command line: argparse, `main(argv=None) -> int`.

Results go to stdout (or `--out`), diagnostics to stderr. Every error the user can cause ends as one
line on stderr and exit status 1, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconcile._version import __version__
from reconcile.exceptions import ReconcileError
from reconcile.schema import SCHEMA_NAMES, schema_text

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

_DESCRIPTION = """\
Compare Huawei Cloud ModelArts notebooks with a declarative spec and report the drift, the way
`terraform plan` does for infrastructure.
"""

_EPILOG = """\
examples:
  reconcile validate examples/*.yaml
  reconcile plan examples/*.yaml --observed examples/observed
  reconcile plan fleet.yaml --format json --out plan.json --detailed-exitcode
  reconcile show plan.json --format markdown
  reconcile schema spec > notebook-spec.schema.json

exit status (plan): 0 no changes, 1 error, 2 changes (with --detailed-exitcode)
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line plus a hint, with exit status 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\nTry '{self.prog} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `reconcile` and its subcommands."""
    parser = _Parser(
        prog="reconcile",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    schema = commands.add_parser(
        "schema",
        help="print a shipped JSON Schema (spec, notebook or plan)",
        description="Print one of the JSON Schemas shipped with modelarts-reconcile on stdout.",
    )
    schema.add_argument(
        "name",
        choices=sorted(SCHEMA_NAMES),
        help="spec: the desired-state file; notebook: the API response; plan: the JSON plan",
    )
    schema.set_defaults(func=_cmd_schema)
    return parser


def _cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text(args.name))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        status: int = args.func(args)
    except ReconcileError as exc:
        sys.stderr.write(f"reconcile: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("reconcile: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except OSError as exc:  # a file we were asked to read or write
        where = f" {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"reconcile: error:{where}: {exc.strerror or exc}\n")
        return EXIT_ERROR
    return status
