"""The `reconcile` command line: argparse, `main(argv=None) -> int`.

Results go to stdout (or `--out`), diagnostics to stderr. Every error the user can cause ends as one
line on stderr and exit status 1, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconcile._core.errors import PlanFormatError, ReconcileError, SpecError
from reconcile._schema.files import SCHEMA_NAMES, schema_text
from reconcile._version import __version__

if TYPE_CHECKING:
    from reconcile._core.observation import Observation
    from reconcile._core.plan import Plan
    from reconcile._core.spec import Spec

__all__ = ["main", "write_atomically"]

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

exit status (plan): 0 success, 1 error; with --detailed-exitcode: 0 no changes, 1 error, 2 changes
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line plus a hint, with exit status 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\nTry '{self.prog} --help'.\n")


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

    _add_validate(commands)
    _add_plan(commands)
    _add_show(commands)
    _add_emulator(commands, full=argv is None or "emulator" in argv)

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


_FORMAT_HELP = (
    "text (Terraform's look), json (terraform show -json shape), markdown (PR comments), junit (CI)"
)


def _add_validate(commands: argparse._SubParsersAction[Any]) -> None:
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
    p.set_defaults(func=_cmd_validate)


def _add_plan(commands: argparse._SubParsersAction[Any]) -> None:
    p = commands.add_parser(
        "plan",
        help="compare notebooks with the spec and show the drift",
        description="Compare each notebook of the spec with what is observed and show what would change.\n"
        "Offline with --observed (saved API responses); live against the ModelArts API otherwise.",
        epilog="exit status: 0 success (with --detailed-exitcode: no changes), 1 error, "
        "2 changes present (--detailed-exitcode only).\n"
        "An error for one notebook gives 1, and the plan for the others is still written.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.yaml, .yml, .json, .toml); merged")
    p.add_argument(
        "--observed",
        metavar="PATH",
        type=_path_text,
        help="offline: a JSON file or a directory of saved GET or list responses",
    )
    _add_output_options(p)
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes, 0 when there are none (as terraform plan)",
    )
    live = p.add_argument_group("live observation (without --observed)")
    _add_live_options(live)
    p.set_defaults(func=_cmd_plan)


def _add_show(commands: argparse._SubParsersAction[Any]) -> None:
    p = commands.add_parser(
        "show",
        help="render a saved JSON plan in any format",
        description="Read a JSON plan written by `reconcile plan --format json` and render it.",
    )
    p.add_argument("plan", metavar="PLAN.json", help="a JSON plan file")
    _add_output_options(p)
    p.set_defaults(func=_cmd_show)


def _add_emulator(commands: argparse._SubParsersAction[Any], *, full: bool) -> None:
    p = commands.add_parser(
        "emulator",
        help="serve saved notebooks as a local ModelArts API (for demos and tests)",
        description="Serve notebooks from a directory of JSON files (GET bodies or list responses)\n"
        "under the real ModelArts paths, on loopback by default, with optional auth checks and\n"
        "injected faults.\n"
        "Prints its URL; pass it to `reconcile plan --endpoint URL`. Stop with Ctrl-C.",
        epilog="example:\n"
        "  EMULATOR_TOKEN=demo-token reconcile emulator --data examples/observed --port 8080\n"
        "  MODELARTS_AUTH_TOKEN=demo-token \\\n"
        "    reconcile plan examples/*.yaml --endpoint http://127.0.0.1:8080",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if full:
        from reconcile._emulator import server as emulator

        emulator.add_arguments(p)
        p.set_defaults(func=emulator.run)


def _add_output_options(p: argparse.ArgumentParser) -> None:
    from reconcile._render import FORMATS

    p.add_argument("--format", choices=FORMATS, default="text", help=_FORMAT_HELP)
    p.add_argument(
        "--out", metavar="FILE", type=_path_text, help="write to FILE (atomically) instead of stdout"
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no ANSI colours (also when NO_COLOR is set or the output is not a terminal)",
    )
    p.add_argument(
        "--artifact-name",
        default="plan.json",
        metavar="NAME",
        help="the JSON plan artifact Markdown output points to when it truncates (default plan.json)",
    )


def _add_live_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--endpoint",
        metavar="URL",
        help="ModelArts endpoint (default: https://modelarts.{region}.myhuaweicloud.com)",
    )
    g.add_argument("--region", metavar="R", help="region, e.g. cn-north-4 (or HW_REGION_NAME)")
    g.add_argument(
        "--project-id",
        metavar="ID",
        help="project id (or the spec's project_id, HUAWEICLOUD_SDK_PROJECT_ID, HW_PROJECT_ID)",
    )
    g.add_argument(
        "--parallelism",
        type=_positive_int,
        default=10,
        metavar="N",
        help="requests in flight at once (default 10)",
    )
    g.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify the endpoint's certificate")


def _path_text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _print_spec_problems(exc: SpecError) -> int:
    for problem in exc.problems:
        sys.stderr.write(f"{problem}\n")
    count = len(exc.problems)
    sys.stderr.write(f"reconcile: {count} problem{'s' if count != 1 else ''} found\n")
    return EXIT_ERROR


def _cmd_validate(args: argparse.Namespace) -> int:
    from reconcile._specfile.load import load_spec

    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        return _print_spec_problems(exc)
    count = len(spec.entries)
    files = len(spec.files)
    sys.stdout.write(
        f"Valid: {count} notebook{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}.\n"
    )
    return EXIT_OK


def _use_color(args: argparse.Namespace) -> bool:
    if args.no_color or os.environ.get("NO_COLOR") or args.format != "text" or args.out:
        return False
    return sys.stdout.isatty()


def _emit(args: argparse.Namespace, plan: Plan) -> None:
    from reconcile._render import render

    document = render(plan, args.format, color=_use_color(args), artifact_name=args.artifact_name)
    if args.out:
        write_atomically(Path(args.out), document)
    else:
        sys.stdout.write(document)
        sys.stdout.flush()


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    Raises:
        OSError: naming `path` (never the temporary file) when it cannot be written.
    """
    if path.exists() and not path.is_file() and not path.is_dir():
        # /dev/stdout, a FIFO, a device: no rename over it, write through.
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    if path.is_symlink():
        path = path.resolve()  # write where the link points; the link itself stays
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory (expected a file name)", str(path))
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no such directory {str(directory)!r}", str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the old file's).
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _observe(args: argparse.Namespace, spec: Spec) -> tuple[dict[str, Observation], tuple[str, ...]]:
    """The observations, and the observed inputs that could not be used (files under --observed)."""
    from reconcile._planning.planner import targets

    if args.observed:
        from reconcile._observe.offline import load_observed, observe_offline

        index = load_observed(args.observed)
        return observe_offline(targets(spec), index), index.unreadable
    from reconcile._observe import live

    wanted = targets(spec)
    progress = _Progress(len(wanted)) if sys.stderr.isatty() else None
    try:
        return live.observe_for_cli(args, spec, wanted, progress=progress), ()
    finally:
        if progress is not None:
            progress.finish()


