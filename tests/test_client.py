"""The HTTP client against the emulator over loopback: auth, errors, retries, limits (`reconcile._modelarts.client`)."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import attrs
import pytest

from reconcile._core.errors import ApiError, AuthError, ConfigError, NotFoundError, TransportError
from reconcile._core.observation import Found
from reconcile._core.secrets import Secret
from reconcile._emulator.settings import EmulatorAuth, Faults, Schedule
from reconcile._modelarts.auth import AkSkAuth, TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.pool import WATCHDOG, Attempt, Proxy, make_pool
from reconcile._modelarts.settings import ClientSettings
from reconcile._modelarts.transport import (
    CREATE_RETRY,
    READ_RETRY,
    WRITE_RETRY,
    RetryPolicy,
    Timeouts,
    check_endpoint,
)
from reconcile._planning.planner import build_plan
from reconcile._specfile import spec_from_data
from tests.emulator_fixture import (
    AK,
    DEEPLY_NESTED,
    FAST_RETRY,
    PROJECT_ID,
    SECRET_VALUES,
    SECURITY_TOKEN,
    SK,
    TOKEN,
    CannedPool,
    Servers,
    aksk_auth,
    canned_client,
    fleet,
    notebook,
    token_auth,
)

FIRST = notebook(0)


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators and clients for one test, all closed afterwards."""
    with Servers() as s:
        yield s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- success and authentication ------------------------------------------------------------------


def test_get_notebook_returns_the_served_bytes(servers: Servers) -> None:
    """`get_notebook` returns the body exactly as the emulator serves it."""
    emulator = servers.emulator([FIRST])
    body = servers.client(emulator).get_notebook(FIRST["id"])
    assert body == emulator.store.bodies[FIRST["id"]]
    assert json.loads(body)["name"] == FIRST["name"]


def test_aksk_signed_requests_are_accepted(servers: Servers) -> None:
    """A request signed with the right AK/SK (and security token) passes the emulator's verification."""
    plain = servers.emulator([FIRST])
    assert servers.client(plain, auth=aksk_auth()).get_notebook(FIRST["id"])
    temporary = servers.emulator(
        [FIRST],
        auth=EmulatorAuth(ak=AK, sk=Secret(SK), security_token=Secret(SECURITY_TOKEN)),
    )
    assert servers.client(temporary, auth=aksk_auth(security_token=SECURITY_TOKEN)).list_notebooks()


def test_ids_and_names_with_odd_characters_are_quoted_and_signed(servers: Servers) -> None:
    """An id and a name with spaces, slashes and non-ASCII travel quoted and pass signature checks."""
    odd = {**notebook(0, name="odd name/ä~"), "id": "odd id/ä~"}
    emulator = servers.emulator([odd])
    client = servers.client(emulator, auth=aksk_auth())
    assert json.loads(client.get_notebook("odd id/ä~"))["id"] == "odd id/ä~"
    assert [e["id"] for e in client.list_notebooks(name="name/ä")] == ["odd id/ä~"]


def test_bad_signature_is_an_auth_error_naming_the_notebook(servers: Servers) -> None:
    """A wrong SK gets HTTP 401: an AuthError naming the notebook, carrying code and request id, no retry."""
    emulator = servers.emulator([FIRST])
    with pytest.raises(AuthError) as info:
        servers.client(emulator, auth=aksk_auth(sk="SKwrong")).get_notebook(FIRST["id"])
    error = info.value
    assert FIRST["id"] in str(error)
    assert error.status == 401
    assert error.error_code == "APIGW.0301"
    assert error.request_id
    assert error.request_id in str(error)
    assert emulator.requests_received == 1


def test_wrong_token_is_an_auth_error(servers: Servers) -> None:
    """A wrong X-Auth-Token gets HTTP 401, reported as an AuthError that says the credentials were refused."""
    emulator = servers.emulator([FIRST])
    with pytest.raises(AuthError, match="credentials were refused"):
        servers.client(emulator, auth=TokenAuth(Secret("not-the-token"))).get_notebook(FIRST["id"])


def test_forbidden_project_is_an_auth_error_naming_the_notebook(servers: Servers) -> None:
    """HTTP 403 becomes an AuthError that names the notebook and says permission was denied."""
    emulator = servers.emulator([FIRST], project_id="another-project")
    with pytest.raises(AuthError, match="permission denied") as info:
        servers.client(emulator).get_notebook(FIRST["id"])
    assert info.value.status == 403
    assert repr(FIRST["id"]) in str(info.value)


# -- not found -----------------------------------------------------------------------------------


def test_unknown_id_400_6309_is_not_found(servers: Servers) -> None:
    """HTTP 400 with ModelArts.6309 is a NotFoundError carrying the code, message and request id; no retry."""
    emulator = servers.emulator([FIRST])
    with pytest.raises(NotFoundError) as info:
        servers.client(emulator).get_notebook("no-such-id")
    error = info.value
    assert (error.status, error.error_code) == (400, "ModelArts.6309")
    assert "does not exist" in str(error.error_msg)
    assert error.request_id
    assert "'no-such-id' not found" in str(error)
    assert emulator.requests_received == 1


