"""The defaults a user sees on the command line, in one place that loads nothing (no urllib3).

`reconcile plan --help` shows them without importing the HTTP stack; the transport, the settings
and live observation use the same constants.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_PARALLELISM", "DEFAULT_REQUEST_TIMEOUT"]

#: Requests in flight at once, by default (as Terraform's `-parallelism`).
DEFAULT_PARALLELISM: Final = 10
#: Longest one API call may take, retries and their waits included, in seconds (`--request-timeout`).
DEFAULT_REQUEST_TIMEOUT: Final = 120.0
