"""What every command shares: exit statuses, argument types, option groups, diagnostics, output.

Results go to stdout (or `--out`), diagnostics to stderr through `diagnose`, which escapes control
characters so that text from a spec, a file name or the service cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from reconcile._core.errors import SpecError

if TYPE_CHECKING:
    from reconcile._core.plan import Plan
    from reconcile._modelarts.settings import ClientSettings

__all__ = [
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "add_live_options",
    "add_out_and_color",
    "add_output_options",
    "diagnose",
    "duration_seconds",
    "emit",
    "live_settings",
    "parallelism",
    "path_text",
    "positive_int",
    "print_spec_problems",
    "safe_text",
    "use_color",
    "write_output",
]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_CHANGES: Final = 2
EXIT_INTERRUPTED: Final = 130

_FORMAT_HELP = (
    "text (Terraform's look), json (terraform show -json shape), markdown (PR comments), junit (CI)"
)


def safe_text(text: str) -> str:
    """`text` with control and bidi characters shown as escapes, safe to print on a terminal.

    The same escaping the text plan uses on stdout (`reconcile._render.common.terminal_safe`).
    """
    from reconcile._render.common import terminal_safe

    return terminal_safe(text)


def diagnose(message: str) -> None:
    """Write one diagnostic line to stderr, escaped (the message may quote untrusted text)."""
    sys.stderr.write(f"{safe_text(message)}\n")


def path_text(text: str) -> str:
    """An argparse type: a non-blank path."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return text


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def parallelism(text: str) -> int:
    """An argparse type: requests in flight, from 1 to `MAX_PARALLELISM`."""
    from reconcile._modelarts.defaults import MAX_PARALLELISM

    value = positive_int(text)
    if value > MAX_PARALLELISM:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_PARALLELISM}, got {text!r}")
    return value


def print_spec_problems(exc: SpecError) -> int:
    """Print every spec problem, one per line, and a count; returns the error exit status."""
    for problem in exc.problems:
        diagnose(str(problem))
    count = len(exc.problems)
    diagnose(f"reconcile: {count} problem{'s' if count != 1 else ''} found")
    return EXIT_ERROR


def add_out_and_color(p: argparse.ArgumentParser) -> None:
    """`--out FILE` (written atomically) and `--no-color`, as every command with output takes them."""
    p.add_argument(
        "--out", metavar="FILE", type=path_text, help="write to FILE (atomically) instead of stdout"
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no ANSI colours (also when NO_COLOR is set or the output is not a terminal)",
    )


def write_output(args: argparse.Namespace, text: str) -> None:
    """`text` to `--out` (atomically) or to stdout."""
    from reconcile._cli.output import write_atomically

    if args.out:
        write_atomically(Path(args.out), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def add_output_options(p: argparse.ArgumentParser) -> None:
    """`--format`, `--out`, `--no-color` and `--artifact-name`, as plan and show take them."""
    from reconcile._render import FORMATS

    p.add_argument("--format", choices=FORMATS, default="text", help=_FORMAT_HELP)
    add_out_and_color(p)
    p.add_argument(
        "--artifact-name",
        default="plan.json",
        metavar="NAME",
        help="the JSON plan artifact Markdown output points to when it truncates (default plan.json)",
    )


def add_live_options(g: argparse._ArgumentGroup) -> None:
    """The options of live observation (endpoint, region, project, parallelism, CA bundle, deadline)."""
    from reconcile._modelarts.defaults import DEFAULT_PARALLELISM, DEFAULT_REQUEST_TIMEOUT, MAX_PARALLELISM

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
        type=parallelism,
        default=DEFAULT_PARALLELISM,
        metavar="N",
        help=f"requests in flight at once (default {DEFAULT_PARALLELISM}, at most {MAX_PARALLELISM})",
    )
    g.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify the endpoint's certificate")
    g.add_argument(
        "--request-timeout",
        type=duration_seconds,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="DURATION",
        help="longest one API call may take, retries included, e.g. 30s or 2m "
        f"(default {DEFAULT_REQUEST_TIMEOUT:g}s)",
    )