def test_plain_404_is_not_found(servers: Servers) -> None:
    """A plain HTTP 404 is a NotFoundError too."""
    emulator = servers.emulator([FIRST], plain_404_ids={FIRST["id"]})
    with pytest.raises(NotFoundError) as info:
        servers.client(emulator).get_notebook(FIRST["id"])
    assert info.value.status == 404


# -- retries -------------------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured_then_succeeds(servers: Servers) -> None:
    """A 429 with Retry-After: 1 is retried after about one second, and the retry succeeds."""
    emulator = servers.emulator([FIRST], faults=Faults(throttle=Schedule(first=1), retry_after=1))
    started = time.monotonic()
    assert servers.client(emulator).get_notebook(FIRST["id"])
    assert time.monotonic() - started >= 0.9
    assert emulator.requests_received == 2


def test_retry_after_is_capped_by_the_policy(servers: Servers) -> None:
    """A Retry-After longer than `retry_after_max` waits only `retry_after_max`."""
    emulator = servers.emulator([FIRST], faults=Faults(throttle=Schedule(first=1), retry_after=3600))
    policy = RetryPolicy(
        retries=2, backoff_factor=0.001, backoff_max=0.01, backoff_jitter=0, retry_after_max=0.2
    )
    started = time.monotonic()
    assert servers.client(emulator, retry=policy).get_notebook(FIRST["id"])
    assert time.monotonic() - started < 2


def test_503_burst_shorter_than_the_budget_then_succeeds(servers: Servers) -> None:
    """Two 503s then a success, with three retries allowed, returns the notebook."""
    emulator = servers.emulator([FIRST], faults=Faults(unavailable=Schedule(first=2)))
    assert servers.client(emulator).get_notebook(FIRST["id"])
    assert emulator.requests_received == 3


def test_503_burst_longer_than_the_budget_is_an_api_error(servers: Servers) -> None:
    """Five 503s exhaust three retries: an ApiError with status 503 and the service's error body."""
    emulator = servers.emulator([FIRST], faults=Faults(unavailable=Schedule(first=5)))
    with pytest.raises(ApiError) as info:
        servers.client(emulator).get_notebook(FIRST["id"])
    assert type(info.value) is ApiError
    assert info.value.status == 503
    assert info.value.error_code == "ModelArts.0001"
    assert "retries exhausted" in str(info.value)
    assert emulator.requests_received == 4


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_retryable_5xx_are_retried(servers: Servers, status: int) -> None:
    """500, 502 and 504 are retried like 503."""
    emulator = servers.emulator(
        [FIRST], faults=Faults(unavailable=Schedule(first=1), unavailable_status=status)
    )
    assert servers.client(emulator).get_notebook(FIRST["id"])
    assert emulator.requests_received == 2


def test_reset_connection_is_retried(servers: Servers) -> None:
    """A connection reset before any answer is retried, and the retry succeeds."""
    emulator = servers.emulator([FIRST], faults=Faults(reset=Schedule(first=1)))
    assert servers.client(emulator).get_notebook(FIRST["id"])
    assert emulator.requests_received == 2


def test_resets_beyond_the_budget_are_a_transport_error(servers: Servers) -> None:
    """A connection reset on every attempt is a TransportError that says the connection broke."""
    emulator = servers.emulator([FIRST], faults=Faults(reset=Schedule(every=1)))
    with pytest.raises(TransportError, match="connection broken") as info:
        servers.client(emulator).get_notebook(FIRST["id"])
    assert info.value.status is None
    assert isinstance(info.value, OSError)


def test_connection_refused_is_a_transport_error(servers: Servers) -> None:
    """Nothing listening on the port is a TransportError that says it cannot connect."""
    client = servers.client(f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(TransportError, match="cannot connect"):
        client.get_notebook(FIRST["id"])


# -- broken bodies -------------------------------------------------------------------------------


def test_truncated_body_is_a_transport_error(servers: Servers) -> None:
    """A body cut short of its Content-Length is a TransportError, never a partial notebook."""
    emulator = servers.emulator([FIRST], faults=Faults(truncate=Schedule(every=1)))
    with pytest.raises(TransportError, match=r"IncompleteRead|connection broken"):
        servers.client(emulator).get_notebook(FIRST["id"])


def test_oversized_body_is_refused(servers: Servers) -> None:
    """A body over `max_body_bytes` is refused with a TransportError, and the client stays usable."""
    emulator = servers.emulator([FIRST], faults=Faults(oversize=Schedule(first=1), oversize_bytes=1 << 20))
    client = servers.client(emulator, max_body_bytes=64 * 1024)
    with pytest.raises(TransportError, match=r"larger than 65536 bytes"):
        client.get_notebook(FIRST["id"])
    assert client.get_notebook(FIRST["id"]) == emulator.store.bodies[FIRST["id"]]


def test_read_timeout_is_a_transport_error(servers: Servers) -> None:
    """An answer slower than the read timeout is a TransportError that names the timeout."""
    emulator = servers.emulator([FIRST], faults=Faults(latency_ms=1500))
    client = servers.client(
        emulator, timeouts=Timeouts(connect=1, read=0.1), retry=RetryPolicy(retries=1, backoff_jitter=0)
    )
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"read timeout of 0\.1 s"):
        client.get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1.4


