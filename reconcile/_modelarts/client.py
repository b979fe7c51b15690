"""`ModelArtsClient`: read notebooks from the ModelArts API over HTTPS; the only module that imports urllib3.

One `urllib3.PoolManager` serves a whole run (it is thread-safe; size it to the parallelism). Every
request has explicit connect and read timeouts (`Timeouts`) and one immutable retry policy
(`RetryPolicy`, turned into a `urllib3.util.Retry` in one place): exponential backoff with jitter on
connection errors, on 429 (honouring `Retry-After`, capped) and on 500/502/503/504, never on any
other 4xx. Bodies are streamed and refused beyond a size cap. TLS is verified (system store, or a CA
bundle); plain `http://` is accepted only for loopback hosts, for the emulator.

Errors are translated in one place (`_transport_error` for urllib3 exceptions, `_status_error` for
error responses) into `reconcile._core.errors`::

    HTTP 404, or 400 with ModelArts.6309/6357/6404  -> NotFoundError
    HTTP 401 / 403                                  -> AuthError (the message names the notebook)
    any other status >= 300                         -> ApiError
    reset, timeout, TLS, truncated/oversized body,
    a list page not JSON, or nested too deeply      -> TransportError

Each carries the status, the ModelArts `error_code`/`error_msg` and the `X-Request-Id`; messages are one
line and are scrubbed of every secret the authenticator holds (as sent, and URL-, JSON-, HTML- or
base64-encoded) before they are shortened, so a cut never leaves part of a secret behind.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Self
from urllib.parse import quote, urlsplit

import attrs
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import Retry

from reconcile._core.errors import (
    ApiError,
    AuthError,
    ConfigError,
    NotFoundError,
    TransportError,
)
from reconcile._core.secrets import Scrubber
from reconcile._modelarts.auth import LIST_LIMITS, Authenticator, QueryValue, canonical_query
from reconcile._version import __version__

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "LIST_LIMITS",
    "NOT_FOUND_CODES",
    "ModelArtsClient",
    "RetryPolicy",
    "Timeouts",
    "check_endpoint",
    "make_pool",
]

#: Largest response body accepted (8 MiB); a notebook is a few KiB, a 50-entry list page ~100 KiB.
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
#: ModelArts error codes that mean "this notebook does not exist" (HTTP 400), as Terraform reads them.
NOT_FOUND_CODES: Final = frozenset({"ModelArts.6309", "ModelArts.6357", "ModelArts.6404"})
#: Statuses retried (429 honours Retry-After; so does 503 when it sends one).
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: A list that has not ended after this many pages is a broken server, not a big fleet.
MAX_LIST_PAGES: Final = 10_000
_CHUNK: Final = 64 * 1024
#: Longest error text quoted from a response body; a whole message is at most twice this.
_MESSAGE_MAX: Final = 300
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,15}$")


@attrs.frozen
class Timeouts:
    """Per-request timeouts, in seconds.

    Attributes:
        connect: time to establish the TCP and TLS connection (default 10 s).
        read: longest wait for any bytes of the response, per socket read (default 60 s; the
            official SDK uses 120 s, but a notebook GET answers in well under a second).
    """

    connect: float = 10.0
    read: float = 60.0


class _Retry(Retry):
    """urllib3's Retry, with Retry-After honoured only for 429 and 503 and capped."""

    # urllib3 also honours Retry-After on 413: we never retry a 4xx other than 429.
    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

    def __init__(self, *args: Any, retry_after_cap: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_cap = retry_after_cap

    def new(self, **kw: Any) -> Self:
        kw.setdefault("retry_after_cap", self.retry_after_cap)
        return super().new(**kw)

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.retry_after_cap)


