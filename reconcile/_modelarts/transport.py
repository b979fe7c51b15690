"""`Transport`: one HTTP request path to the ModelArts API, with deadlines, retries and error translation.

`Transport.request(method, path, *, query=None, body=None, retry=..., subject=...)` signs the
request (`reconcile._modelarts.auth`), sends it, and gives back the body of a 2xx answer. Each call
has a total deadline (`Timeouts.total`, retries and waits included) besides the connect and per-read
timeouts; a read that has not finished by then is cut off (`reconcile._modelarts.pool`), so a
server that drips its body or never ends its headers costs at most the deadline.

Retries follow an immutable `RetryPolicy`, chosen per operation:

    READ_RETRY    GET: connection errors, resets (also halfway through a body), read timeouts,
                  429 and 500/502/503/504
    WRITE_RETRY   PUT, PATCH lease, POST start/stop (same effect when repeated): the same
                  failures, but of the statuses only 429 and 503
    CREATE_RETRY  POST create: only when the request provably never left (no connection made)

The n-th retry waits `backoff_factor * 2**(n-1)` seconds plus jitter, at most `backoff_max`; a
`Retry-After` (429, 503) of seconds or an HTTP date replaces that wait, capped at `retry_after_max`;
one that cannot be read (or has thousands of digits) leaves the normal backoff.

Errors are translated in one place into `reconcile._core.errors`::

    HTTP 404, or 400 with ModelArts.6309/6357/6404  -> NotFoundError
    HTTP 401 / 403                                  -> AuthError (the message names the subject)
    any other status >= 300                         -> ApiError
    reset, timeout, deadline, TLS, truncated or
    oversized body, cancelled                       -> TransportError

Every message and attribute (`error_code`, `error_msg`, `request_id`, `url`) is scrubbed of the
credentials (as sent and in every encoded form), and of this request's own `Authorization` header
and signature, before it is shortened; a 2xx body is scrubbed of them before anyone decodes it.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, Self
from urllib.parse import urlsplit

import attrs
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from reconcile._core.errors import ApiError, AuthError, ConfigError, NotFoundError, TransportError
from reconcile._core.secrets import Scrubber, Secret
from reconcile._modelarts.auth import Authenticator, QueryValue, canonical_query, parse_authorization
from reconcile._modelarts.defaults import DEFAULT_REQUEST_TIMEOUT, MAX_TIMEOUT
from reconcile._modelarts.pool import Attempt, attempt_scope
from reconcile._modelarts.protocol import NOT_FOUND_CODES
from reconcile._version import __version__

__all__ = [
    "CREATE_RETRY",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_REQUEST_TIMEOUT",
    "READ_RETRY",
    "WRITE_RETRY",
    "RetryPolicy",
    "Timeouts",
    "Transport",
    "check_endpoint",
]

#: Largest response body accepted (8 MiB); a notebook is a few KiB, a 50-entry list page ~100 KiB.
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
_CHUNK: Final = 64 * 1024
#: Longest error text quoted from a response body; a whole message is at most twice this.
_MESSAGE_MAX: Final = 300
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,15}$")
_SECONDS: Final = re.compile(r"^\s*([0-9]{1,9})\s*$")


def _positive(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value <= MAX_TIMEOUT:  # also refuses NaN and infinity
        raise ConfigError(
            f"the {attribute.name} timeout must be a positive number of seconds, at most {MAX_TIMEOUT:g} "
            f"(one day), not {value!r}"
        )


@attrs.frozen
class Timeouts:
    """Timeouts of one API call, in seconds.

    Attributes:
        connect: to establish the TCP and TLS connection (default 10 s).
        read: longest wait for any bytes of the response, per socket read (default 60 s).
        total: longest the whole call may take, retries and their waits included (default 120 s;
            `--request-timeout`). A read still running then is cut off.
    """

    connect: float = attrs.field(default=10.0, validator=_positive)
    read: float = attrs.field(default=60.0, validator=_positive)
    total: float = attrs.field(default=DEFAULT_REQUEST_TIMEOUT, validator=_positive)


@attrs.frozen
class RetryPolicy:
    """When and how long to retry one kind of request; immutable.

    Attributes:
        retries: retries after the first attempt, over all causes (default 4).
        statuses: HTTP statuses retried (default 429, 500, 502, 503, 504).
        after_sent: whether to retry a failure after the request may have reached the server (a
            reset, a read timeout, a body cut off); connection failures are always retried.
        backoff_factor: base of the exponential backoff, seconds (default 0.5).
        backoff_max: longest backoff wait, seconds (default 20).
        backoff_jitter: random extra wait, up to this many seconds (default 0.5).
        retry_after_max: longest `Retry-After` wait honoured, seconds (default 60).
    """

    retries: int = attrs.field(default=4, validator=attrs.validators.ge(0))
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    after_sent: bool = True
    backoff_factor: float = 0.5
    backoff_max: float = 20.0
    backoff_jitter: float = 0.5
    retry_after_max: float = 60.0

    def backoff(self, retry: int) -> float:
        """The wait before retry number `retry` (1-based), without a `Retry-After`."""
        base = self.backoff_factor * float(2 ** min(retry - 1, 30))
        jitter: float = random.uniform(0, self.backoff_jitter)
        return min(base + jitter, self.backoff_max)

    def wait(self, retry: int, status: int | None, retry_after: str | None, now: datetime) -> float:
        """The wait before retry `retry`: the `Retry-After` of a 429/503 when readable, else `backoff`."""
        if status in (429, 503) and retry_after is not None:
            seconds = parse_retry_after(retry_after, now)
            if seconds is not None:
                return min(seconds, self.retry_after_max)
        return self.backoff(retry)

    def with_statuses(self, statuses: frozenset[int]) -> RetryPolicy:
        """This policy, retrying these statuses."""
        return attrs.evolve(self, statuses=statuses)


#: GETs: every transient failure.
READ_RETRY: Final = RetryPolicy()
#: Idempotent writes (PUT, PATCH lease, POST start/stop): repeated, they have the same effect.
WRITE_RETRY: Final = RetryPolicy(statuses=frozenset({429, 503}))
#: Create (POST): never repeated once it may have reached the server.
CREATE_RETRY: Final = RetryPolicy(statuses=frozenset(), after_sent=False)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` value (seconds or an HTTP date), or None when unreadable."""
    match = _SECONDS.match(value)
    if match:
        return float(match[1])
    if len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


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
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: credentials would travel in clear; "
            "use https:// (http:// is allowed only for loopback hosts)"
        )
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    """Whether `host` is `localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Failure(Exception):
    """An attempt that got no usable answer; `sent` is False only when no connection was made."""

    def __init__(self, error: BaseException, *, sent: bool, cut: str | None, final: bool = False) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.sent = sent
        self.cut = cut
        #: Not worth retrying at all (TLS failure, oversized body, undecodable encoding).
        self.final = final or isinstance(error, SSLError | DecodeError | _Oversized)


@attrs.frozen(eq=False)  # a transport is a resource: equal only to itself
class Transport:
    """Signs, sends and retries requests to one endpoint; thread-safe; `close()` cuts off every request.

    Attributes:
        endpoint: `scheme://host[:port]` (checked by `check_endpoint`).
        project_id: sent as `X-Project-Id` when signing, named in permission errors.
        auth: `TokenAuth` or `AkSkAuth` (anything with `request_headers` and `secrets`).
        pool: the connection pool (`reconcile._modelarts.pool.make_pool`).
        timeouts: connect, read and total timeouts.
        max_body_bytes: responses larger than this are refused (`TransportError`).
        clock: the current time (signing dates, HTTP-date `Retry-After`); injected in tests.
        extra_secrets: more secrets to scrub from every message (the proxy's credentials).
    """

    endpoint: str = attrs.field(converter=check_endpoint)
    project_id: str
    auth: Authenticator = attrs.field(repr=lambda a: type(a).__name__)
    pool: urllib3.PoolManager = attrs.field(repr=False)
    timeouts: Timeouts = attrs.field(factory=Timeouts)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    clock: Callable[[], datetime] = attrs.field(default=lambda: datetime.now(UTC), repr=False)
    extra_secrets: tuple[Secret, ...] = attrs.field(default=(), repr=False)
    _scrubber: Scrubber = attrs.field(
        init=False,
        repr=False,
        default=attrs.Factory(lambda self: Scrubber.of(*self.auth.secrets(), *self.extra_secrets), True),
    )
    _closed: threading.Event = attrs.field(init=False, repr=False, factory=threading.Event)
    _active: set[Attempt] = attrs.field(init=False, repr=False, factory=set)
    _lock: threading.Lock = attrs.field(init=False, repr=False, factory=threading.Lock)
    _timeout: urllib3.Timeout = attrs.field(
        init=False,
        repr=False,
        default=attrs.Factory(
            lambda self: urllib3.Timeout(connect=self.timeouts.connect, read=self.timeouts.read), True
        ),
    )

    def close(self) -> None:
        """Cut off every request in flight, refuse new ones, and close every pooled connection."""
        self._closed.set()
        with self._lock:
            active = list(self._active)
        for attempt in active:
            attempt.cut("cancelled")
        self.pool.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url(self, path: str, query: Sequence[tuple[str, QueryValue]] = ()) -> str:
        """The URL of `path` with `query` (in canonical order)."""
        qs = canonical_query(query)
        return self.endpoint + path + (f"?{qs}" if qs else "")

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, QueryValue]] | None = None,
        body: bytes | None = None,
        subject: str,
        retry: RetryPolicy = READ_RETRY,
    ) -> bytes:
        """Send one request (retrying as `retry` allows) and give back the scrubbed body of its 2xx answer.

        Args:
            method: `GET`, `PUT`, `PATCH`, `POST` or `DELETE`.
            path: the path, percent-encoded (`reconcile._modelarts.protocol`).
            query: query parameters (sent and signed in canonical order).
            body: the JSON request body, or None.
            subject: what the request is about, first words of every message (`notebook 'x'`).
            retry: the retry policy of this kind of request.

        Raises:
            NotFoundError, AuthError, ApiError, TransportError: as the module docstring says.
        """
        params = list(query or ())
        url = self.url(path, params)
        payload = body or b""
        deadline = time.monotonic() + self.timeouts.total
        retries = 0
        while True:
            if self._closed.is_set():
                raise TransportError(f"{subject}: {method} {url}: cancelled", url=url)
            headers = self._headers(method, path, params, payload)
            scrub = self._request_scrubber(headers)
            status: int | None = None
            retry_after: str | None = None
            try:
                status, response_headers, data = self._attempt(method, url, headers, body, deadline)
            except _Failure as failure:
                error = self._transport_error(failure, method, url, subject, scrub)
                retryable = not failure.sent or retry.after_sent
                if failure.cut is not None or failure.final or not retryable or retries >= retry.retries:
                    if retries and failure.cut is None:
                        error = self._exhausted(error, scrub)
                    raise error from failure.error
                final: ApiError = error
            else:
                if status < 300:
                    return self._scrub_body(data, scrub)
                final = self._status_error(status, response_headers, data, subject, method, url, scrub)
                if status not in retry.statuses or retries >= retry.retries:
                    raise final
                retry_after = response_headers.get("Retry-After")
            retries += 1
            wait = retry.wait(retries, status, retry_after, self.clock())
            if time.monotonic() + wait >= deadline:
                raise self._deadline_error(final, method, url, subject, scrub)
            if self._closed.wait(wait):
                raise TransportError(f"{subject}: {method} {url}: cancelled", url=url)

    # -- one attempt -------------------------------------------------------------------------------

    def _headers(
        self, method: str, path: str, query: Sequence[tuple[str, QueryValue]], body: bytes
    ) -> dict[str, str]:
        host = urlsplit(self.endpoint).netloc
        base = {
            "Host": host,
            "Content-Type": "application/json",
            "User-Agent": f"modelarts-reconcile/{__version__}",
            "X-Language": "en-us",
        }
        return self.auth.request_headers(
            method, path, query, base, body, now=self.clock(), host=host, project_id=self.project_id
        )

    def _attempt(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, deadline: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        attempt = Attempt(deadline)
        with self._lock:
            self._active.add(attempt)
        try:
            with attempt_scope(attempt):
                try:
                    response = self.pool.request(
                        method,
                        url,
                        body=body,
                        headers=headers,
                        retries=False,
                        timeout=self._timeout,
                        redirect=False,
                        preload_content=False,
                    )
                except (NewConnectionError, ConnectTimeoutError, ProxyError) as exc:
                    raise _Failure(exc, sent=False, cut=attempt.reason) from exc
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    raise _Failure(exc, sent=True, cut=attempt.reason) from exc
                try:
                    data = self._read_capped(response, tolerate_errors=response.status >= 300)
                except _Oversized as exc:
                    response.close()
                    raise _Failure(exc, sent=True, cut=attempt.reason) from exc
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    response.close()  # never hand a half-read connection back to the pool
                    raise _Failure(exc, sent=True, cut=attempt.reason) from exc
                finally:
                    attempt.finish()  # before the connection goes back to the pool
                    response.release_conn()
                if attempt.reason is not None:  # cut off: what was read may look complete, but is not
                    raise _Failure(TimeoutError(), sent=True, cut=attempt.reason)
                return response.status, response.headers, data
        finally:
            with self._lock:
                self._active.discard(attempt)

    def _read_capped(self, response: urllib3.BaseHTTPResponse, *, tolerate_errors: bool) -> bytes:
        cap = self.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and len(declared) < 20 and int(declared) > cap:
            raise _Oversized(response)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.stream(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise _Oversized(response)
                chunks.append(chunk)
        except _Oversized:
            raise
        except (urllib3.exceptions.HTTPError, OSError):
            if not tolerate_errors:  # an error status is worth reporting even with a broken body
                raise
        return b"".join(chunks)

    # -- scrubbing ------------------------------------------------------------------------------

    def _request_scrubber(self, headers: Mapping[str, str]) -> _RequestScrubber:
        authorization = headers.get("Authorization")
        parsed = parse_authorization(authorization) if authorization else None
        return _RequestScrubber(self._scrubber, authorization, parsed[2] if parsed else None)

    def _scrub_body(self, data: bytes, scrub: _RequestScrubber) -> bytes:
        """A 2xx body with the request's credentials, Authorization header and signature redacted."""
        text = data.decode("utf-8", "surrogateescape")
        if not scrub.needed(text):
            return data
        return scrub.text(text).encode("utf-8", "surrogateescape")

    # -- errors ---------------------------------------------------------------------------------

    def _transport_error(
        self, failure: _Failure, method: str, url: str, subject: str, scrub: _RequestScrubber
    ) -> TransportError:
        reason = failure.error
        if isinstance(reason, _Oversized):
            text = (
                f"{subject}: {method} {url}: response body larger than {self.max_body_bytes} bytes, refused"
            )
            request_id = reason.response.headers.get("X-Request-Id")
            return TransportError(
                scrub.message(text),
                status=reason.response.status,
                request_id=scrub.message(request_id, _MESSAGE_MAX) if request_id else None,
                url=scrub.message(url),
            )
        if failure.cut == "deadline":
            what = f"no complete answer within the request timeout of {self.timeouts.total:g} s"
        elif failure.cut == "cancelled":
            what = "cancelled"
        elif isinstance(reason, ReadTimeoutError):
            what = f"no answer within the read timeout of {self.timeouts.read:g} s"
        elif isinstance(reason, ProxyError):
            what = f"the proxy refused or failed the tunnel: {_root_cause(reason)}"
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
            what = f"{type(reason).__name__}: {_root_cause(reason)}"
        return TransportError(scrub.message(f"{subject}: {method} {url}: {what}"), url=scrub.message(url))

    def _exhausted(self, error: TransportError, scrub: _RequestScrubber) -> TransportError:
        return TransportError(
            scrub.message(f"{error} (retries exhausted)"),
            status=error.status,
            request_id=error.request_id,
            url=error.url,
        )

    def _deadline_error(
        self, last: ApiError, method: str, url: str, subject: str, scrub: _RequestScrubber
    ) -> ApiError:
        """The error to raise when the next retry would end after the deadline."""
        text = (
            f"{subject}: {method} {url}: no usable answer within the request timeout of "
            f"{self.timeouts.total:g} s (last: {last})"
        )
        return TransportError(
            scrub.message(text), status=last.status, request_id=last.request_id, url=scrub.message(url)
        )

    def _status_error(  # noqa: PLR0917
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        subject: str,
        method: str,
        url: str,
        scrub: _RequestScrubber,
    ) -> ApiError:
        raw_code, raw_msg = _error_fields(body)
        # Scrub the whole text first, then shorten: a cut through a secret would leave part of it.
        code = scrub.message(raw_code, _MESSAGE_MAX) if raw_code else None
        msg = scrub.message(raw_msg, _MESSAGE_MAX) if raw_msg else None
        raw_request_id = headers.get("X-Request-Id")
        request_id = scrub.message(raw_request_id, _MESSAGE_MAX) if raw_request_id else None
        detail = f"HTTP {status}" + (f" {code}" if code else "") + (f": {msg}" if msg else "")
        if request_id:
            detail += f"; request id {request_id}"
        kwargs: dict[str, Any] = {
            "status": status,
            "error_code": code,
            "error_msg": msg,
            "request_id": request_id,
            "url": scrub.message(url),
        }
        if status == 404 or (status == 400 and code in NOT_FOUND_CODES):
            return NotFoundError(scrub.message(f"{subject} not found ({detail})"), **kwargs)
        if status == 401:
            text = f"{subject}: the credentials were refused ({detail}); check the token or the AK/SK"
            return AuthError(scrub.message(text), **kwargs)
        if status == 403:
            access = "read" if method == "GET" else "change"
            text = (
                f"{subject}: permission denied ({detail}); check that these credentials may {access} "
                f"notebooks of project {self.project_id}"
            )
            return AuthError(scrub.message(text), **kwargs)
        if status == 429:
            return ApiError(scrub.message(f"{subject}: rate limited, retries exhausted ({detail})"), **kwargs)
        if status >= 500:
            return ApiError(scrub.message(f"{subject}: server error, retries exhausted ({detail})"), **kwargs)
        if status < 400:
            return ApiError(scrub.message(f"{subject}: unexpected redirect ({detail})"), **kwargs)
        return ApiError(scrub.message(f"{subject}: request refused ({detail})"), **kwargs)

    def scrub(self, text: str, limit: int = _MESSAGE_MAX * 2) -> str:
        """`text` with every credential redacted, then on one line and shortened to `limit`."""
        return _one_line(self._scrubber.text(text), limit)


class _Oversized(Exception):
    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        super().__init__("oversized")
        self.response = response


class _RequestScrubber:
    """The credentials' scrubber, with one request's Authorization header and signature added on demand."""

    __slots__ = ("_base", "_extra", "_signature", "_values")

    def __init__(self, base: Scrubber, authorization: str | None, signature: str | None) -> None:
        self._base = base
        self._signature = signature
        self._values = (authorization, signature) if signature else ()
        self._extra: Scrubber | None = None

    def needed(self, text: str) -> bool:
        """Whether `text` holds a credential or this request's signature, in any form."""
        if self._base.found_in(text):
            return True
        return self._signature is not None and self._signature in text.lower()

    def text(self, text: str) -> str:
        """`text` with the credentials, the Authorization header and the signature redacted."""
        if self._values:
            if self._extra is None:
                self._extra = Scrubber.of(*self._values)
            text = self._extra.text(text)  # the whole header first, before its AK is redacted
        return self._base.text(text)

    def message(self, text: str, limit: int = _MESSAGE_MAX * 2) -> str:
        """`text` scrubbed, on one line, shortened to `limit` (scrubbed before the cut)."""
        return _one_line(self.text(text), limit)


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
                return (_text(code) if code is not None else None), (_text(msg) if msg is not None else None)
        stack.extend(reversed(list(current.values())))
    return None, None


def _text(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**100:
        return "<a very large number>"
    try:
        return str(value)
    except ValueError:  # an int beyond the conversion limit
        return "<a very large number>"


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