def test_slow_body_within_the_read_timeout_arrives_whole(servers: Servers) -> None:
    """A body dripped slowly, each pause shorter than the read timeout, arrives complete."""
    emulator = servers.emulator(
        [FIRST], faults=Faults(slow_body=Schedule(every=1), drip_bytes=200, drip_ms=20)
    )
    assert servers.client(emulator).get_notebook(FIRST["id"]) == emulator.store.bodies[FIRST["id"]]


def test_deeply_nested_list_page_is_a_transport_error() -> None:
    """A list page nesting 5,000 arrays in an unknown field is a TransportError, not a RecursionError."""
    with pytest.raises(TransportError, match="offset 0: JSON nested too deeply"):
        canned_client(CannedPool(200, DEEPLY_NESTED)).list_notebooks()


def test_deeply_nested_error_body_is_an_api_error() -> None:
    """An error body nesting 5,000 arrays still gives the ApiError of its status, not a RecursionError."""
    with pytest.raises(ApiError, match="HTTP 400") as info:
        canned_client(CannedPool(400, DEEPLY_NESTED)).get_notebook("abc")
    assert info.value.status == 400
    assert len(str(info.value)) <= 600


def test_invalid_json_in_a_list_page_is_a_transport_error(servers: Servers) -> None:
    """A list page that is not JSON is a TransportError naming the page offset."""
    emulator = servers.emulator(fleet(3), faults=Faults(invalid_json=Schedule(every=1)))
    with pytest.raises(TransportError, match="offset 0: invalid JSON"):
        servers.client(emulator).list_notebooks()


# -- listing -------------------------------------------------------------------------------------


def test_list_walks_every_page_advancing_offset_by_records(servers: Servers) -> None:
    """60 notebooks with limit 10 take exactly 6 pages and come back complete and in order."""
    notebooks = fleet(60)
    emulator = servers.emulator(notebooks)
    entries = servers.client(emulator).list_notebooks(limit=10)
    assert [e["id"] for e in entries] == [n["id"] for n in notebooks]
    assert emulator.requests_received == 6


def test_list_name_filter_is_passed_to_the_fuzzy_api(servers: Servers) -> None:
    """`name` is sent as the API filter, which matches substrings; the client returns what it is given."""
    emulator = servers.emulator(fleet(30))
    names = [e["name"] for e in servers.client(emulator).list_notebooks(name="nb-01")]
    assert names == [f"nb-{i:03d}" for i in range(10, 20)]


@pytest.mark.parametrize("limit", [0, 5, 30, 100])
def test_list_limit_must_be_10_20_or_50(servers: Servers, limit: int) -> None:
    """A page size other than 10, 20 or 50 is a ConfigError before any request."""
    emulator = servers.emulator()
    with pytest.raises(ConfigError, match="10, 20, 50"):
        servers.client(emulator).list_notebooks(limit=limit)
    assert emulator.requests_received == 0


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint", ["http://modelarts.cn-north-4.myhuaweicloud.com", "http://10.0.0.1:8080", "http://128.0.0.1"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(endpoint: str) -> None:
    """http:// is a ConfigError unless the host is loopback."""
    with pytest.raises(ConfigError, match="refusing plain http"):
        ModelArtsClient(endpoint, PROJECT_ID, token_auth())


@pytest.mark.parametrize(
    ("endpoint", "normalised"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.9.9.9/", "http://127.9.9.9"),
        ("http://localhost:1", "http://localhost:1"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://modelarts.cn-north-4.myhuaweicloud.com/", "https://modelarts.cn-north-4.myhuaweicloud.com"),
    ],
)
def test_https_and_loopback_http_endpoints_are_accepted(endpoint: str, normalised: str) -> None:
    """https:// anywhere and http:// to loopback are accepted, normalised to scheme://host[:port]."""
    assert check_endpoint(endpoint) == normalised


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        (f"https://user:{TOKEN}@modelarts.example.com", "credentials"),
        (f"http://{TOKEN}@127.0.0.1:8080", "credentials"),
        (f"user:{TOKEN}@modelarts.example.com", "credentials"),
        (f"ftp://user:{TOKEN}@x", "credentials"),
        (f"https://modelarts.example.com?token={TOKEN}", "query strings are not allowed"),
        (f"https://modelarts.example.com/?X-Auth-Token={TOKEN}", "query strings are not allowed"),
        (f"https://modelarts.example.com:99999?token={TOKEN}", "query strings are not allowed"),
        (f"modelarts.example.com?token={TOKEN}", "query strings are not allowed"),
        (f"https://modelarts.example.com#{TOKEN}", "fragments"),
        (f"https://modelarts.example.com/{TOKEN}", "a path is not allowed"),
        (f"{TOKEN}", "expected https://HOST"),
    ],
)
def test_endpoint_messages_never_echo_credentials_queries_or_paths(endpoint: str, message: str) -> None:
    """A refused endpoint's message names the problem, never quoting userinfo, query, fragment or path."""
    with pytest.raises(ConfigError, match=message) as info:
        check_endpoint(endpoint)
    assert TOKEN not in str(info.value)
    assert TOKEN[:10] not in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "endpoint", ["ftp://x", "modelarts.example.com", "https://x/v1", "https://x?a=b", "https://x:99999"]
)
def test_malformed_endpoints_are_refused(endpoint: str) -> None:
    """An endpoint that is not scheme://host[:port] is a ConfigError."""
    with pytest.raises(ConfigError, match="endpoint"):
        check_endpoint(endpoint)


