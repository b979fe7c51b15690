"""Test helpers for talking to the emulator over loopback: notebooks, credentials, fast clients.

`Servers` starts emulators and builds clients pointed at them, and closes them all on exit; each test
module wraps it in a small fixture. `CannedPool` stands in for the connection pool where a test needs
an answer the emulator cannot give (an error body that echoes secrets, JSON nested 5,000 deep).
Notebook documents are generated from the API page's example response (copied here, so the tests
need no file outside the repository).
"""

from __future__ import annotations

import copy
import io
import json
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

import urllib3

from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts.auth import AkSkAuth, TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.transport import RetryPolicy, Timeouts

PROJECT_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "MIIEtoken-not-a-real-one-4d1f9a7c2e"
AK = "AKTESTEXAMPLE0000000"
SK = "SKtestexampleSECRET000000000000000000000"
SECURITY_TOKEN = "securitytoken-0f9e8d7c6b5a"
#: Every secret value the tests use; none may ever appear in a message or repr.
SECRET_VALUES = (TOKEN, SK, SECURITY_TOKEN)

#: The API page's example response (`show-notebook-example.json`).
EXAMPLE: Mapping[str, Any] = {
    "description": "api-test",
    "feature": "NOTEBOOK",
    "flavor": "modelarts.vm.cpu.2u",
    "id": "f9937afa-631e-4a8f-a8f7-3b6c800585f0",
    "image": {
        "id": "e1a07296-22a8-4f05-8bc8-e936c8e54090",
        "name": "notebook2.0-mul-kernel-cpu-cp36",
        "swr_path": "swr.xxxxx.com/atelier/notebook2.0-mul-kernel-cpu-cp36:3.3.1.B007_V2",
        "type": "BUILD_IN",
    },
    "lease": {"create_at": 1638778344300, "duration": 3600000, "enable": True, "update_at": 1638778344300},
    "name": "notebooks_test",
    "status": "CREATING",
    "token": "7b22482a-a4cb-4b46-e3b3-6a793a47967e",
    "url": "https://authoring-modelarts-xxxxx.xxxxx.com/f9937afa-631e-4a8f-a8f7-3b6c800585f0/lab",
    "workspace_id": "0",
}

#: A retry policy that keeps tests fast: 3 retries, millisecond backoff, Retry-After up to 2 s.
FAST_RETRY = RetryPolicy(
    retries=3, backoff_factor=0.001, backoff_max=0.01, backoff_jitter=0.001, retry_after_max=2
)
#: Short timeouts for tests.
FAST_TIMEOUTS = Timeouts(connect=2.0, read=2.0, total=5.0)
#: A JSON body nested deeper than the standard library's parser can follow.
DEEPLY_NESTED = b'{"data": [], "total": 0, "unknown": ' + b"[" * 5000 + b"]" * 5000 + b"}"


def notebook(index: int, name: str | None = None) -> dict[str, Any]:
    """The example notebook with a distinct, deterministic id and name (`nb-007` for index 7)."""
    doc = copy.deepcopy(dict(EXAMPLE))
    doc["id"] = str(uuid.UUID(int=index + 1))
    doc["name"] = name if name is not None else f"nb-{index:03d}"
    doc["url"] = f"https://authoring-modelarts.example.com/{doc['id']}/lab"
    return doc


def fleet(count: int) -> list[dict[str, Any]]:
    """`count` distinct notebooks."""
    return [notebook(i) for i in range(count)]


def write_notebooks(directory: Path, documents: Iterable[Mapping[str, Any]]) -> list[Path]:
    """Write one GET body per file (`<id>.json`) into `directory`; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in documents:
        path = directory / f"{doc['id']}.json"
        path.write_text(json.dumps(doc, indent=2))
        paths.append(path)
    return paths


def token_auth() -> TokenAuth:
    """Token credentials the default emulator accepts."""
    return TokenAuth(Secret(TOKEN))


def aksk_auth(sk: str = SK, security_token: str | None = None) -> AkSkAuth:
    """AK/SK credentials; with the default SK, the default emulator accepts them."""
    return AkSkAuth(AK, Secret(sk), Secret(security_token) if security_token else None)


def emulator_auth() -> EmulatorAuth:
    """What the default emulator accepts: `TOKEN`, or requests signed with `AK`/`SK`."""
    return EmulatorAuth(token=Secret(TOKEN), ak=AK, sk=Secret(SK))


class CannedPool:
    """A stand-in for urllib3's PoolManager that answers every request with one canned response."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.requests = 0

    def request(self, method: str, url: str, **_options: Any) -> urllib3.HTTPResponse:
        """The canned response, unread, as the client asks for it (`preload_content=False`)."""
        self.requests += 1
        return urllib3.HTTPResponse(
            body=io.BytesIO(self.body),
            status=self.status,
            headers={"Content-Type": self.content_type, "X-Request-Id": "canned-request"},
            preload_content=False,
        )

    def clear(self) -> None:
        """Nothing to close."""


def canned_client(pool: CannedPool, auth: Any = None) -> ModelArtsClient:
    """A client whose every request is answered by `pool` (no network at all)."""
    return ModelArtsClient(
        "https://modelarts.example.com",
        PROJECT_ID,
        auth if auth is not None else token_auth(),
        retry=FAST_RETRY,
        timeouts=FAST_TIMEOUTS,
        pool=pool,  # type: ignore[arg-type]  # duck-typed: request() and clear() are all it uses
    )


class Servers:
    """Starts emulators and clients for one test, and closes every one of them on exit."""

    def __init__(self) -> None:
        self._emulators: list[Emulator] = []
        self._clients: list[ModelArtsClient] = []

    def emulator(self, documents: Iterable[Mapping[str, Any]] | None = None, **options: Any) -> Emulator:
        """A started emulator serving `documents` (default: three notebooks), checking auth by default."""
        store = NotebookStore.from_documents(fleet(3) if documents is None else documents)
        options.setdefault("auth", emulator_auth())
        emulator = Emulator(store, **options).start()
        self._emulators.append(emulator)
        return emulator

    def client(self, emulator: Emulator | str, auth: Any = None, **options: Any) -> ModelArtsClient:
        """A client of `emulator` (or an endpoint URL) with fast retries and short timeouts."""
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeouts", FAST_TIMEOUTS)
        endpoint = emulator if isinstance(emulator, str) else emulator.url
        client = ModelArtsClient(endpoint, PROJECT_ID, auth if auth is not None else token_auth(), **options)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every client, then stop every emulator."""
        for client in self._clients:
            client.close()
        for emulator in self._emulators:
            emulator.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
