"""AK/SK signing, token auth, credentials from the environment and region endpoints (`reconcile._modelarts.auth`)."""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
import string
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile._codec import decode_notebook
from reconcile._core.errors import ConfigError
from reconcile._core.secrets import REDACTED, Secret
from reconcile._modelarts.auth import (
    AkSkAuth,
    QueryValue,
    TokenAuth,
    canonical_query,
    canonical_request,
    parse_authorization,
    verify_signature,
)
from reconcile._modelarts.settings import EnvCredentials, credentials_from_env, endpoint_for_region
from tests.emulator_fixture import AK, EXAMPLE, PROJECT_ID, SECURITY_TOKEN, SK, TOKEN

HOST = "modelarts.cn-north-4.myhuaweicloud.com"
NOTEBOOK = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
HEADERS = {"Content-Type": "application/json", "X-Project-Id": PROJECT_ID, "X-Sdk-Date": "20240101T000000Z"}
NOW = datetime(2030, 5, 6, 7, 8, 9)  # never used where the headers carry X-Sdk-Date


def _signature(headers: dict[str, str]) -> str:
    parsed = parse_authorization(headers["Authorization"])
    assert parsed is not None
    return parsed[2]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "expected"),
    [
        pytest.param(
            "GET",
            f"/v1/{PROJECT_ID}/notebooks/{NOTEBOOK}",
            [],
            b"",
            "19fce8bb324a8b5b5efd0231df8ce65bc3648d1b30e511e30cd2b437cebae6f9",
            id="show",
        ),
        pytest.param(
            "GET",
            f"/v1/{PROJECT_ID}/notebooks",
            [("offset", 0), ("limit", 10), ("name", "a b/c"), ("status", "RUNNING")],
            b"",
            "4af1cf7ea8c309ebf4a66de71c3e8d6338cd0c2137a352f04fc86266d2c51622",
            id="list",
        ),
        pytest.param(
            "PUT",
            f"/v1/{PROJECT_ID}/notebooks/{NOTEBOOK}",
            [],
            b'{"name":"nb2","description":"x"}',
            "68998ca31bd24e457ba3861d7bdd8fdb539e32da3af197495f47be4f527327db",
            id="update",
        ),
        pytest.param(
            "PATCH",
            f"/v1/{PROJECT_ID}/notebooks/{NOTEBOOK}/lease",
            [],
            b'{"duration":3600000,"type":"TIMING"}',
            "1dd9d8ed4e5fada80608563ee35df3ecabfab07a2ee8ca7d0c5886e63040e698",
            id="lease",
        ),
    ],
)
def test_documented_vectors_give_the_documented_signatures(
    method: str, path: str, query: list[tuple[str, QueryValue]], body: bytes, expected: str
) -> None:
    """The four oracle vectors of modelarts-api.md section 3 sign to exactly the SDK's signatures."""
    headers = AkSkAuth(AK, Secret(SK)).request_headers(method, path, query, HEADERS, body, now=NOW, host=HOST)
    assert headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
        f"Signature={expected}"
    )


def test_show_vector_canonical_request_matches_the_documented_one() -> None:
    """The canonical request of the GET vector is the documented text, with the documented SHA-256."""
    headers = {**HEADERS, "Host": HOST}
    signed = ("content-type", "host", "x-project-id", "x-sdk-date")
    canonical = canonical_request(
        "GET", f"/v1/{PROJECT_ID}/notebooks/{NOTEBOOK}", [], headers, b"", signed_headers=signed
    )
    assert canonical == (
        f"GET\n/v1/{PROJECT_ID}/notebooks/{NOTEBOOK}/\n\n"
        f"content-type:application/json\nhost:{HOST}\nx-project-id:{PROJECT_ID}\nx-sdk-date:20240101T000000Z\n\n"
        "content-type;host;x-project-id;x-sdk-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "6a32513d1117e1bebc5cff5555f761fecbc659227c1298727969c07129b02fc3"
    )


def test_canonical_query_sorts_and_percent_encodes() -> None:
    """The query is sorted by key and encoded with quote(safe='~'): space is %20, slash %2F, ~ kept."""
    query: list[tuple[str, QueryValue]] = [
        ("offset", 0),
        ("limit", 10),
        ("name", "a b/c~"),
        ("status", "RUNNING"),
        ("x", True),
        ("t", ["b", "a"]),
    ]
    assert canonical_query(query) == "limit=10&name=a%20b%2Fc~&offset=0&status=RUNNING&t=a&t=b&x=true"


