"""The defaults a user sees on the command line, in one place that loads nothing (no urllib3).

`reconcile plan --help` shows them without importing the HTTP stack; the transport, the settings
and live observation use the same constants.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_PARALLELISM", "DEFAULT_REQUEST_TIMEOUT", "MAX_PARALLELISM", "MAX_TIMEOUT"]

#: Requests in flight at once, by default (as Terraform's `-parallelism`).
DEFAULT_PARALLELISM: Final = 10
#: The most requests in flight accepted: each is a thread and a pooled connection (urllib3 sizes its
#: pool queue up front, so a huge number is memory and time spent before any request).
MAX_PARALLELISM: Final = 256
#: Longest one API call may take, retries and their waits included, in seconds (`--request-timeout`).
DEFAULT_REQUEST_TIMEOUT: Final = 120.0
#: The longest timeout accepted, in seconds (one day): a longer one is a typing slip, and the
#: platform's clocks cannot wait for an arbitrarily long one (`OverflowError`).
MAX_TIMEOUT: Final = 86_400.0