@attrs.frozen
class RetryPolicy:
    """When and how long to retry a GET; immutable, turned into urllib3's `Retry` by `to_urllib3`.

    The n-th consecutive retry waits `backoff_factor * 2**(n-1)` seconds (urllib3 skips the wait
    before the first retry) plus up to `backoff_jitter` random seconds, at most `backoff_max`; a
    `Retry-After` header (429, 503) replaces that wait, capped at `retry_after_max`.

    Attributes:
        retries: retries after the first attempt, over all causes (default 4).
        backoff_factor: base of the exponential backoff, seconds (default 0.5).
        backoff_max: longest backoff wait, seconds (default 20).
        backoff_jitter: random extra wait, up to this many seconds (default 0.5).
        retry_after_max: longest `Retry-After` wait honoured, seconds (default 60).
    """

    retries: int = 4
    backoff_factor: float = 0.5
    backoff_max: float = 20.0
    backoff_jitter: float = 0.5
    retry_after_max: float = 60.0

    def to_urllib3(self) -> Retry:
        """The urllib3 `Retry` for this policy: connection errors, resets, timeouts and 429/5xx."""
        return _Retry(
            total=self.retries,  # shared by connection errors, resets, read timeouts and 429/5xx
            other=0,  # TLS failures and the like do not get better by retrying
            redirect=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            backoff_jitter=self.backoff_jitter,
            raise_on_status=False,  # give back the last 429/5xx so its error body reaches the message
            raise_on_redirect=False,
            respect_retry_after_header=True,
            retry_after_cap=self.retry_after_max,
        )


def make_pool(*, ca_bundle: str | None = None, maxsize: int = 10) -> urllib3.PoolManager:
    """A PoolManager that verifies TLS, against `ca_bundle` (a PEM file) or the system store.

    Args:
        ca_bundle: path of a PEM CA bundle, for a private CA or a TLS-intercepting proxy.
        maxsize: connections kept per host; match the parallelism so none is discarded.

    Raises:
        ConfigError: `ca_bundle` is not a readable file.
    """
    if ca_bundle is not None and not os.path.isfile(ca_bundle):
        raise ConfigError(f"CA bundle {ca_bundle!r} is not a file")
    return urllib3.PoolManager(maxsize=maxsize, block=False, cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle)


def check_endpoint(endpoint: str) -> str:
    """The endpoint as `scheme://host[:port]`, after checking it is safe to send credentials to.

    A message never quotes the endpoint itself, only its scheme or host: a mistyped endpoint may
    carry a password (`user:pass@`), a token in its query string, or a secret pasted as the path.

    Raises:
        ConfigError: not http(s); credentials, a path, a query or a fragment in the URL; a bad
            port; or `http://` to a host that is not loopback (127.0.0.0/8, ::1, localhost).
    """
    text = endpoint.strip()
    expected = "expected https://HOST[:PORT]"
    if "@" in text:
        raise ConfigError(
            f"invalid endpoint: credentials (user:password@) are not allowed in it ({expected}); "
            "give credentials in the environment"
        )
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced `[` in an IPv6 host
        raise ConfigError(f"invalid endpoint: {expected}") from None
    if "?" in text:
        raise ConfigError(f"invalid endpoint: query strings are not allowed in it ({expected})")
    if "#" in text:
        raise ConfigError(f"invalid endpoint: fragments (#...) are not allowed in it ({expected})")
    if parts.scheme not in ("https", "http"):
        got = f" (scheme {parts.scheme!r})" if _SCHEME.match(parts.scheme) and "//" in text else ""
        raise ConfigError(f"invalid endpoint{got}: {expected}")
    if not parts.hostname:
        raise ConfigError(f"invalid endpoint: no host ({expected})")
    if parts.path not in ("", "/"):
        raise ConfigError(f"invalid endpoint {parts.hostname!r}: a path is not allowed ({expected})")
    try:
        parts.port  # noqa: B018  (raises on an invalid port)
    except ValueError:
        raise ConfigError(f"invalid endpoint {parts.hostname!r}: bad port ({expected})") from None
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: credentials would travel in clear; "
            "use https:// (http:// is allowed only for loopback hosts)"
        )
    return f"{parts.scheme}://{parts.netloc}"