def test_project_id_argument_is_sent_and_signed_like_basic_credentials() -> None:
    """`project_id=` adds a signed X-Project-Id, exactly as the documented vector has it."""
    headers = {"Content-Type": "application/json", "X-Sdk-Date": "20240101T000000Z"}
    sent = AkSkAuth(AK, Secret(SK)).request_headers(
        "GET",
        f"/v1/{PROJECT_ID}/notebooks/{NOTEBOOK}",
        [],
        headers,
        b"",
        now=NOW,
        host=HOST,
        project_id=PROJECT_ID,
    )
    assert sent["X-Project-Id"] == PROJECT_ID
    assert _signature(sent) == "19fce8bb324a8b5b5efd0231df8ce65bc3648d1b30e511e30cd2b437cebae6f9"


def test_sdk_date_comes_from_the_injected_clock_in_utc() -> None:
    """Without an X-Sdk-Date header the injected time is used, converted to UTC when it is aware."""
    auth = AkSkAuth(AK, Secret(SK))
    aware = datetime(2024, 1, 1, 8, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    for now in (datetime(2024, 1, 1), aware, datetime(2024, 1, 1, tzinfo=UTC)):
        sent = auth.request_headers("GET", "/v1/p/notebooks", [], {}, b"", now=now, host=HOST)
        assert sent["X-Sdk-Date"] == "20240101T000000Z"
        assert sent["Host"] == HOST


def test_security_token_is_sent_and_signed() -> None:
    """Temporary credentials add X-Security-Token, and it is among the signed headers."""
    sent = AkSkAuth(AK, Secret(SK), Secret(SECURITY_TOKEN)).request_headers(
        "GET", "/v1/p/notebooks", [], {}, b"", now=NOW, host=HOST
    )
    assert sent["X-Security-Token"] == SECURITY_TOKEN
    parsed = parse_authorization(sent["Authorization"])
    assert parsed is not None
    assert "x-security-token" in parsed[1]


def test_headers_with_underscores_are_sent_but_not_signed() -> None:
    """A header name containing `_` is left out of SignedHeaders, as the SDK does."""
    sent = AkSkAuth(AK, Secret(SK)).request_headers(
        "GET", "/v1/p/notebooks", [], {"X_Odd": "1", "X-Even": " 2 "}, b"", now=NOW, host=HOST
    )
    parsed = parse_authorization(sent["Authorization"])
    assert parsed is not None
    assert parsed[1] == ("host", "x-even", "x-sdk-date")
    assert sent["X-Even"] == "2"


def test_non_json_content_type_signs_an_unsigned_payload() -> None:
    """A non-JSON Content-Type adds X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD, which replaces the body hash."""
    auth = AkSkAuth(AK, Secret(SK))
    one = auth.request_headers(
        "PUT", "/v1/p/x", [], {"Content-Type": "text/plain"}, b"one", now=NOW, host=HOST
    )
    two = auth.request_headers(
        "PUT", "/v1/p/x", [], {"Content-Type": "text/plain"}, b"two", now=NOW, host=HOST
    )
    assert one["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert one["Authorization"] == two["Authorization"]


def test_no_host_anywhere_is_a_config_error() -> None:
    """Signing needs a Host: neither a header nor `host=` is a ConfigError."""
    with pytest.raises(ConfigError, match="Host"):
        AkSkAuth(AK, Secret(SK)).request_headers("GET", "/v1/p/notebooks", [], {}, b"", now=NOW)


def test_empty_ak_or_sk_is_refused() -> None:
    """An AK/SK pair with an empty half cannot be built, as the SDK refuses to sign with one."""
    with pytest.raises(ConfigError, match="non-empty"):
        AkSkAuth("", Secret(SK))
    with pytest.raises(ConfigError, match="non-empty"):
        AkSkAuth(AK, Secret(""))


def test_token_auth_sends_x_auth_token_only() -> None:
    """TokenAuth adds X-Auth-Token and leaves the other headers as they are."""
    sent = TokenAuth(Secret(TOKEN)).request_headers("GET", "/x", [], {"A": "b"}, b"", now=NOW, project_id="p")
    assert sent == {"A": "b", "X-Auth-Token": TOKEN}


def test_verify_signature_accepts_our_signature_and_rejects_tampering() -> None:
    """A request verifies with the right AK/SK and fails with another SK, AK, path, query or header."""
    path, query = f"/v1/{PROJECT_ID}/notebooks", [("limit", "10"), ("name", "a b")]
    sent = AkSkAuth(AK, Secret(SK)).request_headers("GET", path, query, HEADERS, b"", now=NOW, host=HOST)
    assert verify_signature("GET", path, query, sent, b"", ak=AK, sk=Secret(SK))
    assert not verify_signature("GET", path, query, sent, b"", ak=AK, sk=Secret("other"))
    assert not verify_signature("GET", path, query, sent, b"", ak="AKOTHER", sk=Secret(SK))
    assert not verify_signature("GET", path + "/x", query, sent, b"", ak=AK, sk=Secret(SK))
    assert not verify_signature("GET", path, [("limit", "20")], sent, b"", ak=AK, sk=Secret(SK))
    assert not verify_signature("GET", path, query, {**sent, "Host": "evil"}, b"", ak=AK, sk=Secret(SK))
    assert not verify_signature("GET", path, query, {"Host": HOST}, b"", ak=AK, sk=Secret(SK))


def test_reprs_never_show_secrets() -> None:
    """The reprs of TokenAuth, AkSkAuth and EnvCredentials show `<redacted>` instead of secrets."""
    objects = [
        TokenAuth(Secret(TOKEN)),
        AkSkAuth(AK, Secret(SK), Secret(SECURITY_TOKEN)),
        EnvCredentials(auth=AkSkAuth(AK, Secret(SK)), project_id=PROJECT_ID),
    ]
    for obj in objects:
        text = repr(obj) + str(obj)
        assert REDACTED in text
        assert TOKEN not in text
        assert SK not in text
        assert SECURITY_TOKEN not in text


def test_a_decoded_notebook_with_a_token_can_be_deep_copied() -> None:
    """`copy.deepcopy` of a notebook holding a token Secret works and keeps the token equal."""
    notebook = decode_notebook(json.dumps(EXAMPLE))
    assert notebook.token is not None
    copied = copy.deepcopy(notebook)
    assert copied == notebook
    assert copied.token == Secret(EXAMPLE["token"])


def test_a_secret_copies_as_itself_but_still_refuses_pickling() -> None:
    """A Secret is immutable, so copy and deepcopy give the same object; pickling stays refused."""
    secret = Secret(TOKEN)
    assert copy.copy(secret) is secret
    assert copy.deepcopy(secret) is secret
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)


# -- the official SDK as an oracle ---------------------------------------------------------------

_TOKEN_CHARS = string.ascii_letters + string.digits
_header_names = st.text(_TOKEN_CHARS + "-_", min_size=1, max_size=12).filter(
    lambda n: n.lower() not in {"host", "x-sdk-date", "authorization", "content-type", "x-sdk-content-sha256"}
)
_header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"), max_size=20
)
_query_values: st.SearchStrategy[QueryValue] = st.one_of(
    st.text(max_size=10), st.integers(-5, 10_000), st.booleans(), st.lists(st.text(max_size=5), max_size=3)
)


