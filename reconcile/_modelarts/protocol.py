"""Facts of the ModelArts notebook API that the client and the emulator share (stdlib only).

The paths (`notebooks_path`, `notebook_path`, `NOTEBOOK_PATH` to match them), the page sizes the
list API accepts (`LIST_LIMITS`), the error codes that mean "no such notebook" (`NOT_FOUND_CODES`),
the lease durations start and lease accept (`LEASE_MIN`, `LEASE_MAX`), the tag actions
(`TAG_ACTIONS`) and the bounds a client puts on a listing. The facts are listed in docs/design.md
("The ModelArts API facts"). The emulator imports this module,
never the client (and so never urllib3).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "LEASE_MAX",
    "LEASE_MIN",
    "LIST_LIMITS",
    "MAX_LIST_BYTES",
    "MAX_LIST_ENTRIES",
    "MAX_LIST_PAGES",
    "NOTEBOOK_PATH",
    "NOT_FOUND_CODES",
    "TAG_ACTIONS",
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
#: The lease durations (`duration`, milliseconds) start and `PATCH .../lease` accept: 1 h to 72 h.
LEASE_MIN: Final = 3_600_000
LEASE_MAX: Final = 259_200_000
#: The notebook tags API: `POST .../notebooks/{id}/tags/create` and `DELETE .../tags/delete`, each
#: with a `{"tags": [{"key", "value"}]}` body (`notebook_path(project, id, TAG_ACTIONS[...])`).
TAG_ACTIONS: Final = {"create": "tags/create", "delete": "tags/delete"}
#: Matches `/v1/{project_id}/notebooks` and `/v1/{project_id}/notebooks/{id}` (both percent-encoded).
NOTEBOOK_PATH: Final = re.compile(r"^/v1/(?P<project>[^/]+)/notebooks(?:/(?P<id>[^/]+))?/?$")


def notebooks_path(project_id: str) -> str:
    """The path of the list API (and of create): `/v1/{project_id}/notebooks`."""
    return f"/v1/{quote(project_id, safe='')}/notebooks"


def notebook_path(project_id: str, notebook_id: str, action: str | None = None) -> str:
    """The path of one notebook, `/v1/{project_id}/notebooks/{id}`, or of an action on it (`start`)."""
    path = f"{notebooks_path(project_id)}/{quote(notebook_id, safe='')}"
    return f"{path}/{action}" if action else path
