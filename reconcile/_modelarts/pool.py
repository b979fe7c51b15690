"""Connection pools whose requests have a total deadline, direct or through an HTTP(S) proxy.

urllib3's read timeout bounds each socket read, not a request: a server that drips one byte every
two seconds, or never ends its headers, holds a request forever. Here every attempt registers with
one shared `Watchdog` thread; when the attempt's deadline passes (or its transport is closed, as on
Ctrl-C) the watchdog shuts the attempt's socket down, so the blocked read returns at once and the
transport reports the deadline. The connection classes attach themselves to the current thread's
attempt when they connect or send a request; an attempt is finished before its connection goes
back to the pool, so the watchdog never touches a connection another request is using.

`make_pool` builds a `urllib3.PoolManager` (or a `ProxyManager`, tunnelling `https://` with
CONNECT, so credentials travel only inside the TLS tunnel) with these connection classes.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Final

import attrs
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import make_headers

from reconcile._core.errors import ConfigError
from reconcile._core.secrets import Secret

__all__ = ["Attempt", "Proxy", "Watchdog", "make_pool"]


@attrs.frozen
class Proxy:
    """An HTTP(S) proxy to reach the endpoint through.

    Attributes:
        url: `http://host:port` (or `https://`), without credentials.
        basic_auth: `user:password` for `Proxy-Authorization: Basic`, or None.
    """

    url: str
    basic_auth: Secret | None = None

    def secrets(self) -> tuple[Secret, ...]:
        """The `user:password` pair and the password alone, to scrub from every message."""
        if self.basic_auth is None:
            return ()
        password = self.basic_auth.reveal().partition(":")[2]
        return (self.basic_auth, Secret(password)) if password else (self.basic_auth,)


class Attempt:
    """One attempt of one request: its deadline, and the connection serving it once it has one."""

    __slots__ = ("_conn", "_done", "_lock", "deadline", "reason")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        #: Why the attempt was cut off (`"deadline"` or `"cancelled"`), or None.
        self.reason: str | None = None
        self._conn: HTTPConnection | None = None
        self._done = False
        self._lock = threading.Lock()

    def attach(self, conn: HTTPConnection) -> None:
        """Serve this attempt on `conn`; cut it off at once if the attempt already was."""
        with self._lock:
            self._conn = conn
            cut = self.reason is not None and not self._done
        if cut:
            _shutdown(conn)

    def cut(self, reason: str) -> None:
        """Cut the attempt off (unless it finished): its socket is shut down, its reads return."""
        with self._lock:
            if self._done or self.reason is not None:
                return
            self.reason = reason
            conn = self._conn
        if conn is not None:
            _shutdown(conn)

    def finish(self) -> None:
        """The attempt is over: from now on nothing cuts its connection."""
        with self._lock:
            self._done = True
            self._conn = None


def _shutdown(conn: HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread that cuts off attempts whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Attempt]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def watch(self, attempt: Attempt) -> None:
        """Cut `attempt` off when its deadline passes (nothing happens if it finished first)."""
        with self._cond:
            if self._thread is None or self._pid != os.getpid():  # none yet, or we were forked
                self._heap.clear()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="request-deadlines", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (attempt.deadline, next(self._seq), attempt))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, attempt = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    # In slices: a wait past the platform's clock (a deadline of years) would raise
                    # OverflowError and end this thread, and with it every deadline of the process.
                    self._cond.wait(min(delay, _LONGEST_WAIT))
                    continue
                heapq.heappop(self._heap)
            attempt.cut("deadline")


#: The longest the watchdog sleeps at once, seconds (it then looks at the earliest deadline again).
_LONGEST_WAIT: Final = 3600.0
WATCHDOG: Final = Watchdog()
_CURRENT = threading.local()


@contextmanager
def attempt_scope(attempt: Attempt) -> Iterator[Attempt]:
    """Make `attempt` the current thread's attempt: connections used meanwhile attach to it."""
    WATCHDOG.watch(attempt)
    _CURRENT.attempt = attempt
    try:
        yield attempt
    finally:
        _CURRENT.attempt = None
        attempt.finish()


def _attach(conn: HTTPConnection) -> None:
    attempt: Attempt | None = getattr(_CURRENT, "attempt", None)
    if attempt is not None:
        attempt.attach(conn)


class _Connection(HTTPConnection):
    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _TLSConnection(HTTPSConnection):
    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def make_pool(
    *, ca_bundle: str | None = None, maxsize: int = 10, proxy: Proxy | None = None
) -> urllib3.PoolManager:
    """A PoolManager that verifies TLS (against `ca_bundle`, a PEM file, or the system store).

    Args:
        ca_bundle: path of a PEM CA bundle, for a private CA or a TLS-intercepting proxy.
        maxsize: connections kept per host; match the parallelism so none is discarded.
        proxy: send every request through this proxy (`https://` tunnelled with CONNECT).

    Raises:
        ConfigError: `ca_bundle` is not a readable file.
    """
    if ca_bundle is not None and not os.path.isfile(ca_bundle):
        raise ConfigError(f"CA bundle {ca_bundle!r} is not a file")
    options: dict[str, Any] = {
        "maxsize": maxsize,
        "block": False,
        "cert_reqs": "CERT_REQUIRED",
        "ca_certs": ca_bundle,
    }
    manager: urllib3.PoolManager
    if proxy is None:
        manager = urllib3.PoolManager(**options)
    else:
        headers = (
            make_headers(proxy_basic_auth=proxy.basic_auth.reveal()) if proxy.basic_auth is not None else None
        )
        manager = urllib3.ProxyManager(proxy.url, proxy_headers=headers, **options)
    manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
    return manager
