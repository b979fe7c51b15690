"""Authentication for the ModelArts API: an IAM token, or AK/SK request signing (`SDK-HMAC-SHA256`).

Two credential kinds, both frozen attrs classes that turn a request into the headers to send:

- `TokenAuth` sends `X-Auth-Token: <project-scoped IAM token>`.
- `AkSkAuth` signs the request the way the official SDK does (`huaweicloudsdkcore.signer.signer.Signer`
  with `BasicCredentials`, version 3.1.219), byte for byte: `X-Project-Id` and `X-Security-Token` are
  added first, then `X-Sdk-Date` and `Host`, then every header whose name has no `_` is signed.

The signing steps are also public (`canonical_request`, `string_to_sign`, `signature`,
`parse_authorization`) so the emulator can verify a signature with the very same code.

Credentials are read from the environment in `reconcile._modelarts.settings`. This module uses the
standard library and attrs only, and no secret ever appears in a repr, an error message or a log
line (secrets are held as `Secret`). A credential that travels in a header must be Latin-1 without
control characters: anything else is refused once, as a `ConfigError`, not once per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Final, Protocol
from urllib.parse import quote, unquote

import attrs

from reconcile._core.errors import ConfigError
from reconcile._core.secrets import Secret

__all__ = [
    "ALGORITHM",
    "AkSkAuth",
    "Authenticator",
    "QueryValue",
    "SignedRequestParts",
    "TokenAuth",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "header_value_problem",
    "parse_authorization",
    "signature",
    "string_to_sign",
    "verify_signature",
]

#: The signing algorithm name, first word of the Authorization header.
ALGORITHM: Final = "SDK-HMAC-SHA256"
#: Format of `X-Sdk-Date` (UTC), e.g. `20240101T000000Z`.
SDK_DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"
#: SHA-256 of the empty payload.
EMPTY_PAYLOAD_HASH: Final = hashlib.sha256(b"").hexdigest()
#: The payload-hash header the SDK adds for content types other than JSON or BSON.
CONTENT_SHA256_HEADER: Final = "X-Sdk-Content-Sha256"

#: A query parameter value, as the SDK accepts it (a list repeats the key once per value).
QueryValue = str | int | bool | Sequence[str]


class Authenticator(Protocol):
    """Something that turns a request into the headers to send (`TokenAuth`, `AkSkAuth`)."""

    def request_headers(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, QueryValue]],
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        host: str | None = None,
        project_id: str | None = None,
    ) -> dict[str, str]:
        """The headers to send: `headers` plus whatever authenticates the request."""
        ...

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret this authenticator holds, so messages can be scrubbed of them."""
        ...


@attrs.frozen
class TokenAuth:
    """Authenticate with a project-scoped IAM token, sent as `X-Auth-Token`.

    Attributes:
        token: the IAM token (`X-Subject-Token` of `POST /v3/auth/tokens`).
    """

    token: Secret

    def __attrs_post_init__(self) -> None:
        problem = header_value_problem(self.token.reveal())
        if problem:
            raise ConfigError(f"the IAM token {problem}")

    def request_headers(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, QueryValue]],
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        host: str | None = None,
        project_id: str | None = None,
    ) -> dict[str, str]:
        """The headers to send: `headers` plus `X-Auth-Token` (the project is already in the path)."""
        out = dict(headers)
        out["X-Auth-Token"] = self.token.reveal()
        return out

    def secrets(self) -> tuple[Secret, ...]:
        """The token."""
        return (self.token,)