class _Progress:
    """A one-line progress counter on stderr (only used when stderr is a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def __call__(self, *_: object) -> None:
        self.done += 1
        sys.stderr.write(f"\robserving notebooks: {self.done}/{self.total}")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.done:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _cmd_plan(args: argparse.Namespace) -> int:
    from reconcile._planning.planner import build_plan
    from reconcile._specfile.load import load_spec

    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        return _print_spec_problems(exc)
    observations, unusable = _observe(args, spec)
    plan = build_plan(spec, observations)
    _emit(args, plan)
    for error in plan.errors:
        sys.stderr.write(f"reconcile: error: {error.address}: {error.message}\n")
    for problem in unusable:  # a file under --observed that could not be read: said even if unneeded
        sys.stderr.write(f"reconcile: error: observed input: {problem}\n")
    if plan.errors or unusable:
        return EXIT_ERROR
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from reconcile._render import read_plan

    path = Path(args.plan)
    if path.is_dir():
        raise PlanFormatError(f"{path}: is a directory (expected a JSON plan file)")
    if path.exists() and not path.is_file():
        raise PlanFormatError(f"{path}: not a regular file (expected a JSON plan file)")
    plan = read_plan(path.read_bytes(), str(path))
    _emit(args, plan)
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text(args.name))
    return EXIT_OK


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
