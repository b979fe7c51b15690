"""The official Huawei Cloud SDK as a baseline: its deserialisation path and its `show_notebook`.

The SDK (`huaweicloudsdkcore` + `huaweicloudsdkmodelarts`, the `oracle` extra) is optional: when it
is missing, `available()` says why and the benchmarks skip the SDK side with a note.

Importing the SDK core writes a random application id to `~/.huaweicloud/application_id` when that
file is missing (it goes into every User-Agent). The benchmark imports it with `HOME` pointed at a
scratch directory, so running the benchmarks never writes into the user's home.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from importlib import metadata
from typing import Any

__all__ = [
    "FakeResponse",
    "available",
    "deserializer",
    "live_client",
    "show_notebook",
    "status_of_failure",
    "version",
]


@functools.cache
def _scratch_dir() -> str:
    path = tempfile.mkdtemp(prefix="bench-sdk-home-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@contextlib.contextmanager
def _scratch_home() -> Iterator[None]:
    old = os.environ.get("HOME")
    os.environ["HOME"] = _scratch_dir()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old


def _modules() -> tuple[Any, Any, Any, Any]:
    with _scratch_home(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's own deprecation noise is not ours to show
        credentials = importlib.import_module("huaweicloudsdkcore.auth.credentials")
        http_config = importlib.import_module("huaweicloudsdkcore.http.http_config")
        exceptions = importlib.import_module("huaweicloudsdkcore.exceptions.exceptions")
        modelarts = importlib.import_module("huaweicloudsdkmodelarts.v1")
    return credentials, http_config, exceptions, modelarts


def available() -> str | None:
    """None when the SDK can be used; else why not (for the skip note)."""
    try:
        _modules()
    except ImportError as exc:
        return f"the official SDK is not installed ({exc.name}): pip install '.[oracle]' to compare with it"
    return None


def version() -> str | None:
    """The installed huaweicloudsdkmodelarts version, or None."""
    try:
        return metadata.version("huaweicloudsdkmodelarts")
    except metadata.PackageNotFoundError:
        return None


class FakeResponse:
    """What `Client.sync_response_handler` reads from a `requests` response (modelarts-api.md §4)."""

    status_code = 200
    headers = {"Content-Type": "application/json"}  # noqa: RUF012 (read-only, as in the SDK's docs)

    def __init__(self, body: bytes) -> None:
        self.content = body
        self.text = body.decode("utf-8")  # decoded once: the SDK side is not charged for it


def deserializer(body: bytes) -> Any:
    """A no-argument callable running the SDK's full post-HTTP path on `body`.

    That is `ModelArtsClient.sync_response_handler(response, "ShowNotebookResponse", [], None)`:
    what `show_notebook` does once the bytes have arrived (simplejson with Decimal floats, then
    model construction).
    """
    _, _, _, modelarts = _modules()
    with _scratch_home():
        client = modelarts.ModelArtsClient()  # sets model_package; no network, no credentials
    response = FakeResponse(body)
    handler = client.sync_response_handler
    handler(response, "ShowNotebookResponse", [], None)  # fail here, not in the timing loop

    def run() -> Any:
        return handler(response, "ShowNotebookResponse", [], None)

    return run


def live_client(endpoint: str, ak: str, sk: str, project_id: str) -> Any:
    """An SDK `ModelArtsClient` for `endpoint`, AK/SK-signed with `BasicCredentials`.

    The SDK accepts `http://` endpoints as they are (the emulator is plain HTTP on loopback); the
    default `HttpConfig` has no retries and verifies TLS, which plain HTTP never uses.
    """
    credentials, http_config, _, modelarts = _modules()
    config = http_config.HttpConfig.get_default_config()
    with _scratch_home():
        return (
            modelarts.ModelArtsClient.new_builder()
            .with_credentials(credentials.BasicCredentials(ak, sk, project_id))
            .with_endpoint(endpoint)
            .with_http_config(config)
            .build()
        )


def show_notebook(client: Any, notebook_id: str) -> Any:
    """`client.show_notebook(ShowNotebookRequest(id=notebook_id))`: the decoded SDK model."""
    _, _, _, modelarts = _modules()
    return client.show_notebook(modelarts.ShowNotebookRequest(id=notebook_id))


def status_of_failure(client: Any, notebook_id: str) -> int | None:
    """The HTTP status of the SDK error `show_notebook` raises, or None when it succeeds."""
    _, _, exceptions, _ = _modules()
    try:
        show_notebook(client, notebook_id)
    except exceptions.ServiceResponseException as exc:
        return int(exc.status_code)
    return None