def test_missing_ca_bundle_is_a_config_error(tmp_path: Any) -> None:
    """A CA bundle path that is not a file is a ConfigError."""
    with pytest.raises(ConfigError, match="CA bundle"):
        make_pool(ca_bundle=str(tmp_path / "missing.pem"))


def test_retry_policy_never_retries_other_4xx() -> None:
    """The read policy retries 429 and 500/502/503/504 only, and caps a long Retry-After."""
    assert frozenset({429, 500, 502, 503, 504}) == READ_RETRY.statuses
    for status in (400, 401, 403, 404, 409, 413):
        assert status not in READ_RETRY.statuses
    now = datetime.now(UTC)
    assert READ_RETRY.wait(1, 429, "100000", now) == READ_RETRY.retry_after_max
    assert READ_RETRY.wait(1, 413, "1", now) <= READ_RETRY.backoff_max  # Retry-After only on 429/503


def test_no_secret_in_any_error_message_or_repr(servers: Servers) -> None:
    """No token, SK or security token shows in the message or repr of any error, or of a client."""
    wrong_sk = "SKwrong-but-still-secret-0123456789"
    emulators = [
        servers.emulator([FIRST]),
        servers.emulator([FIRST], project_id="another-project"),
        servers.emulator([FIRST], faults=Faults(reset=Schedule(every=1))),
        servers.emulator([FIRST], faults=Faults(unavailable=Schedule(every=1))),
        servers.emulator([FIRST], faults=Faults(oversize=Schedule(every=1), oversize_bytes=1 << 17)),
        servers.emulator([FIRST], faults=Faults(invalid_json=Schedule(every=1))),
    ]
    auths = [
        token_auth(),
        TokenAuth(Secret(TOKEN + "-wrong")),
        aksk_auth(security_token=SECURITY_TOKEN),
        aksk_auth(sk=wrong_sk),
    ]
    texts: list[str] = []
    for emulator in emulators:
        for auth in auths:
            client = servers.client(emulator, auth=auth, max_body_bytes=1 << 16)
            texts.append(repr(client))
            for call in (partial(client.get_notebook, "missing-id"), client.list_notebooks):
                try:
                    call()
                except ApiError as exc:
                    texts += [str(exc), repr(exc), str(exc.error_msg), str(exc.url)]
    assert sum("HTTP 401" in t for t in texts) >= 6
    for text in texts:
        for value in (*SECRET_VALUES, wrong_sk):
            assert value not in text


def test_a_secret_echoed_by_the_service_is_redacted(servers: Servers) -> None:
    """A secret value that the service echoes back in an error is replaced by `<redacted>` in the message."""
    echoed = "leaky-token-0123"
    emulator = servers.emulator([FIRST], auth=EmulatorAuth())  # accepts any credentials
    with pytest.raises(NotFoundError) as info:
        servers.client(emulator, auth=TokenAuth(Secret(echoed))).get_notebook(echoed)
    assert echoed not in str(info.value)
    assert echoed not in str(info.value.error_msg)
    assert "<redacted>" in str(info.value)


_SPECIAL_SECRET = "MIIE+tok/en=with&special?chars ä~0123456789abcdefXYZ"


def _encoded_forms(secret: str) -> list[str]:
    """The secret as sent and as a service might echo it: URL-, JSON-, HTML- and base64-encoded."""
    return [
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret),
        base64.b64encode(secret.encode()).decode().rstrip("="),
    ]