@attrs.frozen
class _Request:
    """A generated request to sign."""

    method: str
    path: str
    query: list[tuple[str, QueryValue]]
    headers: dict[str, str]
    body: bytes
    security_token: str | None


@st.composite
def _requests(draw: st.DrawFn) -> _Request:
    segments = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4))
    names = draw(st.lists(_header_names, max_size=5, unique_by=str.lower))
    headers = {name: draw(_header_values) for name in names}
    headers["X-Sdk-Date"] = draw(
        st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1)).map(lambda d: d.strftime("%Y%m%dT%H%M%SZ"))
    )
    content_type = draw(
        st.sampled_from([None, "application/json", "application/json;charset=UTF-8", "text/plain"])
    )
    if content_type is not None:
        headers["Content-Type"] = content_type
    unique_keys = st.lists(
        st.tuples(st.text(min_size=1, max_size=6), _query_values), max_size=4, unique_by=lambda kv: kv[0]
    )
    return _Request(
        method=draw(st.sampled_from(["GET", "PUT", "POST", "PATCH", "DELETE"])),
        path="/" + "/".join(quote(s, safe="") for s in segments) + draw(st.sampled_from(["", "/"])),
        query=draw(unique_keys),
        headers=headers,
        body=draw(st.binary(max_size=64)),
        security_token=draw(st.one_of(st.none(), st.text(_TOKEN_CHARS, min_size=1, max_size=10))),
    )


