"""_files: guarded reading of user-named files and worded JSON parsing (stdlib only).

Entry points: `read_bytes` / `read_text` (regular files only, a size cap, never blocks: see
`reconcile._files.read`), `parse_json` (errors worded, numbers too long for Python kept as
`HugeNumber` markers: see `reconcile._files.jsonparse`).
"""

from __future__ import annotations

from reconcile._files.jsonparse import (
    INT_DIGITS_LIMIT,
    HugeNumber,
    HugeNumberDict,
    JsonProblem,
    find_huge_number,
    parse_json,
)
from reconcile._files.read import FileRefused, read_bytes, read_text

__all__ = [
    "INT_DIGITS_LIMIT",
    "FileRefused",
    "HugeNumber",
    "HugeNumberDict",
    "JsonProblem",
    "find_huge_number",
    "parse_json",
    "read_bytes",
    "read_text",
]