@pytest.mark.parametrize(
    "auth",
    [
        TokenAuth(Secret(_SPECIAL_SECRET)),
        AkSkAuth(AK, Secret(_SPECIAL_SECRET)),
        AkSkAuth(AK, Secret("SK-other-0123456789"), Secret(_SPECIAL_SECRET)),
    ],
    ids=["token", "sk", "security-token"],
)
@pytest.mark.parametrize("before_cut", [5, 20, 40], ids=lambda n: f"{n}-chars-before-the-cut")
def test_a_secret_echoed_in_a_text_error_body_is_redacted_in_every_form(auth: Any, before_cut: int) -> None:
    """A text error body echoing a secret raw, encoded and across the 300-character cut leaks none of it."""
    forms = _encoded_forms(_SPECIAL_SECRET)
    # The raw secret straddles character 300, where the quoted error text is cut.
    body = "x" * (300 - before_cut) + _SPECIAL_SECRET + " then " + " and ".join(forms)
    with pytest.raises(ApiError) as info:
        canned_client(CannedPool(400, body.encode(), content_type="text/plain"), auth=auth).get_notebook(
            "abc"
        )
    error = info.value
    for text in (str(error), repr(error), str(error.error_msg)):
        for form in forms:
            windows = {form[i : i + 8] for i in range(len(form) - 7)}  # any 8 characters in a row
            assert not [w for w in windows if w in text], text
            assert form[: len(form) // 2] not in text
            assert form[len(form) // 2 :] not in text


def test_every_encoded_form_of_an_echoed_secret_is_redacted() -> None:
    """An error body echoing a secret raw and URL-, JSON-, HTML- or base64-encoded shows `<redacted>`."""
    forms = _encoded_forms(_SPECIAL_SECRET)
    body = "echo: " + " | ".join(forms)
    with pytest.raises(ApiError) as info:
        canned_client(
            CannedPool(400, body.encode(), content_type="text/plain"), auth=aksk_auth(sk=_SPECIAL_SECRET)
        ).get_notebook("abc")
    assert info.value.error_msg == "echo: " + " | ".join(["<redacted>"] * len(forms))


def test_a_secret_in_a_json_error_message_is_redacted_before_the_cut() -> None:
    """A JSON `error_msg` longer than the cut, with the token across it, keeps no part of the token."""
    message = "y" * 280 + _SPECIAL_SECRET + "z" * 400
    body = json.dumps({"error_code": "ModelArts.0101", "error_msg": message}).encode()
    with pytest.raises(ApiError) as info:
        canned_client(CannedPool(400, body), auth=TokenAuth(Secret(_SPECIAL_SECRET))).get_notebook("abc")
    assert info.value.error_code == "ModelArts.0101"
    for text in (str(info.value), str(info.value.error_msg)):
        assert _SPECIAL_SECRET[:20] not in text
        assert _SPECIAL_SECRET[-20:] not in text


def test_scrubbing_twice_keeps_the_redaction_markers() -> None:
    """A message built from already-scrubbed parts is scrubbed again without mangling `<redacted>`.

    A one-letter secret is redacted where it stands alone, not inside every word that contains it.
    """
    with ModelArtsClient("http://127.0.0.1:1", "p" * 32, TokenAuth(Secret("t"))) as client:
        once = client._scrub("token t here")
        assert once == "token <redacted> here"
        assert client._scrub(f"wrapped: {once}") == "wrapped: token <redacted> here"


# -- credentials echoed back (issue 9 §1) --------------------------------------------------------


def _echoing(servers: Servers, **faults: Any) -> Any:
    return servers.emulator(fleet(3), faults=Faults(echo=Schedule(every=1), **faults))


@pytest.mark.parametrize(
    "auth", [token_auth(), aksk_auth(security_token=SECURITY_TOKEN)], ids=["token", "aksk-security-token"]
)
def test_credentials_echoed_in_a_200_body_are_scrubbed_before_decoding(servers: Servers, auth: Any) -> None:
    """A 200 body quoting the request's X-Auth-Token, security token, AK, Authorization and signature holds none."""
    emulator = servers.emulator(
        fleet(3),
        auth=EmulatorAuth(token=Secret(TOKEN), ak=AK, sk=Secret(SK), security_token=None),
        faults=Faults(echo=Schedule(every=1)),
    )
    client = servers.client(emulator, auth=auth)
    body = client.get_notebook(FIRST["id"]).decode()
    page = json.dumps(client.list_notebooks())
    for text in (body, page):
        assert "<redacted>" in text
        for value in (TOKEN, SECURITY_TOKEN, AK, "Signature=", "SDK-HMAC-SHA256 Access"):
            assert value not in text
    assert json.loads(body)["id"] == FIRST["id"]  # still JSON, still the notebook


def test_a_signature_echoed_in_a_401_is_redacted_everywhere(servers: Servers) -> None:
    """A 401 quoting the Authorization header and its signature keeps neither in the message or any attribute."""
    emulator = _echoing(servers)
    client = servers.client(emulator, auth=aksk_auth(sk="SKwrong-but-still-secret-0123456789"))
    with pytest.raises(AuthError) as info:
        client.get_notebook(FIRST["id"])
    error = info.value
    texts = [
        str(error),
        repr(error),
        *(str(getattr(error, a)) for a in ("error_code", "error_msg", "request_id", "url")),
    ]
    joined = " ".join(texts)
    assert "HTTP 401" in str(error)
    assert "<redacted>" in str(error.error_msg)
    assert "<redacted>" in str(error.request_id)
    assert AK not in joined
    assert not re.search(r"[0-9a-f]{64}", joined), joined  # no signature hex at all


def test_a_request_id_echoing_the_token_is_scrubbed(servers: Servers) -> None:
    """An X-Request-Id header quoting the X-Auth-Token is kept on the error only redacted."""
    emulator = _echoing(servers)
    with pytest.raises(NotFoundError) as info:
        servers.client(emulator).get_notebook("missing-id")
    assert info.value.request_id is not None
    assert TOKEN not in info.value.request_id
    assert TOKEN not in str(info.value)
    assert "<redacted>" in info.value.request_id


# -- deadlines, broken lists, resets, Retry-After (issue 9 §3) ------------------------------------


def test_a_dripping_body_is_cut_off_at_the_request_deadline(servers: Servers) -> None:
    """A body dripped a byte at a time, each drip within the read timeout, fails at the total deadline."""
    emulator = servers.emulator(
        [FIRST], faults=Faults(slow_body=Schedule(every=1), drip_bytes=1, drip_ms=200)
    )
    client = servers.client(emulator, timeouts=Timeouts(connect=1, read=1, total=0.8))
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"no complete answer within the request timeout of 0\.8 s"):
        client.get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1.5


def test_headers_that_never_end_are_cut_off_at_the_request_deadline(servers: Servers) -> None:
    """A server that sends header lines forever costs the request deadline, then a TransportError."""
    emulator = servers.emulator([FIRST], faults=Faults(endless_headers=Schedule(every=1), drip_ms=100))
    client = servers.client(emulator, timeouts=Timeouts(connect=1, read=1, total=0.7))
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"request timeout of 0\.7 s"):
        client.get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1.5
    assert emulator.requests_received == 1  # the deadline covers the retries too