@settings(max_examples=150, deadline=None)
@given(request=_requests())
def test_signing_matches_the_official_sdk_signer(request: _Request) -> None:
    """On generated requests our headers, signature and query string equal those of the SDK's Signer."""
    credentials_mod = pytest.importorskip("huaweicloudsdkcore.auth.credentials")
    sdk_request_mod = pytest.importorskip("huaweicloudsdkcore.sdk_request")
    signer_mod = pytest.importorskip("huaweicloudsdkcore.signer.signer")

    sdk_req = sdk_request_mod.SdkRequest(
        method=request.method,
        schema="https",
        host=HOST,
        resource_path=request.path,
        query_params=[
            (k, list(v) if isinstance(v, list) else v) for k, v in request.query
        ],  # the SDK sorts in place
        header_params=dict(request.headers),
        body=request.body,
    )
    creds = credentials_mod.BasicCredentials(AK, SK, PROJECT_ID)
    if request.security_token is not None:
        creds.security_token = request.security_token
    creds.sign_request(sdk_req)

    token = Secret(request.security_token) if request.security_token is not None else None
    ours = AkSkAuth(AK, Secret(SK), token).request_headers(
        request.method,
        request.path,
        request.query,
        request.headers,
        request.body,
        now=NOW,
        host=HOST,
        project_id=PROJECT_ID,
    )

    assert ours == sdk_req.header_params
    assert canonical_query(request.query) == signer_mod.Signer.process_canonical_query_string(sdk_req)


# -- environment and endpoints -------------------------------------------------------------------


def test_token_variables_win_over_access_keys() -> None:
    """MODELARTS_AUTH_TOKEN (then HW_AUTH_TOKEN) wins over any AK/SK in the environment."""
    env = {
        "MODELARTS_AUTH_TOKEN": TOKEN,
        "HW_AUTH_TOKEN": "other",
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
    }
    assert credentials_from_env(env).auth == TokenAuth(Secret(TOKEN))
    assert credentials_from_env({"HW_AUTH_TOKEN": TOKEN, "HW_ACCESS_KEY": AK, "HW_SECRET_KEY": SK}).auth == (
        TokenAuth(Secret(TOKEN))
    )


def test_sdk_variables_win_over_terraform_variables() -> None:
    """HUAWEICLOUD_SDK_* credentials and project win over Terraform's HW_* ones; region is HW_REGION_NAME."""
    env = {
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": SECURITY_TOKEN,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT_ID,
        "HW_ACCESS_KEY": "AKTF",
        "HW_SECRET_KEY": "SKTF",
        "HW_PROJECT_ID": "tfproject",
        "HW_REGION_NAME": "cn-north-4",
    }
    assert credentials_from_env(env) == EnvCredentials(
        auth=AkSkAuth(AK, Secret(SK), Secret(SECURITY_TOKEN)), project_id=PROJECT_ID, region="cn-north-4"
    )


def test_terraform_variables_are_read() -> None:
    """Terraform's HW_ACCESS_KEY, HW_SECRET_KEY, HW_SECURITY_TOKEN and HW_PROJECT_ID are read."""
    env = {
        "HW_ACCESS_KEY": AK,
        "HW_SECRET_KEY": SK,
        "HW_SECURITY_TOKEN": SECURITY_TOKEN,
        "HW_PROJECT_ID": PROJECT_ID,
    }
    assert credentials_from_env(env) == EnvCredentials(
        auth=AkSkAuth(AK, Secret(SK), Secret(SECURITY_TOKEN)), project_id=PROJECT_ID
    )


def test_empty_variables_count_as_unset() -> None:
    """Variables set to an empty string are ignored."""
    env = {
        "MODELARTS_AUTH_TOKEN": "",
        "HUAWEICLOUD_SDK_AK": " ",
        "HUAWEICLOUD_SDK_SK": "",
        "HW_PROJECT_ID": "",
    }
    assert credentials_from_env(env) == EnvCredentials(auth=None)


