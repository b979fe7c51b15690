"""A local ModelArts notebook API over real HTTP, for tests and demos (`reconcile emulator`).

It serves the notebooks of a `NotebookStore` (`reconcile._emulator.store`) under the real paths
(`reconcile._modelarts.protocol`):

- `GET /v1/{project_id}/notebooks/{id}`: the notebook's JSON. An unknown id answers HTTP 400
  `ModelArts.6309`, as the service does; ids listed in `plain_404_ids` answer a plain HTTP 404 instead.
- `GET /v1/{project_id}/notebooks?limit=&offset=&name=`: `{current, data, pages, size, total}`, with
  `limit` one of 10, 20, 50 (default 10; anything else is HTTP 400), `offset` a record offset and
  `name` a case-insensitive substring match (the service's filter is fuzzy too). `current` is the
  page index (`offset // limit`) and `size` the page size.

- Writes (create, update, delete, start, stop, lease, tags): `reconcile._emulator.writes`, with
  the state machine, the transition time (`transition_ms`) and the write faults of `Faults`.

Every response carries an `X-Request-Id`, and errors have ModelArts-shaped bodies
(`{"error_code", "error_msg"}`; the gateway codes `APIGW.*` are illustrative). With `EmulatorAuth`,
requests must carry the expected `X-Auth-Token` or a valid AK/SK signature (checked with
`reconcile._modelarts.auth`), else HTTP 401; with `project_id`, other projects answer HTTP 403.

`Faults` (`reconcile._emulator.settings`) injects trouble by request number. The server is threaded
(one thread per connection, HTTP/1.1 keep-alive), and latency is a per-request sleep, so concurrent
clients are served concurrently. Use `Emulator` as a context manager in tests; the command line is
in `reconcile._emulator.cli`.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import socket
import ssl
import struct
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from reconcile._emulator.settings import EmulatorAuth, Faults
from reconcile._emulator.store import NotebookStore
from reconcile._emulator.writes import ACTION_PATH, Writes
from reconcile._modelarts.auth import verify_signature
from reconcile._modelarts.protocol import LIST_LIMITS, NOTEBOOK_PATH

__all__ = ["Emulator"]

_NOT_FOUND_BODY: Final = {
    "error_code": "APIGW.0101",
    "error_msg": "The API does not exist or has not been published in the environment",
}


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
        tls: serve HTTPS with this server-side context (for tests of TLS and proxies).
        transition_ms: how long STARTING, STOPPING and CREATING last (`reconcile._emulator.writes`).
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
        tls: ssl.SSLContext | None = None,
        transition_ms: int = 50,
    ) -> None:
        self.store = data if isinstance(data, NotebookStore) else NotebookStore.from_dir(data)
        self.host = host
        self.port = port
        self.auth = auth if auth is not None else EmulatorAuth()
        self.faults = faults if faults is not None else Faults()
        self.plain_404_ids = frozenset(plain_404_ids)
        self.project_id = project_id
        self.log = log
        self.tls = tls
        self.writes = Writes(self.store, transition_ms=transition_ms)
        self._lock = threading.Lock()
        self._count = 0
        self._write_count = 0
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
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://[{text}]:{port}" if ":" in text else f"{scheme}://{text}:{port}"

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
        if self.tls is not None:  # the handshake happens in each connection's thread
            self._server.socket = self.tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
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
        if faults.endless_headers.hits(number):
            self._endless_headers(handler)
            return
        handler.echo = _echo_text(handler) if faults.echo.hits(number) else None
        split = urlsplit(handler.path)
        match = NOTEBOOK_PATH.match(split.path) or ACTION_PATH.match(split.path)
        if match is None:
            self._error(handler, 404, _NOT_FOUND_BODY)
            return
        action = match.groupdict().get("action")
        if handler.command not in ("GET", "PUT", "POST", "PATCH", "DELETE") or (
            handler.command == "GET" and action
        ):
            self._error(
                handler,
                405,
                {"error_code": "APIGW.0101", "error_msg": "the emulator does not serve this method"},
            )
            return
        query = parse_qsl(split.query, keep_blank_values=True)
        if not self._authenticated(handler, split.path, query, body):
            message = "Incorrect IAM authentication information"
            if handler.echo:
                message += f" ({handler.echo})"
            self._error(handler, 401, {"error_code": "APIGW.0301", "error_msg": message})
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
                extra={
                    "Retry-After": faults.retry_after_text
                    if faults.retry_after_text is not None
                    else str(faults.retry_after)
                },
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
        if handler.command != "GET":
            self._write(handler, number, notebook_id=notebook_id, action=action, query=dict(query), body=body)
        elif notebook_id is None:
            self._list(handler, number, dict(query))
        elif notebook_id in self.plain_404_ids:
            self._error(handler, 404, _NOT_FOUND_BODY)
        elif (found := self.store.body(notebook_id)) is None:
            self._error(
                handler,
                400,
                {
                    "error_code": "ModelArts.6309",
                    "error_msg": f"Notebook instance {notebook_id} does not exist",
                },
            )
        else:
            self._ok(handler, number, found)

    def _write(
        self,
        handler: _Handler,
        number: int,
        *,
        notebook_id: str | None,
        action: str | None,
        query: Mapping[str, str],
        body: bytes,
    ) -> None:
        """Answer a write (`reconcile._emulator.writes`), with the write faults."""
        with self._lock:
            self._write_count += 1
            write_number = self._write_count
        faults = self.faults
        if faults.conflict.hits(write_number):
            self._error(
                handler,
                409,
                {
                    "error_code": "ModelArts.6307",
                    "error_msg": "The notebook is transitioning; try again later",
                },
            )
            return
        status, answer = self.writes.handle(handler.command, notebook_id, action, query, body)
        if status < 300 and faults.fail_after_commit.hits(write_number):
            self._error(handler, 500, {"error_code": "ModelArts.0002", "error_msg": "Internal error"})
            return
        if status < 300 and faults.timeout_after_commit.hits(write_number):
            self._stopping.wait(faults.hang_ms / 1000)
            handler.close_connection = True
            return
        if status >= 300:
            self._error(handler, status, answer)
        else:
            self._ok(handler, number, json.dumps(answer).encode())

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
        matching = _as_listed(self.store.named(query.get("name", "")), query, self.faults)
        if self.faults.lying_total.hits(number):
            page = {
                "current": 0,
                "data": matching[:limit],
                "pages": 20_000,
                "size": limit,
                "total": 1_000_000,
            }
            self._ok(handler, number, json.dumps(page).encode())
            return
        page = {
            "current": offset // limit,
            "data": matching[offset : offset + limit],
            "pages": math.ceil(len(matching) / limit),
            "size": limit,
            "total": len(matching),
        }
        self._ok(handler, number, json.dumps(page).encode())

    def _endless_headers(self, handler: _Handler) -> None:
        """A status line, then one header line every `drip_ms`, until the client or the emulator stops."""
        handler.close_connection = True
        pause = max(self.faults.drip_ms, 1) / 1000
        try:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            count = 0
            while not self._stopping.wait(pause):
                count += 1
                handler.wfile.write(f"X-Still-Coming-{count}: yes\r\n".encode())
                handler.wfile.flush()
        except OSError:
            pass

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
        if handler.echo:
            body = _with_description(body, handler.echo)
        if faults.reset_body.hits(number):
            self._send(handler, 200, body, cut_at=len(body) // 2, reset=True)
            return
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
        reset: bool = False,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("X-Request-Id", getattr(handler, "echo", None) or uuid.uuid4().hex)
        for name, value in (extra or {}).items():
            handler.send_header(name, value)
        if cut_at is not None:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        try:
            if cut_at is not None:
                handler.wfile.write(body[:cut_at])
                if reset:
                    handler.wfile.flush()
                    _reset(handler)
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


def _as_listed(entries: Sequence[Mapping[str, Any]], query: Mapping[str, str], faults: Faults) -> list[Any]:
    """The list entries after the `status` and `workspace_id` filters (exact), as the list shows
    them: without the `sparse_list` fields, with the `list_lag` values."""
    shown: list[Any] = []
    for entry in entries:
        if any(key in query and entry.get(key) != query[key] for key in ("status", "workspace_id")):
            continue
        if faults.sparse_list or faults.list_lag:
            kept = {k: v for k, v in entry.items() if k not in faults.sparse_list}
            shown.append(kept | dict(faults.list_lag))
        else:
            shown.append(entry)
    return shown


def _echo_text(handler: _Handler) -> str:
    """The request's credentials as a careless gateway would quote them back."""
    authorization = handler.headers.get("Authorization", "")
    signature = authorization.rpartition("Signature=")[2] if "Signature=" in authorization else ""
    parts = {
        "X-Auth-Token": handler.headers.get("X-Auth-Token", ""),
        "X-Security-Token": handler.headers.get("X-Security-Token", ""),
        "Authorization": authorization,
        "signature": signature,
    }
    return "; ".join(f"{name}={value}" for name, value in parts.items() if value)


def _with_description(body: bytes, text: str) -> bytes:
    """A notebook body (or a list page) whose `description` (of every entry) is `text`."""
    document = json.loads(body)
    entries = document["data"] if isinstance(document.get("data"), list) else [document]
    for entry in entries:
        entry["description"] = text
    return json.dumps(document).encode()


def _reset(handler: _Handler) -> None:
    """Abort the connection with a TCP RST and no answer."""
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    sock.close()  # the fd really closes (RST) when the handler releases its file objects


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a pooled client reuses connections
    echo: str | None = None  # the credentials to echo back in this answer, by the `echo` fault
    server_version = "modelarts-emulator"
    timeout = 60  # an idle keep-alive connection is dropped after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (OSError, ValueError):
                self.close_connection = True

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