def test_a_deadline_beyond_the_clock_does_not_stop_the_other_deadlines(servers: Servers) -> None:
    """An attempt due in 10^31 s is watched without ending the watchdog: a later deadline still cuts."""
    WATCHDOG.watch(Attempt(time.monotonic() + 1e31))  # once raised OverflowError in the watchdog thread
    time.sleep(0.2)  # let the watchdog pick it up and wait for it
    emulator = servers.emulator([FIRST], faults=Faults(endless_headers=Schedule(every=1), drip_ms=100))
    client = servers.client(emulator, timeouts=Timeouts(connect=1, read=1, total=0.7))
    outcome: list[BaseException] = []

    def get() -> None:
        try:
            client.get_notebook(FIRST["id"])
        except TransportError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=get, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the request was never cut off: the watchdog thread is gone"
    assert len(outcome) == 1 and "request timeout of 0.7 s" in str(outcome[0])


@pytest.mark.parametrize("total", [0.0, -1.0, float("nan"), float("inf"), 1e31, 86_401.0])
def test_a_total_timeout_out_of_range_is_a_config_error(total: float) -> None:
    """A total timeout that is not positive, or longer than one day (infinity too), is a ConfigError."""
    with pytest.raises(ConfigError, match="the total timeout must be a positive number of seconds, at most"):
        Timeouts(total=total)
    with pytest.raises(ConfigError, match="at most 86400"):
        ClientSettings.from_options(
            endpoint="http://127.0.0.1:9",
            project_id="p",
            env={"MODELARTS_AUTH_TOKEN": "t"},
            request_timeout=1e31,
        )
    assert Timeouts(total=86_400.0).total == 86_400.0


def test_the_deadline_stops_retries_that_would_end_after_it(servers: Servers) -> None:
    """A 429 whose Retry-After ends after the deadline is not waited for: the error names the deadline."""
    emulator = servers.emulator([FIRST], faults=Faults(throttle=Schedule(every=1), retry_after=30))
    client = servers.client(emulator, retry=RetryPolicy(retries=3, retry_after_max=60))
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"within the request timeout of 5 s \(last: .*HTTP 429"):
        client.get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1
    assert emulator.requests_received == 1


def test_a_lying_total_that_repeats_a_page_is_refused_at_once(servers: Servers) -> None:
    """A list saying a million notebooks while serving its first page again is refused on the second page."""
    emulator = servers.emulator(fleet(10), faults=Faults(lying_total=Schedule(every=1)))
    with pytest.raises(
        TransportError, match=r"served again notebooks it had already listed \(its total of 1000000"
    ):
        servers.client(emulator).list_notebooks(limit=10)
    assert emulator.requests_received == 2


def test_a_listing_is_bounded_by_entries(servers: Servers) -> None:
    """A listing with more entries than the client's bound is refused, not read to the end."""
    emulator = servers.emulator(fleet(40))
    client = servers.client(emulator, max_list_entries=15)
    with pytest.raises(TransportError, match="passed 15 entries"):
        client.list_notebooks(limit=10)
    assert emulator.requests_received == 2


def test_a_reset_halfway_through_a_body_is_retried(servers: Servers) -> None:
    """A connection reset after half the body is retried, and the notebook arrives whole."""
    emulator = servers.emulator([FIRST], faults=Faults(reset_body=Schedule(first=1)))
    assert servers.client(emulator).get_notebook(FIRST["id"]) == emulator.store.bodies[FIRST["id"]]
    assert emulator.requests_received == 2


def test_a_list_page_reset_halfway_is_retried(servers: Servers) -> None:
    """A list page reset halfway through is retried, and the listing is complete."""
    emulator = servers.emulator(fleet(3), faults=Faults(reset_body=Schedule(first=1)))
    assert len(servers.client(emulator).list_notebooks()) == 3


@pytest.mark.parametrize(
    "value",
    ["soon", "9" * 5000, "Wed, 32 Foo 2024 99:99:99 GMT", ""],
    ids=["word", "5000-digits", "bad-date", "empty"],
)
def test_an_unreadable_retry_after_is_retried_with_the_normal_backoff(servers: Servers, value: str) -> None:
    """A 429 whose Retry-After cannot be read (or has 5,000 digits) is retried after the usual backoff."""
    emulator = servers.emulator([FIRST], faults=Faults(throttle=Schedule(first=1), retry_after_text=value))
    started = time.monotonic()
    assert servers.client(emulator).get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1
    assert emulator.requests_received == 2


