"""The `reconcile` command line: the parser of every command, and `main(argv=None) -> int`.

Each command lives in its own module (`validate`, `plan`, `show`, `schema`, `emulator`) with an
`add(commands)` that declares it and a `run(args) -> int`. Results go to stdout (or `--out`),
diagnostics to stderr. Every error the user can cause ends as one line on stderr and exit status 1,
never as a traceback.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence

from reconcile._cli import apply, check, emulator, generate, plan, schema, show, validate
from reconcile._cli.common import EXIT_ERROR, EXIT_INTERRUPTED, diagnose, safe_text
from reconcile._core.errors import ReconcileError
from reconcile._version import __version__

__all__ = ["build_parser", "main"]

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
  reconcile apply --plan plan.json --auto-approve
  reconcile schema spec > notebook-spec.schema.json

exit status (plan): 0 success, 1 error; with --detailed-exitcode: 0 no changes, 1 error, 2 changes
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line plus a hint, with exit status 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # The message quotes the command line (an unrecognized argument, a file name): escaped.
        self.exit(EXIT_ERROR, f"{self.prog}: error: {safe_text(message)}\nTry '{self.prog} --help'.\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of `reconcile` and its subcommands.

    The emulator's options are added only when `argv` runs the emulator (or is not given), so the
    other commands start without importing the HTTP server.
    """
    parser = _Parser(
        prog="reconcile",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    validate.add(commands)
    plan.add(commands)
    apply.add(commands)
    check.add(commands)
    show.add(commands)
    emulator.add(commands, full=argv is None or "emulator" in argv)
    schema.add(commands)
    generate.add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):  # service text must never crash a non-UTF-8 terminal
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(arguments)
    args = parser.parse_args(arguments)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        status: int = args.func(args)
    except ReconcileError as exc:
        diagnose(f"reconcile: error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        diagnose("reconcile: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    except OSError as exc:  # a file we were asked to read or write
        where = f"{exc.filename}: " if exc.filename else ""
        diagnose(f"reconcile: error: {where}{exc.strerror or exc}")
        return EXIT_ERROR
    return status
