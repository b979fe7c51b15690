"""Generate the JSON Schemas of `schemas/` from the code: `python -m reconcile._schema.generate`.

Writes the generated schemas (`GENERATED`) into the repository's `schemas/` directory (or the
directory given), each as JSON indented by two spaces with a final newline, so equal code gives
byte-identical files; `--check` writes nothing and exits 1 naming the files that differ.
`tests/test_schema_generate.py` fails when a committed file is not what this generates. The other
schemas of `schemas/` (policy, waivers, report) are still written by hand.

A build-time tool: nothing imports it at run time (`reconcile schema` reads the shipped files).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from reconcile._schema.files import SCHEMA_NAMES, SOURCE_DIR
from reconcile._schema.observed import notebook_schema
from reconcile._schema.plan import plan_schema
from reconcile._schema.spec import spec_schema

__all__ = ["GENERATED", "REGENERATE", "main", "rendered", "stale", "write"]

#: The command that rewrites the generated schemas, for messages.
REGENERATE: Final = "python -m reconcile._schema.generate"

#: Each generated schema, by `reconcile schema` name, and the function that builds it.
GENERATED: Final[Mapping[str, Callable[[], dict[str, Any]]]] = {
    "notebook": notebook_schema,
    "spec": spec_schema,
    "plan": plan_schema,
}


def rendered() -> dict[str, str]:
    """The text of each generated schema file, by file name (`plan.schema.json`)."""
    return {SCHEMA_NAMES[name]: json.dumps(build(), indent=2) + "\n" for name, build in GENERATED.items()}


def stale(directory: Path) -> list[str]:
    """The generated files that are missing from `directory` or differ from what is generated, sorted."""
    out = []
    for filename, text in sorted(rendered().items()):
        path = directory / filename
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(filename)
    return out


def write(directory: Path) -> list[str]:
    """Write every generated file that differs into `directory` (each replaced whole, never half-written).

    Returns:
        The names of the files written, sorted.
    """
    texts = rendered()
    written = stale(directory)
    for filename in written:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{filename}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write(texts[filename])
            os.replace(tmp, directory / filename)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate (or with `--check`, compare) the schema files; 0 when done or current, 1 when stale."""
    parser = argparse.ArgumentParser(
        prog=REGENERATE, description="Generate the JSON Schemas of schemas/ from the code."
    )
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=SOURCE_DIR,
        help="where the schema files are (default: the source checkout's schemas/)",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs")
    args = parser.parse_args(argv)
    directory: Path = args.directory
    if not directory.is_dir():
        print(f"{REGENERATE}: {directory}: not a directory (give the schemas/ directory)", file=sys.stderr)
        return 1
    if args.check:
        differing = stale(directory)
        for filename in differing:
            print(f"{directory / filename}: not what the code generates; run `{REGENERATE}`", file=sys.stderr)
        return 1 if differing else 0
    for filename in write(directory):
        print(f"wrote {directory / filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