@attrs.frozen(eq=False)  # a client is a resource: equal only to itself
class ModelArtsClient:
    """Reads notebooks of one project from the ModelArts API; thread-safe, close it (or use `with`).

    Attributes:
        endpoint: `https://modelarts.{region}.myhuaweicloud.com`, or `http://127.0.0.1:PORT` for
            the emulator; normalised to `scheme://host[:port]`.
        project_id: the project whose notebooks are read.
        auth: `TokenAuth` or `AkSkAuth` (anything with `request_headers` and `secrets`).
        timeouts: connect and read timeouts.
        retry: the retry policy.
        max_body_bytes: responses larger than this are refused (`TransportError`).
        ca_bundle: PEM CA bundle used by the pool this client builds.
        pool_maxsize: connections per host of the pool this client builds.
        clock: the current time (signing dates); injected for deterministic tests.
        pool: the connection pool; built from `ca_bundle` and `pool_maxsize` unless given. The
            client closes it in `close()`.
    """

    endpoint: str = attrs.field(converter=check_endpoint)
    project_id: str = attrs.field()
    auth: Authenticator = attrs.field(repr=lambda a: type(a).__name__)
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ca_bundle: str | None = None
    pool_maxsize: int = 10
    clock: Callable[[], datetime] = attrs.field(default=lambda: datetime.now(UTC), repr=False)
    pool: urllib3.PoolManager = attrs.field(
        default=attrs.Factory(
            lambda self: make_pool(ca_bundle=self.ca_bundle, maxsize=self.pool_maxsize), takes_self=True
        ),
        repr=False,
    )
    _retries: Retry = attrs.field(
        init=False, repr=False, default=attrs.Factory(lambda self: self.retry.to_urllib3(), takes_self=True)
    )
    _timeout: urllib3.Timeout = attrs.field(
        init=False,
        repr=False,
        default=attrs.Factory(
            lambda self: urllib3.Timeout(connect=self.timeouts.connect, read=self.timeouts.read),
            takes_self=True,
        ),
    )

    @project_id.validator
    def _check_project_id(self, _attribute: object, value: str) -> None:
        if not value or not value.strip():
            raise ConfigError("the project id is empty")

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def notebook_url(self, notebook_id: str) -> str:
        """The URL of `GET /v1/{project_id}/notebooks/{id}` for this notebook."""
        return self.endpoint + self._notebook_path(notebook_id)

    def list_url(self, name: str | None = None) -> str:
        """The URL of the list API, filtered by `name` when given (for messages and sources)."""
        query = canonical_query([("name", name)] if name else [])
        return self.endpoint + self._list_path() + (f"?{query}" if query else "")

    def get_notebook(self, notebook_id: str) -> bytes:
        """The raw body of `GET /v1/{project_id}/notebooks/{id}` (decoded elsewhere, in one place).

        Raises:
            NotFoundError: HTTP 404, or 400 with ModelArts.6309/6357/6404.
            AuthError: HTTP 401/403.
            ApiError: any other error status (after retries, for 429 and 5xx).
            TransportError: no usable answer.
        """
        subject = f"notebook {notebook_id!r}"
        return self._get(self._notebook_path(notebook_id), [], subject)

    def list_notebooks(self, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
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
            TransportError: a page is not JSON, or not shaped like a list response.
            ApiError: as `get_notebook`.
        """
        if limit not in LIST_LIMITS:
            raise ConfigError(f"list limit must be one of 10, 20, 50, not {limit!r}")
        subject = f"notebooks named {name!r}" if name else "the notebook list"
        entries: list[dict[str, Any]] = []
        offset = 0
        for _ in range(MAX_LIST_PAGES):
            query: list[tuple[str, QueryValue]] = [("limit", limit), ("offset", offset)]
            if name:
                query.append(("name", name))
            body = self._get(self._list_path(), query, subject)
            data, total = _parse_list_page(body, f"{subject}: list page at offset {offset}")
            if not data:
                break
            entries.extend(data)
            offset += len(data)
            if total is not None and offset >= total:
                break
        else:
            raise TransportError(f"{subject}: the list did not end after {MAX_LIST_PAGES} pages")
        return entries

    # -- the one place that talks to urllib3 ---------------------------------------------------

    def _get(self, path: str, query: Sequence[tuple[str, QueryValue]], subject: str) -> bytes:
        qs = canonical_query(query)
        url = self.endpoint + path + (f"?{qs}" if qs else "")
        host = urlsplit(self.endpoint).netloc
        base = {
            "Host": host,
            "Content-Type": "application/json",
            "User-Agent": f"modelarts-reconcile/{__version__}",
            "X-Language": "en-us",
        }
        headers = self.auth.request_headers(
            "GET", path, query, base, b"", now=self.clock(), host=host, project_id=self.project_id
        )
        try:
            response = self.pool.request(
                "GET",
                url,
                headers=headers,
                retries=self._retries,
                timeout=self._timeout,
                redirect=False,
                preload_content=False,
            )
            try:
                body = self._read_capped(response, subject, url, tolerate_errors=response.status >= 300)
            except BaseException:
                response.close()  # never hand a half-read connection back to the pool
                raise
            finally:
                response.release_conn()
        except ApiError:
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._transport_error(exc, subject, url) from exc
        if response.status >= 300:
            raise self._status_error(response.status, response.headers, body, subject, url)
        return body

    def _read_capped(
        self, response: urllib3.BaseHTTPResponse, subject: str, url: str, *, tolerate_errors: bool
    ) -> bytes:
        cap = self.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._oversized(subject, url, response)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.stream(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise self._oversized(subject, url, response)
                chunks.append(chunk)
        except ApiError:
            raise
        except (urllib3.exceptions.HTTPError, OSError):
            if not tolerate_errors:  # an error status is worth reporting even with a broken body
                raise
        return b"".join(chunks)

    def _oversized(self, subject: str, url: str, response: urllib3.BaseHTTPResponse) -> TransportError:
        text = f"{subject}: GET {url}: response body larger than {self.max_body_bytes} bytes, refused"
        return TransportError(
            self._scrub(text),
            status=response.status,
            request_id=response.headers.get("X-Request-Id"),
            url=url,
        )

    def _transport_error(self, exc: BaseException, subject: str, url: str) -> TransportError:
        reason: BaseException = exc
        exhausted = ""
        if isinstance(exc, MaxRetryError) and exc.reason is not None:
            reason, exhausted = exc.reason, " (retries exhausted)"
        if isinstance(reason, ReadTimeoutError):
            what = f"no answer within the read timeout of {self.timeouts.read:g} s"
        elif isinstance(reason, NewConnectionError):
            what = f"cannot connect to {urlsplit(url).netloc}: {_root_cause(reason)}"
        elif isinstance(reason, ConnectTimeoutError):
            what = f"no connection within the connect timeout of {self.timeouts.connect:g} s"
        elif isinstance(reason, SSLError):
            what = f"TLS error: {_root_cause(reason)} (for a private CA, give a CA bundle)"
        elif isinstance(reason, ProtocolError):
            what = f"connection broken: {_root_cause(reason)}"
        elif isinstance(reason, DecodeError):
            what = "could not decode the response body"
        else:
            what = f"{type(reason).__name__}: {reason}"
        return TransportError(self._scrub(f"{subject}: GET {url}: {what}{exhausted}"), url=url)

    def _status_error(
        self, status: int, headers: Mapping[str, str], body: bytes, subject: str, url: str
    ) -> ApiError:
        raw_code, raw_msg = _error_fields(body)
        # Scrub the whole text first, then shorten: a cut through a secret would leave part of it.
        code = self._scrub(raw_code, limit=_MESSAGE_MAX) if raw_code else None
        msg = self._scrub(raw_msg, limit=_MESSAGE_MAX) if raw_msg else None
        request_id = headers.get("X-Request-Id")
        detail = f"HTTP {status}" + (f" {code}" if code else "") + (f": {msg}" if msg else "")
        if request_id:
            detail += f"; request id {request_id}"
        kwargs: dict[str, Any] = {
            "status": status,
            "error_code": code,
            "error_msg": msg,
            "request_id": request_id,
            "url": url,
        }
        if status == 404 or (status == 400 and code in NOT_FOUND_CODES):
            return NotFoundError(self._scrub(f"{subject} not found ({detail})"), **kwargs)
        if status == 401:
            text = f"{subject}: the credentials were refused ({detail}); check the token or the AK/SK"
            return AuthError(self._scrub(text), **kwargs)
        if status == 403:
            text = (
                f"{subject}: permission denied ({detail}); check that these credentials may read "
                f"notebooks of project {self.project_id}"
            )
            return AuthError(self._scrub(text), **kwargs)
        if status == 429:
            return ApiError(self._scrub(f"{subject}: rate limited, retries exhausted ({detail})"), **kwargs)
        if status >= 500:
            return ApiError(self._scrub(f"{subject}: server error, retries exhausted ({detail})"), **kwargs)
        if status < 400:
            return ApiError(self._scrub(f"{subject}: unexpected redirect ({detail})"), **kwargs)
        return ApiError(self._scrub(f"{subject}: request refused ({detail})"), **kwargs)

    def _scrub(self, text: str, limit: int = _MESSAGE_MAX * 2) -> str:
        """`text` with every secret of the authenticator redacted, then on one line, shortened."""
        text = Scrubber.of(*self.auth.secrets()).text(text)
        return _one_line(text, limit)

    def _notebook_path(self, notebook_id: str) -> str:
        if not notebook_id:
            raise ConfigError("the notebook id is empty")
        return f"{self._list_path()}/{quote(notebook_id, safe='')}"

    def _list_path(self) -> str:
        return f"/v1/{quote(self.project_id, safe='')}/notebooks"


def _parse_list_page(body: bytes, where: str) -> tuple[list[dict[str, Any]], int | None]:
    """The `data` entries and `total` of one list page."""
    try:
        page = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TransportError(_one_line(f"{where}: invalid JSON ({exc})")) from exc
    except RecursionError as exc:  # the stdlib parser recurses once per nested array or object
        raise TransportError(f"{where}: the response nests too deeply to be read") from exc
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise TransportError(
            f"{where}: not a list response (expected an object with a `data` list of objects)"
        )
    total = page.get("total")
    return data, total if isinstance(total, int) and not isinstance(total, bool) else None


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    """`error_code` and `error_msg` of an error body, read as the official SDK reads them.

    A body that is not JSON (or nests too deeply to parse) gives its whole text as the message;
    the caller scrubs secrets from it before shortening it.
    """
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = body.decode("utf-8", "replace").strip()
        return None, text or None
    return _find_error_pair(parsed)


def _find_error_pair(value: object) -> tuple[str | None, str | None]:
    """The first code/message pair in a parsed body, searching objects depth-first (no recursion)."""
    pairs = (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message"))
    stack = [value]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        for code_key, msg_key in pairs:
            if code_key in current and msg_key in current:
                code, msg = current[code_key], current[msg_key]
                return (str(code) if code is not None else None), (str(msg) if msg is not None else None)
        stack.extend(reversed(list(current.values())))
    return None, None


def _root_cause(exc: BaseException) -> str:
    """The message of the innermost cause of a wrapped urllib3 exception (`[Errno 111] ...`)."""
    for arg in reversed(exc.args):
        if isinstance(arg, BaseException):
            return _root_cause(arg)
    if exc.__cause__ is not None:
        return _root_cause(exc.__cause__)
    return str(exc) or type(exc).__name__


def _one_line(text: str, limit: int = _MESSAGE_MAX * 2) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