def test_half_a_key_pair_names_the_missing_variable_but_no_value() -> None:
    """An SK without its AK is a ConfigError naming the variables, never their values."""
    with pytest.raises(ConfigError, match="HUAWEICLOUD_SDK_AK") as info:
        credentials_from_env({"HUAWEICLOUD_SDK_SK": SK})
    assert SK not in str(info.value)
    with pytest.raises(ConfigError, match="HW_SECRET_KEY"):
        credentials_from_env({"HW_ACCESS_KEY": AK})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HW_ACCESS_KEY": AK, "HW_SECRET_KEY": " "}, "HW_ACCESS_KEY is set but HW_SECRET_KEY is empty"),
        (
            {"HUAWEICLOUD_SDK_AK": "", "HUAWEICLOUD_SDK_SK": SK},
            "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is empty",
        ),
        ({"HW_ACCESS_KEY": AK}, "HW_ACCESS_KEY is set but HW_SECRET_KEY is not set"),
    ],
)
def test_a_blank_half_of_a_key_pair_is_called_empty_not_unset(env: dict[str, str], message: str) -> None:
    """A key variable set to blanks is reported as empty; one absent from the environment as not set."""
    with pytest.raises(ConfigError, match=message) as info:
        credentials_from_env(env)
    assert SK not in str(info.value)


def test_region_endpoints_follow_the_sdk() -> None:
    """Regions map to modelarts.{region}.myhuaweicloud.com, except ap-southeast-1 (.cn)."""
    assert endpoint_for_region("cn-north-4") == "https://modelarts.cn-north-4.myhuaweicloud.com"
    assert endpoint_for_region("ap-southeast-1") == "https://modelarts.ap-southeast-1.myhuaweicloud.cn"
    assert endpoint_for_region("ap-southeast-3") == "https://modelarts.ap-southeast-3.myhuaweicloud.com"


def test_region_endpoint_override_variable_wins() -> None:
    """HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION> overrides the endpoint; the first of a list is used."""
    env = {"HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4": "https://a.example.com, https://b.example.com"}
    assert endpoint_for_region("cn-north-4", env) == "https://a.example.com"
    assert endpoint_for_region("cn-north-9", env) == "https://modelarts.cn-north-9.myhuaweicloud.com"


@pytest.mark.parametrize("region", ["", "cn", "evil.com/x", "cn-north-4.attacker.net", "CN-NORTH-4"])
def test_malformed_regions_are_refused(region: str) -> None:
    """A string that is not a region name cannot be turned into an endpoint host."""
    with pytest.raises(ConfigError, match="invalid region"):
        endpoint_for_region(region)


def test_a_token_with_a_line_break_is_a_config_error() -> None:
    """A credential holding a control character is refused once, naming the variable, never the value."""
    from reconcile._core.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        credentials_from_env({"MODELARTS_AUTH_TOKEN": "abc\ndef-secret-part"})
    assert "MODELARTS_AUTH_TOKEN contains a control character" in str(info.value)
    assert "secret-part" not in str(info.value)


@pytest.mark.parametrize(
    "variable",
    ["MODELARTS_AUTH_TOKEN", "HW_AUTH_TOKEN", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"],
)
def test_a_credential_beyond_latin_1_is_refused_once_naming_the_variable(variable: str) -> None:
    """A header-borne credential with a character HTTP cannot send is one ConfigError naming its variable."""
    env = {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK, "HW_ACCESS_KEY": AK, "HW_SECRET_KEY": SK}
    env[variable] = "pasted\u201ctoken\u201d-secret-part"
    with pytest.raises(ConfigError) as info:
        credentials_from_env(env)
    assert str(info.value) == (
        f"{variable} contains a character an HTTP header cannot carry (a smart quote?); check how it was set"
    )
    assert "secret-part" not in str(info.value)


def test_a_secret_key_beyond_latin_1_is_accepted() -> None:
    """The SK only keys the HMAC (it is never sent), so any character is fine in it."""
    creds = credentials_from_env({"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": "sk-\u2019-x"})
    assert creds.auth == AkSkAuth(AK, Secret("sk-\u2019-x"))


def test_credentials_built_in_code_are_checked_too() -> None:
    """A library user building TokenAuth or AkSkAuth with an unsendable value gets a ConfigError at once."""
    with pytest.raises(ConfigError, match="the IAM token contains a character an HTTP header cannot carry"):
        TokenAuth(Secret("tok\u2019en"))
    with pytest.raises(ConfigError, match="the security token contains a control character"):
        AkSkAuth(AK, Secret(SK), Secret("line\nbreak"))
    assert TokenAuth(Secret("caf\u00e9-latin-1")).secrets()  # Latin-1 can be sent


def test_aksk_secrets_include_the_access_key() -> None:
    """The AK is scrubbed from anything a server echoes, with the SK and the security token."""
    assert AkSkAuth(AK, Secret(SK), Secret(SECURITY_TOKEN)).secrets() == (
        Secret(AK),
        Secret(SK),
        Secret(SECURITY_TOKEN),
    )
