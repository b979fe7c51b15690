"""`reconcile generate`: write a spec from the notebooks that exist, for adopting them in one command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconcile._cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_live_options,
    diagnose,
    path_text,
    print_spec_problems,
)
from reconcile._core.errors import ConfigError, SpecError

if TYPE_CHECKING:
    from reconcile._core.observation import Found
    from reconcile._core.spec import Spec
    from reconcile._planning.generate import Note

__all__ = ["add", "generation_time", "run"]

_EPILOG = """\
examples:
  reconcile generate --observed examples/observed --out adopted.yaml
  reconcile generate --observed examples/observed --name 'vision-*' --format toml
  reconcile generate --unmanaged --spec fleet.yaml --region cn-north-4 --out new.yaml

Failed notebooks (ERROR, START_FAILED, ...) are left out with a warning: a failed notebook is drift
whatever the spec says. DELETED and DELETING notebooks are never generated. The notebook token is
never written.

exit status: 0 the spec was written, 1 an error (a bad option, spec or input; an --id that names no
notebook; a body that cannot be decoded: the spec for the other notebooks is still written)
"""


#: The spec formats `--format` offers: those `reconcile._specfile.write` writes (a test keeps them
#: equal), spelled here so that building the parser does not import the writers and PyYAML.
FORMATS = ("yaml", "json", "toml")


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `generate` command."""
    p = commands.add_parser(
        "generate",
        help="write a spec from the notebooks that exist (adopt them)",
        description="Write a version-1 spec for existing notebooks: identity by id, every managed field\n"
        "stated, so that planning it against the same notebooks shows no changes.\n"
        "Offline with --observed (saved API responses); live from the list API otherwise.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--observed",
        metavar="PATH",
        type=path_text,
        help="offline: a JSON file or a directory of saved GET or list responses",
    )
    p.add_argument("--id", action="append", default=[], metavar="ID", help="only this notebook (repeatable)")
    p.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="GLOB",
        help="only notebooks whose name matches GLOB (fnmatch, case-sensitive; repeatable)",
    )
    p.add_argument(
        "--unmanaged",
        action="store_true",
        help="only notebooks that the specs of --spec do not manage yet (by id, or by name)",
    )
    p.add_argument(
        "--spec",
        nargs="+",
        action="extend",
        default=[],
        metavar="SPEC",
        help="with --unmanaged: the specs that manage notebooks already (their local names are kept free)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="yaml (the default, or as --out's extension says), json or toml",
    )
    p.add_argument(
        "--out", metavar="FILE", type=path_text, help="write to FILE (atomically) instead of stdout"
    )
    p.add_argument(
        "--now",
        metavar="TIME",
        help="the time the header states (RFC 3339, e.g. 2026-12-01T12:00:00Z); "
        "default SOURCE_DATE_EPOCH, else the clock",
    )
    live = p.add_argument_group("live observation (without --observed)")
    add_live_options(live)
    p.set_defaults(func=run)


def generation_time(now: str | None, env: Mapping[str, str]) -> str:
    """The header's time, RFC 3339 in UTC to the second: `--now`, else SOURCE_DATE_EPOCH, else the clock.

    Raises:
        ConfigError: `--now` is not an RFC 3339 time with an offset (in range), or SOURCE_DATE_EPOCH
            is not a whole number of seconds.
    """
    from reconcile._cli.common import evaluation_time, parse_now, rfc3339_text

    return rfc3339_text(evaluation_time(None if now is None else parse_now(now), env))


def _format(args: argparse.Namespace) -> str:
    """`--format`, else the format `--out`'s extension names, else yaml; a contradiction is an error."""
    from reconcile._specfile.load import EXTENSIONS

    by_extension = EXTENSIONS.get(Path(args.out).suffix.lower()) if args.out else None
    if args.format is None:
        return by_extension or "yaml"
    if by_extension is not None and by_extension != args.format:
        raise ConfigError(
            f"--out {args.out}: a {args.format} spec needs a name the loader reads as {args.format} "
            f"(the extension chooses the format)"
        )
    return str(args.format)


def _offline(path: str) -> tuple[list[Found], list[str], str]:
    from reconcile._observe.offline import load_observed
    from reconcile._planning.generate import bodies_of

    index = load_observed(path)
    bodies = bodies_of(index.by_id)
    # A body without an id is indexed by name only: keep it, so it gets its warning.
    bodies += [
        found
        for key in sorted(index.by_name)
        for found in index.by_name[key]
        if isinstance(found.body, dict) and found.body.get("id") is None
    ]
    return bodies, list(index.unreadable), path


def _live(args: argparse.Namespace, specs: Spec | None) -> tuple[list[Found], list[str], str]:
    from reconcile._cli.common import live_settings
    from reconcile._core.observation import Found
    from reconcile._modelarts.client import ModelArtsClient

    settings = live_settings(args, specs.project_id if specs is not None else None)
    with ModelArtsClient.from_settings(settings) as client:
        source = client.list_url()
        entries = client.list_notebooks()
    return [Found(body=entry, source=source) for entry in entries], [], source


def _write_stdout(text: str) -> None:
    """Write the spec to stdout as UTF-8 whatever the locale: a spec file is UTF-8 (as the loader
    reads it), and an escaped or replaced character would change a name or a description."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # pragma: no cover - a text-only stream (a test harness)
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def _report(notes: list[Note]) -> bool:
    """Print every note on stderr; whether any was an error."""
    from reconcile._planning.generate import Severity

    errors = False
    for note in notes:
        errors |= note.severity is Severity.ERROR
        diagnose(f"reconcile: {note.severity.value}: {note}")
    return errors


def run(args: argparse.Namespace) -> int:
    """Observe, select, generate, write; exit 1 when anything was an error (the spec is still written)."""
    from reconcile._cli.output import write_atomically
    from reconcile._planning.generate import (
        Note,
        Selection,
        Severity,
        collect,
        generate,
        reserved_local_names,
        select,
    )
    from reconcile._specfile.load import load_spec
    from reconcile._specfile.write import Header, write_spec

    if args.unmanaged and not args.spec:
        diagnose(
            "reconcile generate: error: --unmanaged needs --spec SPEC... (the specs that manage notebooks)"
        )
        return EXIT_ERROR
    if args.spec and not args.unmanaged:
        diagnose("reconcile generate: error: --spec goes with --unmanaged")
        return EXIT_ERROR
    fmt = _format(args)
    generated_at = generation_time(args.now, os.environ)
    specs: Spec | None = None
    if args.spec:
        try:
            specs = load_spec(args.spec)
        except SpecError as exc:
            return print_spec_problems(exc)
    bodies, unreadable, source = _offline(args.observed) if args.observed else _live(args, specs)
    notes: list[Note] = [Note(where, "left out", Severity.ERROR) for where in unreadable]
    notebooks, found = collect(bodies)
    notes += found
    chosen, found = select(notebooks, Selection(tuple(args.id), tuple(args.name), specs))
    notes += found
    result = generate(
        chosen,
        reserved_names=reserved_local_names([specs] if specs is not None else []),
        explicit_ids=args.id,
    )
    notes += result.notes
    text = write_spec(result.document, fmt, Header(source, generated_at, result.count))
    if args.out:
        write_atomically(Path(args.out), text)
    else:
        _write_stdout(text)
    errors = _report(notes)
    count = result.count
    where = f" to {args.out}" if args.out else ""
    diagnose(f"reconcile: generated {count} notebook{'s' if count != 1 else ''}{where}")
    return EXIT_ERROR if errors else EXIT_OK
