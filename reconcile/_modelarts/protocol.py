"""Facts of the ModelArts notebook API that the client and the emulator share (stdlib only).

The paths (`notebooks_path`, `notebook_path`, `NOTEBOOK_PATH` to match them), the page sizes the
list API accepts (`LIST_LIMITS`), the error codes that mean "no such notebook" (`NOT_FOUND_CODES`)
and the bounds a client puts on a listing. The facts are listed in docs/design.md
("The ModelArts API facts"). The emulator imports this module,
never the client (and so never urllib3).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "LIST_LIMITS",
    "MAX_LIST_BYTES",
    "MAX_LIST_ENTRIES",
    "MAX_LIST_PAGES",
    "NOTEBOOK_PATH",
    "NOT_FOUND_CODES",
    "notebook_path",
    "notebooks_path",
]

#: Page sizes the list API accepts (`limit`).
LIST_LIMITS: Final = (10, 20, 50)
#: The page size the client asks for: the largest, so a fleet costs the fewest requests.
DEFAULT_LIST_LIMIT: Final = 50
#: ModelArts error codes that mean "this notebook does not exist" (with HTTP 400), as Terraform reads them.
NOT_FOUND_CODES: Final = frozenset({"ModelArts.6309", "ModelArts.6357", "ModelArts.6404"})
#: A listing that has not ended after this many pages is a broken server, not a big fleet.
MAX_LIST_PAGES: Final = 1_000
#: A listing with more entries than this is refused (a project holds a few hundred notebooks at most).
MAX_LIST_ENTRIES: Final = 20_000
#: A listing whose pages add up to more bytes than this is refused (64 MiB; a notebook is ~2 KiB).
MAX_LIST_BYTES: Final = 64 * 1024 * 1024
#: Matches `/v1/{project_id}/notebooks` and `/v1/{project_id}/notebooks/{id}` (both percent-encoded).
NOTEBOOK_PATH: Final = re.compile(r"^/v1/(?P<project>[^/]+)/notebooks(?:/(?P<id>[^/]+))?/?$")


def notebooks_path(project_id: str) -> str:
    """The path of the list API (and of create): `/v1/{project_id}/notebooks`."""
    return f"/v1/{quote(project_id, safe='')}/notebooks"


def notebook_path(project_id: str, notebook_id: str, action: str | None = None) -> str:
    """The path of one notebook, `/v1/{project_id}/notebooks/{id}`, or of an action on it (`start`)."""
    path = f"{notebooks_path(project_id)}/{quote(notebook_id, safe='')}"
    return f"{path}/{action}" if action else path
