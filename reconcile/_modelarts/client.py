"""`ModelArtsClient`: the notebook operations of the ModelArts API, over one `Transport`.

Reads: `get_notebook` (`GET /v1/{project_id}/notebooks/{id}`, the raw body, decoded
elsewhere) and `list_notebooks` (every page of `GET /v1/{project_id}/notebooks`). Writes
(`update_notebook`, `renew_lease`, `start_notebook`, `stop_notebook`, `delete_notebook`,
`create_tags`, `delete_tags`, `create_notebook`) go through
the same `Transport.request` path with the write retry policies (`write_retry`, `WRITE_RETRY` by
default, for the idempotent ones; `CREATE_RETRY` for create, retried only when the request provably
never left). Each write gives back the raw body of the answer (the notebook).

A listing is bounded: it ends when `total` records are read or a page is empty, and is refused
(`TransportError`) when a page repeats notebooks already listed (a `total` that lies over a page
served again), or when it passes `MAX_LIST_PAGES` pages, `MAX_LIST_ENTRIES` entries or
`MAX_LIST_BYTES` bytes.

TLS is verified (system store, or a CA bundle); plain `http://` is accepted only for loopback hosts,
for the emulator. Requests go through the proxy given (`reconcile._modelarts.settings` reads
`HTTPS_PROXY` and `NO_PROXY`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

import attrs
import urllib3

from reconcile._core.errors import ConfigError, TransportError
from reconcile._files import JsonProblem, parse_json
from reconcile._modelarts.auth import Authenticator, QueryValue
from reconcile._modelarts.pool import Proxy, make_pool
from reconcile._modelarts.protocol import (
    DEFAULT_LIST_LIMIT,
    LIST_LIMITS,
    MAX_LIST_BYTES,
    MAX_LIST_ENTRIES,
    MAX_LIST_PAGES,
    TAG_ACTIONS,
    notebook_path,
    notebooks_path,
)
from reconcile._modelarts.transport import (
    CREATE_RETRY,
    DEFAULT_MAX_BODY_BYTES,
    READ_RETRY,
    WRITE_RETRY,
    RetryPolicy,
    Timeouts,
    Transport,
    check_endpoint,
)

if TYPE_CHECKING:
    from reconcile._modelarts.settings import ClientSettings

__all__ = ["ModelArtsClient"]


@attrs.frozen(eq=False)  # a client is a resource: equal only to itself
class ModelArtsClient:
    """The notebooks of one project through the ModelArts API; thread-safe, close it (or use `with`).

    Attributes:
        endpoint: `https://modelarts.{region}.myhuaweicloud.com`, or `http://127.0.0.1:PORT` for
            the emulator; normalised to `scheme://host[:port]`.
        project_id: the project whose notebooks are read.
        auth: `TokenAuth` or `AkSkAuth` (anything with `request_headers` and `secrets`).
        timeouts: connect, read and total timeouts of each call.
        retry: the retry policy of reads.
        write_retry: the retry policy of idempotent writes (update, lease, start, stop, delete, tags).
        max_body_bytes: responses larger than this are refused (`TransportError`).
        max_list_entries: a listing with more entries than this is refused (`TransportError`).
        ca_bundle: PEM CA bundle used by the pool this client builds.
        pool_maxsize: connections per host of the pool this client builds.
        proxy: the proxy the pool this client builds goes through, or None.
        clock: the current time (signing dates); injected for deterministic tests.
        pool: the connection pool; built from `ca_bundle`, `pool_maxsize` and `proxy` unless
            given. The client closes it in `close()`.
    """

    endpoint: str = attrs.field(converter=check_endpoint)
    project_id: str = attrs.field()
    auth: Authenticator = attrs.field(repr=lambda a: type(a).__name__)
    timeouts: Timeouts = attrs.field(factory=Timeouts)
    retry: RetryPolicy = READ_RETRY
    write_retry: RetryPolicy = WRITE_RETRY
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_list_entries: int = MAX_LIST_ENTRIES
    ca_bundle: str | None = None
    pool_maxsize: int = 10
    proxy: Proxy | None = attrs.field(default=None, repr=False)
    clock: Callable[[], datetime] = attrs.field(default=lambda: datetime.now(UTC), repr=False)
    pool: urllib3.PoolManager = attrs.field(
        default=attrs.Factory(
            lambda self: make_pool(ca_bundle=self.ca_bundle, maxsize=self.pool_maxsize, proxy=self.proxy),
            takes_self=True,
        ),
        repr=False,
    )
    transport: Transport = attrs.field(
        init=False,
        repr=False,
        default=attrs.Factory(
            lambda self: Transport(
                self.endpoint,
                self.project_id,
                self.auth,
                self.pool,
                timeouts=self.timeouts,
                max_body_bytes=self.max_body_bytes,
                clock=self.clock,
                extra_secrets=self.proxy.secrets() if self.proxy else (),
            ),
            takes_self=True,
        ),
    )

    @project_id.validator
    def _check_project_id(self, _attribute: object, value: str) -> None:
        if not value or not value.strip():
            raise ConfigError("the project id is empty")

    @classmethod
    def from_settings(cls, settings: ClientSettings, **overrides: Any) -> ModelArtsClient:
        """The client `settings` describe (endpoint, project, credentials, timeouts, proxy, ...)."""
        options: dict[str, Any] = {
            "timeouts": settings.timeouts,
            "retry": settings.retry,
            "ca_bundle": settings.ca_bundle,
            "pool_maxsize": settings.parallelism,
            "proxy": settings.proxy,
        }
        options.update(overrides)
        return cls(settings.endpoint, settings.project_id, settings.auth, **options)

    def close(self) -> None:
        """Cut off every request in flight (they fail as cancelled) and close every pooled connection."""
        self.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def notebook_url(self, notebook_id: str) -> str:
        """The URL of `GET /v1/{project_id}/notebooks/{id}` for this notebook."""
        return self.endpoint + self._notebook_path(notebook_id)

    def list_url(self, name: str | None = None) -> str:
        """The URL of the list API, filtered by `name` when given (for messages and sources)."""
        return self.transport.url(notebooks_path(self.project_id), [("name", name)] if name else [])

    def get_notebook(self, notebook_id: str) -> bytes:
        """The raw body of `GET /v1/{project_id}/notebooks/{id}` (decoded elsewhere, in one place).

        The request's own credentials, Authorization header and signature are redacted from it.

        Raises:
            NotFoundError: HTTP 404, or 400 with ModelArts.6309/6357/6404.
            AuthError: HTTP 401/403.
            ApiError: any other error status (after retries, for 429 and 5xx).
            TransportError: no usable answer within the deadline.
        """
        return self.transport.request(
            "GET", self._notebook_path(notebook_id), subject=f"notebook {notebook_id!r}", retry=self.retry
        )

    def list_notebooks(
        self, name: str | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[dict[str, Any]]:
        """Every entry of `GET /v1/{project_id}/notebooks`, all pages, optionally filtered by name.

        The service's `name` filter is fuzzy: callers wanting an exact name must filter the
        result. Pages are requested with `offset` advanced by the number of records returned (as
        Terraform does) until `total` records are read or a page is empty.

        Args:
            name: the `name` filter (fuzzy match), or None for every notebook.
            limit: page size, one of 10, 20 or 50.

        Returns:
            The `data` entries of every page, parsed, in the order served.

        Raises:
            ConfigError: `limit` is not 10, 20 or 50.
            TransportError: a page is not JSON or not shaped like a list response; a page repeats
                notebooks already listed; the listing passes its bounds.
            ApiError: as `get_notebook`.
        """
        if limit not in LIST_LIMITS:
            raise ConfigError(f"list limit must be one of 10, 20, 50, not {limit!r}")
        subject = f"notebooks named {name!r}" if name else "the notebook list"
        listing = _Listing(subject, self.max_list_entries)
        offset = 0
        for _ in range(MAX_LIST_PAGES):
            query: list[tuple[str, QueryValue]] = [("limit", limit), ("offset", offset)]
            if name:
                query.append(("name", name))
            body = self.transport.request(
                "GET", notebooks_path(self.project_id), query=query, subject=subject, retry=self.retry
            )
            data, total = listing.add(body, offset)
            if not data:
                break
            offset += len(data)
            if total is not None and offset >= total:
                break
        else:
            raise TransportError(f"{subject}: the list did not end after {MAX_LIST_PAGES} pages")
        return listing.entries

    def update_notebook(self, notebook_id: str, body: dict[str, Any]) -> bytes:
        """`PUT /v1/{project_id}/notebooks/{id}` with this `NotebookUpdateRequest` body.

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as `get_notebook`.
        """
        return self._write("PUT", self._notebook_path(notebook_id), notebook_id, body=body)

    def renew_lease(self, notebook_id: str, duration_ms: int, lease_type: str) -> bytes:
        """`PATCH .../notebooks/{id}/lease` with `{duration, type}` (auto-stop from now on).

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as `get_notebook`.
        """
        path = notebook_path(self.project_id, self._checked(notebook_id), "lease")
        return self._write("PATCH", path, notebook_id, body={"duration": duration_ms, "type": lease_type})

    def start_notebook(
        self, notebook_id: str, duration_ms: int | None = None, lease_type: str | None = None
    ) -> bytes:
        """`POST .../notebooks/{id}/start`, with the lease `duration` (ms) and `type` when given.

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as `get_notebook`.
        """
        query: list[tuple[str, QueryValue]] = []
        if duration_ms is not None:
            query.append(("duration", duration_ms))
        if lease_type is not None:
            query.append(("type", lease_type))
        path = notebook_path(self.project_id, self._checked(notebook_id), "start")
        return self._write("POST", path, notebook_id, query=query)

    def stop_notebook(self, notebook_id: str) -> bytes:
        """`POST .../notebooks/{id}/stop`.

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as `get_notebook`.
        """
        path = notebook_path(self.project_id, self._checked(notebook_id), "stop")
        return self._write("POST", path, notebook_id)

    def delete_notebook(self, notebook_id: str) -> bytes:
        """`DELETE /v1/{project_id}/notebooks/{id}`: the notebook goes DELETING, then is gone.

        Idempotent (a repeated delete finds the notebook DELETING or gone), so retried as the
        other writes are.

        Raises:
            NotFoundError: the notebook is already gone.
            AuthError, ApiError, TransportError: as `get_notebook`.
        """
        return self._write("DELETE", self._notebook_path(notebook_id), notebook_id)

    def create_tags(self, notebook_id: str, tags: list[tuple[str, str]]) -> bytes:
        """`POST .../notebooks/{id}/tags/create` with `{"tags": [{"key", "value"}]}`.

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as `get_notebook`.
        """
        return self._tags("create", notebook_id, tags)

    def delete_tags(self, notebook_id: str, tags: list[tuple[str, str]]) -> bytes:
        """`DELETE .../notebooks/{id}/tags/delete` with `{"tags": [{"key", "value"}]}` (a DELETE with a body).

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as `get_notebook`.
        """
        return self._tags("delete", notebook_id, tags)

    def _tags(self, action: str, notebook_id: str, tags: list[tuple[str, str]]) -> bytes:
        path = notebook_path(self.project_id, self._checked(notebook_id), TAG_ACTIONS[action])
        body = {"tags": [{"key": key, "value": value} for key, value in tags]}
        return self._write("POST" if action == "create" else "DELETE", path, notebook_id, body=body)

    def create_notebook(self, body: dict[str, Any]) -> bytes:
        """`POST /v1/{project_id}/notebooks` with this `NotebookCreateRequest` body.

        Retried only when the request provably never left (`CREATE_RETRY`): an ambiguous create
        is raised, never repeated.

        Raises:
            AuthError, ApiError, TransportError: as `get_notebook`.
        """
        name = body.get("name")
        return self.transport.request(
            "POST",
            notebooks_path(self.project_id),
            body=json.dumps(body, separators=(",", ":"), sort_keys=True).encode(),
            subject=f"create notebook {name!r}",
            retry=CREATE_RETRY,
        )

    def _write(
        self,
        method: str,
        path: str,
        notebook_id: str,
        *,
        body: dict[str, Any] | None = None,
        query: list[tuple[str, QueryValue]] | None = None,
    ) -> bytes:
        payload = None if body is None else json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return self.transport.request(
            method,
            path,
            query=query,
            body=payload,
            subject=f"notebook {notebook_id!r}",
            retry=self.write_retry,
        )

    def _checked(self, notebook_id: str) -> str:
        if not notebook_id:
            raise ConfigError("the notebook id is empty")
        return notebook_id

    def list_all_notebooks(
        self, parallelism: int = 1, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[dict[str, Any]]:
        """Every entry of the project's listing, the pages after the first fetched concurrently.

        The first page tells the `total`; the other pages (offsets `limit`, `2 * limit`, ...) are
        then requested at once, at most `parallelism` in flight, and read in offset order with the
        same checks as `list_notebooks`: a page repeating notebooks already listed, a total past
        `max_list_entries` or `MAX_LIST_PAGES` pages, or more than `MAX_LIST_BYTES` bytes, is
        refused, never looped on. A service whose pages are shorter than `limit`, or that gives no
        total, is listed page after page by `list_notebooks` (its first page is then read twice).

        Raises:
            ConfigError: `limit` is not 10, 20 or 50, or `parallelism` is below 1.
            TransportError, ApiError: as `list_notebooks`.
        """
        if limit not in LIST_LIMITS:
            raise ConfigError(f"list limit must be one of 10, 20, 50, not {limit!r}")
        if parallelism < 1:
            raise ConfigError(f"parallelism must be at least 1, not {parallelism}")
        subject = "the notebook list"
        path = notebooks_path(self.project_id)

        def page(offset: int) -> bytes:
            query: list[tuple[str, QueryValue]] = [("limit", limit), ("offset", offset)]
            return self.transport.request("GET", path, query=query, subject=subject, retry=self.retry)

        listing = _Listing(subject, self.max_list_entries)
        data, total = listing.add(page(0), 0)
        listing.total = total  # the later pages are judged against the total the first one told
        if total is not None and len(data) >= total:
            return data  # one page holds the whole listing
        if total is None or len(data) < limit:
            return self.list_notebooks(limit=limit)  # no total, or short pages: one page after another
        if total > self.max_list_entries or -(-total // limit) > MAX_LIST_PAGES:
            raise TransportError(f"{subject}: a total of {total} passes the listing's bounds, refused")
        from concurrent.futures import ThreadPoolExecutor

        offsets = list(range(len(data), total, limit))
        pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="list")
        try:
            bodies = list(pool.map(page, offsets))
        except BaseException:  # Ctrl-C above all: cancel the queued pages, cut off those in flight
            pool.shutdown(wait=False, cancel_futures=True)
            self.close()
            raise
        pool.shutdown(wait=True)
        for offset, body in zip(offsets, bodies, strict=True):
            more, _ = listing.add(body, offset)
            if not more:
                break  # the list shrank while it was read: a snapshot ends here
        return listing.entries

    def _notebook_path(self, notebook_id: str) -> str:
        return notebook_path(self.project_id, self._checked(notebook_id))

    def _scrub(self, text: str) -> str:
        """`text` with every credential redacted, on one line (as every message is)."""
        return self.transport.scrub(text)


class _Listing:
    """The pages of one listing as they are read, with the checks every listing makes: the bytes
    read (`MAX_LIST_BYTES`), the entries kept (`max_entries`), and a page that serves again
    notebooks already listed (a `total` that lies), refused rather than looped on."""

    def __init__(self, subject: str, max_entries: int) -> None:
        self.subject = subject
        self.max_entries = max_entries
        self.total: int | None = None  # the first page's, when the later pages are read concurrently
        self.entries: list[dict[str, Any]] = []
        self._seen: set[str] = set()
        self._size = 0

    def add(self, body: bytes, offset: int) -> tuple[list[dict[str, Any]], int | None]:
        """Check and keep one page; its entries and `total`."""
        where = f"{self.subject}: list page at offset {offset}"
        self._size += len(body)
        if self._size > MAX_LIST_BYTES:
            raise TransportError(f"{self.subject}: the listing passed {MAX_LIST_BYTES} bytes, refused")
        data, total = _parse_list_page(body, where)
        if not data:
            return data, total
        keys = {_entry_key(entry) for entry in data}
        if keys <= self._seen:
            claimed = self.total if self.total is not None else total
            raise TransportError(
                f"{where}: the service served again notebooks it had already listed"
                + (f" (its total of {claimed} does not match what it serves)" if claimed is not None else "")
                + "; the listing is refused rather than looped on"
            )
        self._seen |= keys
        self.entries.extend(data)
        if len(self.entries) > self.max_entries:
            raise TransportError(f"{self.subject}: the listing passed {self.max_entries} entries, refused")
        return data, total


def _entry_key(entry: dict[str, Any]) -> str:
    """What identifies a list entry: its id, else its whole JSON."""
    nid = entry.get("id")
    if isinstance(nid, str) and nid:
        return "id:" + nid
    try:
        return "json:" + json.dumps(entry, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return f"object:{id(entry)}"


def _parse_list_page(body: bytes, where: str) -> tuple[list[dict[str, Any]], int | None]:
    """The `data` entries and `total` of one list page.

    A number too long for Python (over 4,300 digits) costs only the entry that holds it: the entry
    is kept, marked, and refused when its notebook is decoded; the other entries are planned.
    """
    try:
        page = parse_json(body)
    except JsonProblem as exc:
        raise TransportError(" ".join(f"{where}: {exc.reason}".split())[:600]) from exc
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise TransportError(
            f"{where}: not a list response (expected an object with a `data` list of objects)"
        )
    total = page.get("total")
    return data, total if isinstance(total, int) and not isinstance(total, bool) else None
