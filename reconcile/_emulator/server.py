"""A local ModelArts notebook API over real HTTP, for tests and demos (`reconcile emulator`).

It serves the notebooks of a directory of saved API responses, read by the very loader
`reconcile plan --observed` uses (`reconcile._observe.offline.load_observed`), under the real paths:

- `GET /v1/{project_id}/notebooks/{id}`: the notebook's JSON. An unknown id answers HTTP 400
  `ModelArts.6309`, as the service does; ids listed in `plain_404_ids` answer a plain HTTP 404 instead.
- `GET /v1/{project_id}/notebooks?limit=&offset=&name=`: `{current, data, pages, size, total}`, with
  `limit` one of 10, 20, 50 (default 10; anything else is HTTP 400), `offset` a record offset and
  `name` a case-insensitive substring match (the service's filter is fuzzy too). `current` is the
  page index (`offset // limit`) and `size` the page size.

Every response carries an `X-Request-Id`, and errors have ModelArts-shaped bodies
(`{"error_code", "error_msg"}`; the gateway codes `APIGW.*` are illustrative). With `EmulatorAuth`,
requests must carry the expected `X-Auth-Token` or a valid AK/SK signature (checked with
`reconcile._modelarts.auth`), else HTTP 401; with `project_id`, other projects answer HTTP 403.

`Faults` injects trouble by request number (counted over all requests, from 1): latency, 429 with
`Retry-After`, bursts of 5xx, connection resets, truncated, invalid, slow (dripped) or oversized
bodies. The server is threaded (one thread per connection, HTTP/1.1 keep-alive), and latency is a
per-request sleep, so concurrent clients are served concurrently.

Use `Emulator` as a context manager in tests; `add_arguments` and `run` make the CLI subcommand, which
also reads the credentials it accepts from `EMULATOR_TOKEN`, `EMULATOR_AK`, `EMULATOR_SK` and
`EMULATOR_SECURITY_TOKEN` (`ENV_VARS`), so they need not be on the command line, visible in `ps`.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import math
import os
import re
import socket
import struct
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from reconcile._core.errors import ConfigError, ReconcileError
from reconcile._core.secrets import REDACTED, Secret
from reconcile._modelarts.auth import verify_signature
from reconcile._modelarts.protocol import LIST_LIMITS
from reconcile._observe.offline import load_observed

__all__ = [
    "ENV_VARS",
    "Emulator",
    "EmulatorAuth",
    "Faults",
    "NotebookStore",
    "Schedule",
    "add_arguments",
    "auth_from_args",
    "faults_from_args",
    "run",
]

#: The environment variables `run` reads credentials from, by option; an option given wins.
ENV_VARS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "token": "EMULATOR_TOKEN",
        "ak": "EMULATOR_AK",
        "sk": "EMULATOR_SK",
        "security_token": "EMULATOR_SECURITY_TOKEN",
    }
)
_NOTEBOOK_PATH: Final = re.compile(r"^/v1/(?P<project>[^/]+)/notebooks(?:/(?P<id>[^/]+))?/?$")
_NOT_FOUND_BODY: Final = {
    "error_code": "APIGW.0101",
    "error_msg": "The API does not exist or has not been published in the environment",
}


@attrs.frozen
class Schedule:
    """Which requests a fault hits, by request number (1-based, over every request served).

    Attributes:
        first: the first N requests.
        every: and every Nth request (N, 2N, ...); 0 for none.
    """

    first: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    every: int = attrs.field(default=0, validator=attrs.validators.ge(0))

    def hits(self, number: int) -> bool:
        """Whether request `number` is hit."""
        return number <= self.first or (self.every > 0 and number % self.every == 0)


@attrs.frozen
class Faults:
    """Trouble to inject; the default injects none. Earlier faults in this list win.

    Attributes:
        latency_ms: delay before answering each request, in milliseconds.
        reset: requests whose connection is reset (TCP RST) instead of answered.
        throttle: requests answered HTTP 429 with `Retry-After: retry_after`.
        retry_after: seconds in the `Retry-After` header of a 429.
        unavailable: requests answered `unavailable_status` (a 5xx burst: `first=N`).
        unavailable_status: the status of those answers (default 503).
        truncate: successful answers cut off halfway (Content-Length promises the whole body).
        invalid_json: successful answers whose body is cut in half (complete, but not JSON).
        oversize: successful answers padded to at least `oversize_bytes` (still valid JSON).
        oversize_bytes: size of a padded body.
        slow_body: successful answers sent `drip_bytes` at a time, `drip_ms` apart.
        drip_bytes: bytes per drip.
        drip_ms: milliseconds between drips.
    """

    latency_ms: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    reset: Schedule = Schedule()
    throttle: Schedule = Schedule()
    retry_after: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    unavailable: Schedule = Schedule()
    unavailable_status: int = attrs.field(
        default=503, validator=[attrs.validators.ge(500), attrs.validators.le(599)]
    )
    truncate: Schedule = Schedule()
    invalid_json: Schedule = Schedule()
    oversize: Schedule = Schedule()
    oversize_bytes: int = attrs.field(default=16 * 1024 * 1024, validator=attrs.validators.ge(0))
    slow_body: Schedule = Schedule()
    drip_bytes: int = attrs.field(default=64, validator=attrs.validators.ge(1))
    drip_ms: int = attrs.field(default=50, validator=attrs.validators.ge(0))


@attrs.frozen
class EmulatorAuth:
    """The credentials the emulator accepts; with none set, every request is accepted.

    Attributes:
        token: the expected `X-Auth-Token`.
        ak: the access key of the AK/SK pair accepted.
        sk: its secret key, used to verify signatures.
        security_token: when set, AK/SK requests must also carry this `X-Security-Token`.
    """

    token: Secret | None = None
    ak: str | None = None
    sk: Secret | None = None
    security_token: Secret | None = None

    def __attrs_post_init__(self) -> None:
        if (self.ak is None) != (self.sk is None):
            raise ConfigError("the emulator needs both an AK and an SK, or neither")

    @property
    def enabled(self) -> bool:
        """Whether requests are checked at all."""
        return self.token is not None or self.ak is not None


@attrs.frozen
class NotebookStore:
    """The notebooks the emulator serves, in the order loaded.

    Attributes:
        documents: each notebook's parsed JSON, keyed by id.
        bodies: each notebook's `GET` body: the file's bytes for a single-notebook file, else the
            JSON of its list entry.
    """

    documents: Mapping[str, Mapping[str, Any]] = attrs.field(repr=False)
    bodies: Mapping[str, bytes] = attrs.field(repr=False)

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> NotebookStore:
        """A store of these notebooks (each needs a string `id`, unique)."""
        docs: dict[str, Mapping[str, Any]] = {}
        bodies: dict[str, bytes] = {}
        for doc in documents:
            nid = doc.get("id")
            if not isinstance(nid, str) or not nid:
                raise ConfigError("emulator data: a notebook has no string id")
            if nid in docs:
                raise ConfigError(f"emulator data: notebook id {nid!r} appears twice")
            docs[nid] = doc
            bodies[nid] = json.dumps(doc).encode()
        return cls(docs, bodies)

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


class Emulator:
    """A running (or ready to run) emulator; a context manager that starts and stops it.

    Args:
        data: the notebooks, as a store or a path to load with `NotebookStore.from_dir`.
        host: address to bind (default loopback).
        port: port to bind; 0 picks a free one (see `url`).
        auth: the credentials to require (default: none checked).
        faults: trouble to inject.
        plain_404_ids: notebook ids answered with a plain HTTP 404 instead of 400 ModelArts.6309.
        project_id: when set, requests for any other project answer HTTP 403.
        log: called with one line per request; None for silence.
    """

    def __init__(
        self,
        data: NotebookStore | str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        auth: EmulatorAuth | None = None,
        faults: Faults | None = None,
        plain_404_ids: Iterable[str] = (),
        project_id: str | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.store = data if isinstance(data, NotebookStore) else NotebookStore.from_dir(data)
        self.host = host
        self.port = port
        self.auth = auth if auth is not None else EmulatorAuth()
        self.faults = faults if faults is not None else Faults()
        self.plain_404_ids = frozenset(plain_404_ids)
        self.project_id = project_id
        self.log = log
        self._lock = threading.Lock()
        self._count = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to give the client (`http://127.0.0.1:PORT`); valid once started."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else host
        return f"http://[{text}]:{port}" if ":" in text else f"http://{text}:{port}"

    @property
    def requests_received(self) -> int:
        """How many requests arrived so far (including those answered with a fault)."""
        with self._lock:
            return self._count

    def start(self) -> Self:
        """Bind and serve in a background thread.

        Raises:
            OSError: the address cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already started")
        self._stopping.clear()
        self._server = _Server(self, (self.host, self.port))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator", daemon=True
        )
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the emulator stops (Ctrl-C interrupts it with KeyboardInterrupt)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving, close every connection and the listening socket; idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()  # joins the connection threads
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------------

    def _next_number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _handle(self, handler: _Handler) -> None:
        number = self._next_number()
        faults = self.faults
        declared = handler.headers.get("Content-Length", "0").strip()
        length = int(declared) if declared.isdigit() else 0
        body = handler.rfile.read(length) if length > 0 else b""
        if faults.latency_ms and self._stopping.wait(faults.latency_ms / 1000):
            handler.close_connection = True
            return
        if faults.reset.hits(number):
            _reset(handler)
            return
        split = urlsplit(handler.path)
        match = _NOTEBOOK_PATH.match(split.path)
        if match is None:
            self._error(handler, 404, _NOT_FOUND_BODY)
            return
        if handler.command != "GET":
            self._error(
                handler, 405, {"error_code": "APIGW.0101", "error_msg": "the emulator serves GET only"}
            )
            return
        query = parse_qsl(split.query, keep_blank_values=True)
        if not self._authenticated(handler, split.path, query, body):
            self._error(
                handler,
                401,
                {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"},
            )
            return
        if self.project_id is not None and unquote(match["project"]) != self.project_id:
            self._error(
                handler,
                403,
                {"error_code": "APIGW.0302", "error_msg": "The IAM user is not authorized to access the API"},
            )
            return
        if faults.throttle.hits(number):
            self._error(
                handler,
                429,
                {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"},
                extra={"Retry-After": str(faults.retry_after)},
            )
            return
        if faults.unavailable.hits(number):
            self._error(
                handler,
                faults.unavailable_status,
                {"error_code": "ModelArts.0001", "error_msg": "Service temporarily unavailable"},
            )
            return
        notebook_id = unquote(match["id"]) if match["id"] is not None else None
        if notebook_id is None:
            self._list(handler, number, dict(query))
        elif notebook_id in self.plain_404_ids:
            self._error(handler, 404, _NOT_FOUND_BODY)
        elif notebook_id not in self.store.bodies:
            self._error(
                handler,
                400,
                {
                    "error_code": "ModelArts.6309",
                    "error_msg": f"Notebook instance {notebook_id} does not exist",
                },
            )
        else:
            self._ok(handler, number, self.store.bodies[notebook_id])

    def _list(self, handler: _Handler, number: int, query: Mapping[str, str]) -> None:
        try:
            limit = int(query.get("limit", "10"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            limit, offset = -1, -1
        if limit not in LIST_LIMITS or offset < 0:
            self._error(
                handler,
                400,
                {
                    "error_code": "ModelArts.0101",
                    "error_msg": "Invalid parameter: limit must be 10, 20 or 50 and offset at least 0",
                },
            )
            return
        needle = query.get("name", "").lower()
        matching = [
            doc for doc in self.store.documents.values() if needle in str(doc.get("name", "")).lower()
        ]
        page = {
            "current": offset // limit,
            "data": matching[offset : offset + limit],
            "pages": math.ceil(len(matching) / limit),
            "size": limit,
            "total": len(matching),
        }
        self._ok(handler, number, json.dumps(page).encode())

    def _authenticated(
        self, handler: _Handler, path: str, query: Sequence[tuple[str, str]], body: bytes
    ) -> bool:
        auth = self.auth
        if not auth.enabled:
            return True
        # http.server decodes header values as latin-1; the SDK sends UTF-8 bytes.
        headers = {
            k: v.encode("latin-1", "replace").decode("utf-8", "replace") for k, v in handler.headers.items()
        }
        sent_token = handler.headers.get("X-Auth-Token")
        if auth.token is not None and sent_token is not None:
            return hmac.compare_digest(sent_token.encode(), auth.token.reveal().encode())
        if auth.ak is None or auth.sk is None:
            return False
        if auth.security_token is not None:
            sent = handler.headers.get("X-Security-Token", "")
            if not hmac.compare_digest(sent.encode(), auth.security_token.reveal().encode()):
                return False
        return verify_signature(handler.command, path, query, headers, body, ak=auth.ak, sk=auth.sk)

    def _error(
        self, handler: _Handler, status: int, error: Mapping[str, str], extra: Mapping[str, str] | None = None
    ) -> None:
        self._send(handler, status, json.dumps(error).encode(), extra=extra)

    def _ok(self, handler: _Handler, number: int, body: bytes) -> None:
        faults = self.faults
        if faults.truncate.hits(number):
            self._send(handler, 200, body, cut_at=len(body) // 2)
            return
        if faults.invalid_json.hits(number):
            body = body[: len(body) // 2]
        elif faults.oversize.hits(number):
            padding = b"x" * max(faults.oversize_bytes - len(body), 0)
            body = b'{"padding": "' + padding + b'", "notebook": ' + body + b"}"
        drip = faults.slow_body.hits(number)
        self._send(handler, 200, body, drip=drip)

    def _send(
        self,
        handler: _Handler,
        status: int,
        body: bytes,
        *,
        extra: Mapping[str, str] | None = None,
        cut_at: int | None = None,
        drip: bool = False,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("X-Request-Id", uuid.uuid4().hex)
        for name, value in (extra or {}).items():
            handler.send_header(name, value)
        if cut_at is not None:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        try:
            if cut_at is not None:
                handler.wfile.write(body[:cut_at])
            elif drip:
                step, pause = self.faults.drip_bytes, self.faults.drip_ms / 1000
                for start in range(0, len(body), step):
                    handler.wfile.write(body[start : start + step])
                    if self._stopping.wait(pause):
                        handler.close_connection = True
                        return
            else:
                view = memoryview(body)
                for start in range(0, len(body), 1 << 20):  # a client may hang up on a huge body
                    handler.wfile.write(view[start : start + (1 << 20)])
        except OSError:
            handler.close_connection = True


def _reset(handler: _Handler) -> None:
    """Abort the connection with a TCP RST and no answer."""
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    sock.close()  # the fd really closes (RST) when the handler releases its file objects


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a pooled client reuses connections
    server_version = "modelarts-emulator"
    timeout = 60  # an idle keep-alive connection is dropped after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except OSError:  # the client went away, or a reset fault closed the socket
            self.close_connection = True

    def _dispatch(self) -> None:
        self.server.emulator._handle(self)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request http.server cannot parse with a ModelArts-shaped body and a request id."""
        self.close_connection = True
        error = {"error_code": f"Emulator.{code}", "error_msg": message or self.responses.get(code, ("",))[0]}
        self.server.emulator._error(self, code, error)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib names it `format`
        log = self.server.emulator.log
        if log is not None:
            log(f"{self.address_string()} {format % args}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the connection threads
    request_queue_size = 128

    def __init__(self, emulator: Emulator, address: tuple[str, int]) -> None:
        self.emulator = emulator
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake every connection thread blocked reading a keep-alive connection, so it ends."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


# -- command line --------------------------------------------------------------------------------

_SCHEDULED: Final = (
    ("reset", "reset the connection (TCP RST) of"),
    ("throttle", "answer HTTP 429 with Retry-After to"),
    ("unavailable", "answer --unavailable-status (503) to"),
    ("truncate", "cut off halfway the successful answer to"),
    ("invalid_json", "send a body that is not JSON for"),
    ("oversize", "pad to --oversize-bytes the successful answer to"),
    ("slow_body", "drip the body of the successful answer to"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `reconcile emulator` options to `parser`."""
    parser.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="saved API responses, as for `plan --observed`: a *.json file or a directory of them "
        "(read recursively), each a GET body or a list response",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind, 0 to 65535 (default 0: any free port)"
    )
    parser.add_argument("--project-id", help="serve only this project; others answer HTTP 403")
    safer = "(safer than the option: arguments show in `ps`)"
    parser.add_argument(
        "--token",
        help=f"require this X-Auth-Token (or a valid AK/SK signature); or set ${ENV_VARS['token']} {safer}",
    )
    parser.add_argument(
        "--ak", help=f"accept requests signed with this access key (with --sk); or set ${ENV_VARS['ak']}"
    )
    parser.add_argument("--sk", help=f"the secret key of --ak; or set ${ENV_VARS['sk']} {safer}")
    parser.add_argument(
        "--security-token",
        help=f"with --ak: also require this X-Security-Token; or set ${ENV_VARS['security_token']} {safer}",
    )
    parser.add_argument(
        "--plain-404",
        action="append",
        default=[],
        metavar="ID",
        help="answer a plain HTTP 404 for this notebook id (repeatable); unknown ids get 400 ModelArts.6309",
    )
    parser.add_argument("--log-requests", action="store_true", help="print one line per request on stderr")
    faults = parser.add_argument_group("faults (N counts requests from 1, over all requests)")
    faults.add_argument(
        "--latency-ms", type=_non_negative, default=0, metavar="MS", help="delay every answer"
    )
    for name, what in _SCHEDULED:
        flag = name.replace("_", "-")
        faults.add_argument(
            f"--{flag}-first", type=_non_negative, default=0, metavar="N", help=f"{what} the first N requests"
        )
        faults.add_argument(
            f"--{flag}-every", type=_non_negative, default=0, metavar="N", help=f"{what} every Nth request"
        )
    faults.add_argument(
        "--retry-after", type=_non_negative, default=1, metavar="S", help="Retry-After of a 429 (default 1)"
    )
    faults.add_argument(
        "--unavailable-status",
        type=int,
        default=503,
        metavar="CODE",
        help="status of the 5xx fault (default 503)",
    )
    faults.add_argument(
        "--oversize-bytes",
        type=_non_negative,
        default=16 * 1024 * 1024,
        metavar="N",
        help="size of a padded body (default 16 MiB)",
    )
    faults.add_argument(
        "--drip-bytes", type=int, default=64, metavar="N", help="bytes per drip of a slow body (default 64)"
    )
    faults.add_argument(
        "--drip-ms", type=_non_negative, default=50, metavar="MS", help="pause between drips (default 50)"
    )


def faults_from_args(args: argparse.Namespace) -> Faults:
    """The `Faults` the parsed command-line options ask for."""
    schedules = {
        name: Schedule(first=getattr(args, f"{name}_first"), every=getattr(args, f"{name}_every"))
        for name, _ in _SCHEDULED
    }
    return Faults(
        latency_ms=args.latency_ms,
        retry_after=args.retry_after,
        unavailable_status=args.unavailable_status,
        oversize_bytes=args.oversize_bytes,
        drip_bytes=args.drip_bytes,
        drip_ms=args.drip_ms,
        **schedules,
    )


def run(
    args: argparse.Namespace,
    *,
    stdout: Any = None,
    stderr: Any = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run `reconcile emulator`: print the URL on stdout, serve until Ctrl-C.

    Credentials not given as options are read from `env` (default `os.environ`), by the names in
    `ENV_VARS`; empty values count as unset.

    Returns:
        0 after Ctrl-C; 1, with a one-line message on stderr, when anything stops it from starting
        (the data, the options, the credentials or the address).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    environ = os.environ if env is None else env

    def fail(text: str) -> int:
        # No message we build quotes a secret, but the text of an unexpected error might.
        for name in ("token", "sk", "security_token"):
            value = _option(args, environ, name)
            if value:
                text = text.replace(value, REDACTED)
        print(f"reconcile emulator: error: {' '.join(text.split())}", file=err)
        return 1

    try:
        emulator = Emulator(
            args.data,
            host=args.host,
            port=args.port,
            auth=auth_from_args(args, environ),
            faults=faults_from_args(args),
            plain_404_ids=args.plain_404,
            project_id=args.project_id,
            log=(lambda line: print(line, file=err, flush=True)) if args.log_requests else None,
        )
    except (ReconcileError, ValueError) as exc:  # attrs validators raise ValueError
        return fail(str(exc))
    except Exception as exc:  # anything else is still one line, never a traceback
        return fail(f"{type(exc).__name__}: {exc}")
    try:
        emulator.start()
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    except Exception as exc:  # e.g. OverflowError for a port out of range, given programmatically
        return fail(f"cannot listen on {args.host}:{args.port}: {type(exc).__name__}: {exc}")
    try:
        print(emulator.url, file=out, flush=True)
        count = len(emulator.store.bodies)
        print(f"serving {count} notebook(s) from {args.data}; press Ctrl-C to stop", file=err, flush=True)
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def auth_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> EmulatorAuth:
    """The credentials the options ask for; an option not given is read from its `ENV_VARS` variable.

    Raises:
        ConfigError: an AK without an SK, or an SK without an AK.
    """
    token, ak, sk, security_token = (
        _option(args, env, name) for name in ("token", "ak", "sk", "security_token")
    )
    return EmulatorAuth(
        token=Secret(token) if token else None,
        ak=ak,
        sk=Secret(sk) if sk else None,
        security_token=Secret(security_token) if security_token else None,
    )


def _option(args: argparse.Namespace, env: Mapping[str, str], name: str) -> str | None:
    """Option `name` if given, else its environment variable; empty values count as unset."""
    given: str | None = getattr(args, name, None)
    return given or env.get(ENV_VARS[name], "").strip() or None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value
