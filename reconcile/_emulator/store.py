"""The notebooks the emulator serves: `NotebookStore`, behind a lock, so that it can change state.

Reads take a consistent snapshot under the lock; `put` replaces (or adds) one notebook and
`transition` stores a notebook in a transitional status that settles into another at a due time
(settled lazily, by the next read after it), or, for a delete (`settled=None`), is gone from then
on; `writing` serialises the write operations (`reconcile._emulator.writes`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reconcile._core.errors import ConfigError, ReconcileError
from reconcile._observe.offline import load_observed

__all__ = ["NotebookStore"]


class NotebookStore:
    """The notebooks the emulator serves, in the order loaded, behind a lock (thread-safe).

    Build one with `from_documents` or `from_dir`. Each notebook is kept as its parsed JSON and as
    the `GET` body served for it (the JSON of the document).
    """

    def __init__(self, documents: Iterable[Mapping[str, Any]] = ()) -> None:
        """A store of these notebooks (each needs a string `id`, unique).

        Raises:
            ConfigError: a notebook without a string id, or an id twice.
        """
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._pending: dict[str, tuple[float, Mapping[str, Any] | None]] = {}
        self._documents: dict[str, Mapping[str, Any]] = {}
        self._bodies: dict[str, bytes] = {}
        for doc in documents:
            nid = _id_of(doc)
            if nid in self._documents:
                raise ConfigError(f"emulator data: notebook id {nid!r} appears twice")
            self._documents[nid] = doc
            self._bodies[nid] = json.dumps(doc).encode()

    def __repr__(self) -> str:
        return f"NotebookStore({len(self)} notebooks)"

    def __len__(self) -> int:
        with self._lock:
            return len(self._documents)

    @property
    def documents(self) -> Mapping[str, Mapping[str, Any]]:
        """A snapshot of each notebook's parsed JSON, keyed by id, in the order loaded."""
        with self._lock:
            self._settle()
            return MappingProxyType(dict(self._documents))

    @property
    def bodies(self) -> Mapping[str, bytes]:
        """A snapshot of each notebook's `GET` body, keyed by id."""
        with self._lock:
            self._settle()
            return MappingProxyType(dict(self._bodies))

    def body(self, notebook_id: str) -> bytes | None:
        """The `GET` body of one notebook, or None when there is no such notebook."""
        with self._lock:
            self._settle()
            return self._bodies.get(notebook_id)

    def named(self, needle: str) -> list[Mapping[str, Any]]:
        """The notebooks whose name contains `needle` (case-insensitive, as the service's filter)."""
        lowered = needle.lower()
        with self._lock:
            self._settle()
            docs = list(self._documents.values())
        return [doc for doc in docs if lowered in str(doc.get("name", "")).lower()]

    def put(self, document: Mapping[str, Any]) -> None:
        """Replace the notebook with this document's id, or add it at the end."""
        nid = _id_of(document)
        body = json.dumps(document).encode()
        with self._lock:
            self._pending.pop(nid, None)
            self._documents[nid] = document
            self._bodies[nid] = body

    def amend(self, notebook_id: str, fields: Mapping[str, Any]) -> None:
        """Set these top-level fields of one notebook, and of the status it is settling into (tags
        change while a notebook starts or stops without ending the transition)."""
        with self._lock:
            current = self._documents.get(notebook_id)
            if current is None:
                return
            self._documents[notebook_id] = {**current, **fields}
            self._bodies[notebook_id] = json.dumps(self._documents[notebook_id]).encode()
            pending = self._pending.get(notebook_id)
            if pending is not None and pending[1] is not None:
                self._pending[notebook_id] = (pending[0], {**pending[1], **fields})

    def transition(self, now: Mapping[str, Any], settled: Mapping[str, Any] | None, due: float) -> None:
        """Store `now` (a transitional status) and replace it by `settled` at `due` (`time.monotonic`).

        With `settled` None the notebook is removed at `due` (a delete: DELETING, then gone).
        """
        nid = _id_of(now)
        body = json.dumps(now).encode()
        with self._lock:
            self._documents[nid] = now
            self._bodies[nid] = body
            self._pending[nid] = (due, settled)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock: a read-check-write sequence of one write request runs alone."""
        with self._write_lock:
            yield

    def _settle(self) -> None:
        """Finish the transitions that are due (the caller holds the lock)."""
        if not self._pending:
            return
        now = time.monotonic()
        for nid, (due, settled) in list(self._pending.items()):
            if due <= now:
                del self._pending[nid]
                if settled is None:
                    del self._documents[nid], self._bodies[nid]
                else:
                    self._documents[nid] = settled
                    self._bodies[nid] = json.dumps(settled).encode()

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> NotebookStore:
        """A store of these notebooks (each needs a string `id`, unique)."""
        return cls(documents)

    @classmethod
    def from_dir(cls, path: str | Path) -> NotebookStore:
        """Load saved API responses exactly as `reconcile plan --observed PATH` reads them.

        PATH is a `*.json` file or a directory of them, read recursively in sorted order by
        `reconcile._observe.offline.load_observed`; each file holds one `GET` body or one list response
        (`{data: [...]}`). A notebook saved more than once with identical bodies is served once;
        a body without an `id` is not served. Each notebook is served as the JSON of its saved
        body.

        Raises:
            ConfigError: PATH is missing or holds no `*.json` file; a file is unreadable, not JSON
                or of another shape (a top-level array is not an API response); or one id has
                different bodies. The message is one line naming the file.
        """
        try:
            index = load_observed(path)
        except ReconcileError as exc:
            raise ConfigError(f"emulator data: {exc}") from exc
        except RecursionError as exc:  # the stdlib JSON parser recurses once per nesting level
            raise ConfigError(f"emulator data: {path}: a file nests too deeply to be read") from exc
        if index.unreadable:
            more = len(index.unreadable) - 1
            raise ConfigError(
                f"emulator data: {index.unreadable[0]}" + (f" (and {more} more)" if more else "")
            )
        documents: list[Mapping[str, Any]] = []
        for nid, saved in index.by_id.items():
            first = saved[0]
            for other in saved[1:]:
                if other.body != first.body:
                    raise ConfigError(
                        f"emulator data: notebook {nid!r} is saved with different contents in "
                        f"{first.source} and {other.source}"
                    )
            assert isinstance(first.body, Mapping)  # load_observed gives parsed bodies
            documents.append(first.body)
        try:
            return cls.from_documents(documents)
        except RecursionError as exc:
            raise ConfigError(f"emulator data: {path}: a notebook nests too deeply to be served") from exc


def _id_of(document: Mapping[str, Any]) -> str:
    nid = document.get("id")
    if not isinstance(nid, str) or not nid:
        raise ConfigError("emulator data: a notebook has no string id")
    return nid