@attrs.frozen
class AkSkAuth:
    """Authenticate by signing each request with an access key / secret key pair.

    Attributes:
        ak: the access key id (not a secret: it is sent in clear in every Authorization header).
        sk: the secret access key; it never leaves this object except as an HMAC key.
        security_token: the security token of temporary credentials, sent as `X-Security-Token`.
    """

    ak: str
    sk: Secret
    security_token: Secret | None = None

    def __attrs_post_init__(self) -> None:
        if not self.ak or not self.sk:  # as the SDK's Signer._verify_required
            raise ConfigError("an AK/SK pair needs both a non-empty AK and a non-empty SK")
        for what, value in (("access key (AK)", self.ak), ("security token", self.security_token)):
            problem = header_value_problem(value.reveal() if isinstance(value, Secret) else value)
            if problem:
                raise ConfigError(f"the {what} {problem}")

    def request_headers(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, QueryValue]],
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        host: str | None = None,
        project_id: str | None = None,
    ) -> dict[str, str]:
        """The headers to send, signed as `BasicCredentials.sign_request` and `Signer.sign` do.

        Args:
            method: HTTP method.
            path: the request path as sent (already percent-encoded), without the query.
            query: query parameters, in any order (they are sent in canonical order).
            headers: headers to send and sign; `Host` and `X-Sdk-Date` are added when absent.
            body: the request body (`b""` for GET).
            now: the signing time (UTC when naive), used only when `headers` has no `X-Sdk-Date`.
            host: the `Host` header value when `headers` has none (`host[:port]`).
            project_id: sent as `X-Project-Id` (signed), as the SDK's `BasicCredentials` does.

        Returns:
            `headers` plus `X-Project-Id`, `X-Security-Token`, `X-Sdk-Content-Sha256` (non-JSON
            bodies), `X-Sdk-Date`, `Host` and `Authorization`, values stripped as the SDK sends them.

        Raises:
            ConfigError: no `Host` header and no `host`, or an `X-Sdk-Date` in the wrong format.
        """
        out = dict(headers)
        if project_id:
            out["X-Project-Id"] = project_id
        if self.security_token is not None:
            out["X-Security-Token"] = self.security_token.reveal()
        if "Authorization" in out:  # the SDK signs nothing when the caller set one
            return out
        content_type = out.get("Content-Type")  # the SDK looks up exactly this spelling
        if content_type and not content_type.startswith(("application/json", "application/bson")):
            out[CONTENT_SHA256_HEADER] = "UNSIGNED-PAYLOAD"
        date_key = _find_header(out, "X-Sdk-Date")
        if date_key is None:
            utc = now.astimezone(UTC) if now.tzinfo is not None else now
            sdk_date = utc.strftime(SDK_DATE_FORMAT)
            out["X-Sdk-Date"] = sdk_date
        else:
            sdk_date = _normalise_sdk_date(out[date_key])
        if _find_header(out, "Host") is None:
            if not host:
                raise ConfigError("cannot sign a request without a Host header")
            out["Host"] = host
        parts = SignedRequestParts.build(method, path, query, out, body)
        sig = signature(self.sk, string_to_sign(sdk_date, parts.canonical_request))
        # The SDK sends each header value stripped, its UTF-8 bytes smuggled through latin-1.
        out = {k: v.strip().encode("utf-8").decode("iso-8859-1") for k, v in out.items()}
        out["Authorization"] = (
            f"{ALGORITHM} Access={self.ak}, SignedHeaders={';'.join(parts.signed_headers)}, Signature={sig}"
        )
        return out

    def secrets(self) -> tuple[Secret, ...]:
        """The AK (a server echoing it back is no business of any output), the SK, the security token."""
        held = (Secret(self.ak), self.sk)
        return held if self.security_token is None else (*held, self.security_token)


@attrs.frozen
class SignedRequestParts:
    """The canonical request of a signed request, with the header names it signs.

    Attributes:
        signed_headers: lower-cased header names, sorted (every name without `_`).
        canonical_request: the six newline-separated parts the signature covers.
    """

    signed_headers: tuple[str, ...]
    canonical_request: str

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query: Sequence[tuple[str, QueryValue]],
        headers: Mapping[str, str],
        body: bytes,
        *,
        signed_headers: Sequence[str] | None = None,
    ) -> SignedRequestParts:
        """Canonicalise a request; `signed_headers` defaults to every header name without `_`."""
        names = (
            tuple(signed_headers)
            if signed_headers is not None
            else tuple(sorted(k.lower() for k in headers if "_" not in k))
        )
        return cls(names, canonical_request(method, path, query, headers, body, signed_headers=names))


