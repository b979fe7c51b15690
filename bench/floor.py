"""The honest floor of an offline plan: read the observed file, write an output as large as the plan.

`python -m bench.floor OBSERVED OUT ENTRIES PAD` (run through `bench.peak` by `bench.fleet_process`)
parses `OBSERVED` with the standard `json.loads`, builds a document of `ENTRIES` notebooks taken in
turn from the parsed list response (the same objects, not copies) and a padding string of `PAD`
characters, serialises it with one `json.dumps` call using the flags our JSON plan uses (sorted
keys, ASCII only, no NaN), and writes it to `OUT` the way `reconcile plan --out` writes a plan: a
temporary file in the same directory, flushed, fsync'ed, given a plain file's mode, renamed over
`OUT`. It prints the number of bytes written.

`layout(sizes, target)` picks `ENTRIES` and `PAD` so that the output is exactly `target` bytes
(the size of the plan the same run wrote); `document_bytes` is the size it predicts. See
bench/README.md ("Issue 14: the floor") for why this is the fair floor.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PREFIX", "SEPARATOR", "SUFFIX", "document", "document_bytes", "dumps", "layout", "main", "write"]

#: The document's text around its parts, as `dumps` writes them (keys sorted, default separators).
PREFIX = '{"notebooks": ['
SEPARATOR = ", "
SUFFIX = '], "padding": "'
_END = '"}'


def dumps(value: Any) -> str:
    """JSON text with the flags of our JSON plan: keys sorted, ASCII only, no NaN or infinity."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, allow_nan=False)


def document(notebooks: Sequence[Any], entries: int, pad: int) -> dict[str, Any]:
    """`entries` notebooks taken in turn from `notebooks` (shared, not copied) and `pad` characters."""
    count = len(notebooks)
    return {"notebooks": [notebooks[i % count] for i in range(entries)], "padding": "x" * pad}


def document_bytes(sizes: Sequence[int], entries: int, pad: int) -> int:
    """The length of `dumps(document(...))`, from each notebook's own `dumps` length."""
    count = len(sizes)
    cycles, rest = divmod(entries, count) if count else (0, 0)
    items = cycles * sum(sizes) + sum(sizes[:rest])
    return len(PREFIX) + items + len(SEPARATOR) * max(entries - 1, 0) + len(SUFFIX) + pad + len(_END)


def layout(sizes: Sequence[int], target: int) -> tuple[int, int]:
    """`(entries, pad)`: as many whole notebooks as fit in `target` bytes, the rest padding.

    Raises:
        ValueError: `target` is smaller than the empty document, or there are no notebooks.
    """
    if not sizes:
        raise ValueError("no notebooks to write")
    empty = document_bytes(sizes, 0, 0)
    if target < empty:
        raise ValueError(f"a {target}-byte output is smaller than the empty document ({empty} bytes)")
    cycle = sum(sizes) + len(SEPARATOR) * len(sizes)
    entries = max((target - empty) // cycle * len(sizes), 0)
    while entries > 0 and document_bytes(sizes, entries, 0) > target:
        entries -= len(sizes)  # never happens with the first guess; kept for safety
    entries = max(entries, 0)
    while document_bytes(sizes, entries + 1, 0) <= target:
        entries += 1
    return entries, target - document_bytes(sizes, entries, 0)


def write(path: Path, text: str) -> None:
    """Write `text` as `reconcile plan --out` does: a temporary sibling, fsync, chmod, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def main(argv: Sequence[str]) -> int:
    """`OBSERVED OUT ENTRIES PAD`: read, build, dump, write; print the bytes written."""
    if len(argv) != 4:
        sys.stderr.write("usage: python -m bench.floor OBSERVED OUT ENTRIES PAD\n")
        return 2
    observed, out, entries, pad = Path(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3])
    data = json.loads(observed.read_bytes())
    text = dumps(document(data["data"], entries, pad))
    write(out, text)
    sys.stdout.write(f"{len(text)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
