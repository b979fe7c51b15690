"""The HTTP client against the emulator over loopback: auth, errors, retries, limits (`reconcile._modelarts.client`)."""

from __future__ import annotations

import base64
import html
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from reconcile._core.errors import ApiError, AuthError, ConfigError, NotFoundError, TransportError
from reconcile._core.secrets import Secret
from reconcile._emulator.settings import EmulatorAuth, Faults, Schedule
from reconcile._modelarts.auth import AkSkAuth, TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.pool import make_pool
from reconcile._modelarts.transport import READ_RETRY, RetryPolicy, Timeouts, check_endpoint
from tests.emulator_fixture import (
    AK,
    DEEPLY_NESTED,
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
    with pytest.raises(TransportError, match="offset 0: the response nests too deeply"):
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
