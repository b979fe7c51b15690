"""The apply journal: one JSON line per step taken, written (and flushed) as it goes.

Each line is `{"seq", "address", "notebook_id", "step", "request", "outcome", "message"}`:
`request` is the method, path and body sent (bodies carry no secret: apply never sends one), and
`outcome` is `started`, `ok`, `failed` or `skipped`. Every message is scrubbed by the client's
transport before it gets here; the journal scrubs once more with the secrets it is given.
"""

from __future__ import annotations

import json
import threading
from typing import IO, Any

from reconcile._core.secrets import Scrubber, Secret

__all__ = ["Journal"]


class Journal:
    """A JSON-lines journal on an open text stream (thread-safe); None-safe to use through `record`."""

    def __init__(self, stream: IO[str], secrets: tuple[Secret, ...] = ()) -> None:
        """A journal writing to `stream`, scrubbing `secrets` from every line."""
        self._stream = stream
        self._lock = threading.Lock()
        self._seq = 0
        self._scrub = Scrubber.of(*secrets)

    def record(
        self,
        *,
        address: str,
        notebook_id: str | None,
        step: str,
        outcome: str,
        request: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        """Write one line and flush it."""
        with self._lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "address": address,
                "notebook_id": notebook_id,
                "step": step,
                "request": request,
                "outcome": outcome,
                "message": message,
            }
            line = self._scrub.text(json.dumps(entry, sort_keys=True, ensure_ascii=True))
            self._stream.write(line + "\n")
            self._stream.flush()