def canonical_uri(path: str) -> str:
    """The canonical URI: each decoded segment re-encoded with `quote(safe='~')`, a trailing `/` added."""
    uri = "/".join(_quote(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query: Sequence[tuple[str, QueryValue]]) -> str:
    """The canonical query string, which is also the query string to send.

    Parameters are sorted by (key, value) as given (so the values of one key must be of one type),
    keys and values encoded with `quote(safe='~')`; a list value is sorted and repeats its key;
    `True`/`False` become `true`/`false`.
    """
    pairs: list[str] = []
    # The SDK sorts the (key, value) tuples themselves: values compare in their own type.
    for key, value in sorted(query):
        k = _quote(key)
        if isinstance(value, bool):
            pairs.append(f"{k}={_quote(str(value).lower())}")
        elif isinstance(value, str | int):
            pairs.append(f"{k}={_quote(str(value))}")
        else:
            pairs.extend(f"{k}={_quote(str(v))}" for v in sorted(value))
    return "&".join(pairs)


def canonical_request(
    method: str,
    path: str,
    query: Sequence[tuple[str, QueryValue]],
    headers: Mapping[str, str],
    body: bytes,
    *,
    signed_headers: Sequence[str],
) -> str:
    """The canonical request: method, URI, query, signed headers (`name:value`), their names, payload hash.

    Header names are matched case-insensitively; where two names differ only in case the last wins,
    as in the SDK.
    """
    by_name = {k.lower(): str(v).strip() for k, v in headers.items()}
    canonical_headers = "".join(f"{name}:{by_name.get(name, '')}\n" for name in signed_headers)
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed_headers),
            _payload_hash(headers, body),
        )
    )


def string_to_sign(sdk_date: str, canonical: str) -> str:
    """The string to sign: algorithm, `X-Sdk-Date`, hex SHA-256 of the canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(sk: Secret, to_sign: str) -> str:
    """Hex HMAC-SHA256 of `to_sign` keyed with the SK itself (no key derivation)."""
    return hmac.new(sk.reveal().encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


_AUTHORIZATION = re.compile(
    rf"^{ALGORITHM} Access=(?P<ak>[^,\s]+), SignedHeaders=(?P<signed>[^,\s]+), Signature=(?P<sig>[0-9a-f]+)$"
)


def parse_authorization(value: str) -> tuple[str, tuple[str, ...], str] | None:
    """Split an `SDK-HMAC-SHA256` Authorization header into (AK, signed header names, signature).

    Returns:
        The three parts, or None when the header is not an `SDK-HMAC-SHA256` authorization.
    """
    match = _AUTHORIZATION.match(value.strip())
    if match is None:
        return None
    return match["ak"], tuple(match["signed"].split(";")), match["sig"]


def verify_signature(
    method: str,
    path: str,
    query: Sequence[tuple[str, QueryValue]],
    headers: Mapping[str, str],
    body: bytes,
    *,
    ak: str,
    sk: Secret,
) -> bool:
    """Whether a received request carries a valid `SDK-HMAC-SHA256` signature by `ak`/`sk`.

    The canonical request is rebuilt from the headers the Authorization header names (matched
    case-insensitively); `X-Sdk-Date` must be one of them. The date is not checked for skew.
    """
    auth_key = _find_header(headers, "Authorization")
    parsed = parse_authorization(headers[auth_key]) if auth_key is not None else None
    if parsed is None:
        return False
    access, signed_headers, claimed = parsed
    date_key = _find_header(headers, "X-Sdk-Date")
    if not hmac.compare_digest(access, ak) or date_key is None or "x-sdk-date" not in signed_headers:
        return False
    canonical = canonical_request(method, path, query, headers, body, signed_headers=signed_headers)
    expected = signature(sk, string_to_sign(headers[date_key].strip(), canonical))
    return hmac.compare_digest(expected, claimed)


def header_value_problem(value: str | None) -> str | None:
    """What makes `value` unfit for an HTTP header (a credential sent in one), or None when it is fit.

    HTTP sends header values as Latin-1: a control character (a line break) would split the header,
    and a character beyond Latin-1 (a smart quote pasted from a document) cannot be sent at all.
    """
    if not value:
        return None
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in value):
        return "contains a control character (a line break?); check how it was set"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "contains a character an HTTP header cannot carry (a smart quote?); check how it was set"
    return None


def _quote(s: str) -> str:
    return quote(s, safe="~")


def _find_header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((k for k in headers if k.lower() == lowered), None)


def _normalise_sdk_date(value: str) -> str:
    try:
        return datetime.strptime(value, SDK_DATE_FORMAT).strftime(SDK_DATE_FORMAT)
    except ValueError:
        raise ConfigError(f"X-Sdk-Date {value!r} is not in the format YYYYMMDDTHHMMSSZ") from None


def _payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    if not body:
        return EMPTY_PAYLOAD_HASH
    declared_key = _find_header(headers, CONTENT_SHA256_HEADER)
    if declared_key is not None and headers[declared_key]:
        return headers[declared_key]
    return hashlib.sha256(body).hexdigest()