def test_an_http_date_retry_after_is_honoured() -> None:
    """A Retry-After given as an HTTP date waits until that date (capped by the policy)."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert READ_RETRY.wait(1, 503, "Mon, 01 Jan 2024 00:00:07 GMT", now) == 7
    assert READ_RETRY.wait(1, 503, "Sun, 31 Dec 2023 23:00:00 GMT", now) == 0


def test_a_create_is_never_retried_once_it_may_have_left(servers: Servers) -> None:
    """Under the create policy a reset is not retried, while a refused connection is (it never left)."""
    emulator = servers.emulator([FIRST], faults=Faults(reset=Schedule(first=1)))
    client = servers.client(emulator)
    with pytest.raises(TransportError, match="connection broken"):
        client.transport.request(
            "GET", f"/v1/{PROJECT_ID}/notebooks/{FIRST['id']}", subject="x", retry=CREATE_RETRY
        )
    assert emulator.requests_received == 1
    refused = servers.client(f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(TransportError, match=r"cannot connect.*\(retries exhausted\)"):
        refused.transport.request(
            "GET",
            "/v1/p/notebooks",
            subject="x",
            retry=attrs.evolve(CREATE_RETRY, retries=2, backoff_factor=0.001),
        )
    assert WRITE_RETRY.statuses == frozenset({429, 503})


def test_closing_the_client_cuts_off_a_request_in_flight(servers: Servers) -> None:
    """`close()` from another thread ends a request waiting on a slow server at once, as cancelled."""
    emulator = servers.emulator([FIRST], faults=Faults(latency_ms=3000))
    client = servers.client(emulator, timeouts=Timeouts(connect=1, read=10, total=10))
    threading.Timer(0.3, client.close).start()
    started = time.monotonic()
    with pytest.raises(TransportError, match="cancelled"):
        client.get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1.5


# -- proxies (issue 9 §3) -----------------------------------------------------------------------

TLS_DIR = Path(__file__).resolve().parent / "tls"
PROXIED_HOST = "modelarts.test.example"


class ConnectProxy:
    """A small HTTP CONNECT proxy on loopback that tunnels every CONNECT to one target port.

    It records each CONNECT request's head and every byte it relays from the client, so a test can
    check what the proxy could see.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.heads: list[bytes] = []
        self.relayed = bytearray()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            head, _, rest = head.partition(b"\r\n\r\n")
            with self.lock:
                self.heads.append(head)
            if not head.startswith(b"CONNECT "):
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with upstream:
                if rest:
                    upstream.sendall(rest)
                back = threading.Thread(target=self._pump, args=(upstream, conn, False), daemon=True)
                back.start()
                self._pump(conn, upstream, True)
                back.join(2)

    def _pump(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if record:
                    with self.lock:
                        self.relayed.extend(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Stop accepting connections."""
        self.listener.close()


@pytest.fixture
def tls_emulator(servers: Servers) -> Any:
    """An emulator serving HTTPS with the test certificate (for `modelarts.test.example`)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS_DIR / "emulator-cert.pem", TLS_DIR / "emulator-key.pem")
    return servers.emulator([FIRST], tls=context)


def test_https_goes_through_a_connect_tunnel_with_credentials_only_inside(
    servers: Servers, tls_emulator: Any
) -> None:
    """With HTTPS_PROXY set, the request is tunnelled: the proxy sees CONNECT and its own auth, never the token."""
    proxy = ConnectProxy(int(tls_emulator.url.rsplit(":", 1)[1]))
    try:
        env = {
            "HTTPS_PROXY": f"http://proxyuser:proxy%20pass@127.0.0.1:{proxy.port}",
            "MODELARTS_AUTH_TOKEN": TOKEN,
        }
        settings = ClientSettings.from_options(
            env=env,
            endpoint=f"https://{PROXIED_HOST}",
            project_id=PROJECT_ID,
            ca_bundle=str(TLS_DIR / "emulator-cert.pem"),
        )
        assert settings.proxy is not None
        assert "proxy pass" not in repr(settings)
        with ModelArtsClient.from_settings(settings, retry=FAST_RETRY, timeouts=Timeouts(2, 2, 5)) as client:
            assert json.loads(client.get_notebook(FIRST["id"]))["id"] == FIRST["id"]
    finally:
        proxy.close()
    assert len(proxy.heads) == 1
    head = proxy.heads[0].decode("latin-1")
    assert head.startswith(f"CONNECT {PROXIED_HOST}:443 HTTP/1.")
    assert (
        "proxy-authorization: basic " + base64.b64encode(b"proxyuser:proxy pass").decode().lower()
        in head.lower()
    )
    assert TOKEN not in head and "x-auth-token" not in head.lower()
    assert TOKEN.encode() not in proxy.relayed  # inside TLS
    assert proxy.relayed[:1] == b"\x16"  # a TLS handshake record


def test_no_proxy_and_loopback_bypass_the_proxy(servers: Servers) -> None:
    """A host in NO_PROXY, and any loopback endpoint, are reached directly: the proxy sees nothing."""
    emulator = servers.emulator([FIRST])
    proxy = ConnectProxy(1)
    try:
        env = {
            "HTTPS_PROXY": f"127.0.0.1:{proxy.port}",
            "HTTP_PROXY": f"http://127.0.0.1:{proxy.port}",
            "NO_PROXY": "localhost, .test.example",
            "MODELARTS_AUTH_TOKEN": TOKEN,
        }
        direct = ClientSettings.from_options(env=env, endpoint=emulator.url, project_id=PROJECT_ID)
        assert direct.proxy is None
        with ModelArtsClient.from_settings(direct) as client:
            assert client.get_notebook(FIRST["id"])
        bypassed = ClientSettings.from_options(
            env=env, endpoint=f"https://{PROXIED_HOST}", project_id=PROJECT_ID
        )
        assert bypassed.proxy is None
        other = ClientSettings.from_options(
            env=env, endpoint="https://modelarts.cn-north-4.myhuaweicloud.com", project_id=PROJECT_ID
        )
        assert other.proxy is not None and other.proxy.url == f"http://127.0.0.1:{proxy.port}"
        assert (
            ClientSettings.from_options(
                env={**env, "NO_PROXY": "*"}, region="cn-north-4", project_id="p"
            ).proxy
            is None
        )
        cidr = {**env, "NO_PROXY": "10.0.0.0/8"}
        assert (
            ClientSettings.from_options(env=cidr, endpoint="https://10.1.2.3", project_id="p").proxy is None
        )
    finally:
        proxy.close()
    assert proxy.heads == []


@pytest.mark.parametrize(
    "value",
    [
        "socks5://u:secretpw@proxy:1080",
        "http://u:secretpw@proxy:notaport",
        "http://u:secretpw@proxy:8080/path",
    ],
)
def test_a_bad_proxy_url_is_one_config_error_without_its_password(value: str) -> None:
    """An unusable HTTPS_PROXY is a ConfigError naming the variable, never quoting its password."""
    with pytest.raises(ConfigError, match="HTTPS_PROXY") as info:
        ClientSettings.from_options(
            env={"HTTPS_PROXY": value, "MODELARTS_AUTH_TOKEN": TOKEN}, region="cn-north-4", project_id="p"
        )
    assert "secretpw" not in str(info.value)


def test_a_listing_follows_the_clients_retry_policy(servers: Servers) -> None:
    """List pages are retried as the client's read policy says (here: not at all), like a GET."""
    emulator = servers.emulator(fleet(3), faults=Faults(unavailable=Schedule(first=1)))
    with pytest.raises(ApiError, match="HTTP 503"):
        servers.client(emulator, retry=RetryPolicy(retries=0)).list_notebooks()
    assert emulator.requests_received == 1


def test_a_list_total_beyond_the_int_limit_reads_as_no_total() -> None:
    """A list page whose `total` has 5,000 digits is read as a page without a total, not a crash."""
    body = b'{"data": [], "total": ' + b"9" * 5000 + b"}"
    assert canned_client(CannedPool(200, body)).list_notebooks() == []


def test_a_huge_number_in_one_list_entry_costs_only_that_notebook(tmp_path: Path) -> None:
    """One entry with a 5,000-digit number is undecodable; the page's other notebooks are still planned."""
    good = {"id": "a", "name": "alpha", "status": "RUNNING", "flavor": "f"}
    body = (
        b'{"total": 2, "data": [' + json.dumps(good).encode() + b', {"id": "b", "name": "beta", '
        b'"status": "RUNNING", "lease": {"duration": ' + b"9" * 5000 + b"}}]}"
    )
    entries = canned_client(CannedPool(200, body)).list_notebooks()
    assert [e["id"] for e in entries] == ["a", "b"]
    spec = spec_from_data({"version": 1, "notebooks": {"alpha": {"name": "alpha"}, "beta": {"name": "beta"}}})
    observations = {
        "alpha": Found(body=entries[0], source="list"),
        "beta": Found(body=entries[1], source="list"),
    }
    plan = build_plan(spec, observations)
    assert [rc.name for rc in plan.resource_changes] == ["alpha"]
    (error,) = plan.errors
    assert error.name == "beta" and "5000 digits" in error.message


def test_a_dripping_body_over_tls_is_cut_off_at_the_deadline(servers: Servers) -> None:
    """The request deadline also cuts off a TLS connection whose body drips."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS_DIR / "emulator-cert.pem", TLS_DIR / "emulator-key.pem")
    emulator = servers.emulator(
        [FIRST], tls=context, faults=Faults(slow_body=Schedule(every=1), drip_bytes=1, drip_ms=200)
    )
    endpoint = emulator.url.replace("127.0.0.1", "localhost")
    client = servers.client(
        endpoint,
        ca_bundle=str(TLS_DIR / "emulator-cert.pem"),
        timeouts=Timeouts(connect=1, read=1, total=0.8),
    )
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"request timeout of 0\.8 s"):
        client.get_notebook(FIRST["id"])
    assert time.monotonic() - started < 1.5


def test_proxy_credentials_never_reach_a_message() -> None:
    """A proxy password echoed into an error is redacted like any other credential."""
    proxy = Proxy("http://127.0.0.1:9", Secret("proxyuser:proxy-password-123"))
    client = ModelArtsClient("https://modelarts.example.com", PROJECT_ID, token_auth(), proxy=proxy)
    with client:
        assert (
            client._scrub("echo proxy-password-123 and proxyuser:proxy-password-123")
            == "echo <redacted> and <redacted>"
        )