def live_settings(args: argparse.Namespace, project_id: str | None) -> ClientSettings:
    """The live connection settings of the parsed options, the spec's project id and the environment."""
    from reconcile._modelarts.settings import ClientSettings

    return ClientSettings.from_options(
        env=os.environ,
        endpoint=args.endpoint,
        region=args.region,
        project_id=args.project_id or project_id,
        ca_bundle=args.ca_bundle,
        request_timeout=args.request_timeout,
        parallelism=args.parallelism,
    )


def duration_seconds(text: str) -> float:
    """A positive duration in seconds: `30` (seconds), `30s`, `2m`, `1m30s`, `500ms`."""
    from reconcile._core.normalize import parse_duration
    from reconcile._modelarts.defaults import MAX_TIMEOUT

    stripped = text.strip()
    try:
        if len(stripped) > 32:
            raise ValueError(stripped)
        seconds = float(stripped) if stripped.isdigit() else parse_duration(stripped) / 1000
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a duration such as 30s or 2m, got {text!r}") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive duration, got {text!r}")
    if seconds > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"expected a duration of at most 24h, got {text!r}")
    return seconds


def use_color(args: argparse.Namespace) -> bool:
    """Colour only for text on a terminal, and never with --no-color, NO_COLOR or --out."""
    if args.no_color or os.environ.get("NO_COLOR") or args.format != "text" or args.out:
        return False
    return sys.stdout.isatty()


def emit(args: argparse.Namespace, plan: Plan) -> None:
    """Render `plan` as `--format` says, to `--out` (atomically) or stdout."""
    from reconcile._render import render

    if args.out and args.format == "json":  # streamed into the temporary file: never held whole
        from reconcile._cli.output import write_atomically
        from reconcile._render.jsonplan import render_chunks

        write_atomically(Path(args.out), render_chunks(plan))
        return
    write_output(args, render(plan, args.format, color=use_color(args), artifact_name=args.artifact_name))


def parse_now(text: str, *, option: str = "--now") -> dt.datetime:
    """An RFC 3339 time with an offset (`2026-12-01T09:00:00Z`), as aware UTC to the second.

    Raises:
        ConfigError: not RFC 3339, no offset, or outside what a date can hold once in UTC.
    """
    from reconcile._core.errors import ConfigError

    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option} {text!r}: not an RFC 3339 time (expected e.g. 2026-12-01T09:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise ConfigError(f"{option} {text!r}: no time zone (add Z or an offset such as +08:00)")
    try:
        return value.astimezone(dt.UTC).replace(microsecond=0)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ConfigError(f"{option} {text!r}: out of range (years 1 to 9999 in UTC)") from None


def source_date_epoch(env: Mapping[str, str] | None = None) -> dt.datetime | None:
    """`SOURCE_DATE_EPOCH` as aware UTC, or None when it is not set (reproducible builds' convention).

    Raises:
        ConfigError: set, but not a whole number of seconds (digits only) a date can hold.
    """
    from reconcile._core.errors import ConfigError

    text = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH")
    if text is None:
        return None
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit():
        raise ConfigError(f"SOURCE_DATE_EPOCH={text[:40]!r}: expected a whole number of seconds")
    try:
        if len(digits) > 12:
            raise OverflowError(digits)
        return dt.datetime.fromtimestamp(int(digits), tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ConfigError(f"SOURCE_DATE_EPOCH={text[:40]!r}: out of range (years 1970 to 9999)") from None


def evaluation_time(now: dt.datetime | None, env: Mapping[str, str] | None = None) -> dt.datetime:
    """`--now` (already parsed), else `SOURCE_DATE_EPOCH`, else the clock; aware UTC to the second."""
    if now is not None:
        return now
    return source_date_epoch(env) or dt.datetime.now(dt.UTC).replace(microsecond=0)


def rfc3339_text(when: dt.datetime) -> str:
    """`2026-12-01T09:00:00Z`: how every output writes a time."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
