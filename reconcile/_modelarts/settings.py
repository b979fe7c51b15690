"""Settings of a live connection, from command-line options and the environment: `ClientSettings`.

Everything that decides where requests go and how is read here, once, and nowhere else: the
endpoint (or the region that gives it), the project id, the credentials, the CA bundle, timeouts,
parallelism and the proxy. `reconcile._observe.live` takes a `ClientSettings` and reads no
environment; the command line builds one with `ClientSettings.from_options`.

Proxies are read as curl and the official SDK read them: `HTTPS_PROXY` (or `https_proxy`) for an
`https://` endpoint, `HTTP_PROXY` (or `http_proxy`) for `http://`; `NO_PROXY` (or `no_proxy`) lists
hosts reached directly (`*` for all; `example.com` and `.example.com` also match its subdomains; IP
addresses and CIDR ranges), and loopback endpoints never use a proxy. An `https://` endpoint is
reached through a CONNECT tunnel, so the credentials travel only inside TLS.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote, urlsplit

import attrs

from reconcile._core.errors import ConfigError
from reconcile._core.secrets import Secret
from reconcile._modelarts.auth import AkSkAuth, TokenAuth, header_value_problem
from reconcile._modelarts.defaults import DEFAULT_PARALLELISM, MAX_PARALLELISM
from reconcile._modelarts.pool import Proxy
from reconcile._modelarts.transport import READ_RETRY, RetryPolicy, Timeouts, check_endpoint, is_loopback

__all__ = [
    "AUTH_TOKEN_VARS",
    "DEFAULT_PARALLELISM",
    "ClientSettings",
    "EnvCredentials",
    "credentials_from_env",
    "endpoint_for_region",
    "proxy_for",
]

#: Environment variables holding an IAM token, in the order they are read.
AUTH_TOKEN_VARS: Final = ("MODELARTS_AUTH_TOKEN", "HW_AUTH_TOKEN")
#: Variables holding a secret key: only an HMAC key, never sent, so any character is fine in them.
_SK_VARS: Final = frozenset({"HUAWEICLOUD_SDK_SK", "HW_SECRET_KEY"})


@attrs.frozen
class ClientSettings:
    """Where and how to talk to the ModelArts API; immutable, built by `from_options`.

    Attributes:
        endpoint: `scheme://host[:port]` (checked: https, or http to loopback only).
        project_id: the project whose notebooks are read.
        auth: the credentials (`TokenAuth` or `AkSkAuth`).
        region: the region the endpoint came from, or None when the endpoint was given.
        ca_bundle: PEM CA bundle to verify TLS against, or None for the system store.
        timeouts: connect, read and total (`--request-timeout`) timeouts.
        retry: the retry policy of reads.
        parallelism: requests in flight at once (also the connection pool's size).
        proxy: the proxy to go through, or None (`HTTPS_PROXY`, `NO_PROXY`).
    """

    endpoint: str = attrs.field(converter=check_endpoint)
    project_id: str
    auth: TokenAuth | AkSkAuth
    region: str | None = None
    ca_bundle: str | None = None
    timeouts: Timeouts = attrs.field(factory=Timeouts)
    retry: RetryPolicy = READ_RETRY
    parallelism: int = attrs.field(default=DEFAULT_PARALLELISM)
    proxy: Proxy | None = None

    @parallelism.validator
    def _check_parallelism(self, _attribute: object, value: int) -> None:
        if not 1 <= value <= MAX_PARALLELISM:
            raise ConfigError(f"parallelism must be from 1 to {MAX_PARALLELISM}, not {value}")

    @classmethod
    def from_options(
        cls,
        *,
        env: Mapping[str, str],
        endpoint: str | None = None,
        region: str | None = None,
        project_id: str | None = None,
        ca_bundle: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        request_timeout: float | None = None,
        retry: RetryPolicy | None = None,
        parallelism: int = DEFAULT_PARALLELISM,
    ) -> ClientSettings:
        """Settings from command-line options, falling back on the environment.

        Args:
            env: the environment (`os.environ`): credentials, project, region, proxies.
            endpoint: `--endpoint`; wins over any region.
            region: `--region`, else `HW_REGION_NAME`; gives the endpoint (`endpoint_for_region`,
                or the SDK's `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` override).
            project_id: `--project-id` (or the spec's), else `HUAWEICLOUD_SDK_PROJECT_ID`, else
                `HW_PROJECT_ID`.
            ca_bundle: `--ca-bundle`.
            connect_timeout: seconds; default `Timeouts().connect`.
            read_timeout: seconds; default `Timeouts().read`.
            request_timeout: `--request-timeout`, seconds; default `Timeouts().total`.
            retry: the read retry policy; default `READ_RETRY`.
            parallelism: `--parallelism`.

        Raises:
            ConfigError: no endpoint or region, no project id, no credentials, or a bad value
                (a credential that cannot be sent, a bad proxy URL, a timeout that is not
                positive); one line naming the option or variable, never a value.
        """
        creds = credentials_from_env(env)
        chosen_region = None
        if endpoint is None:
            chosen_region = region or creds.region
            if chosen_region is None:
                raise ConfigError(
                    "no endpoint: give --endpoint URL or --region REGION, or set HW_REGION_NAME"
                )
            endpoint = endpoint_for_region(chosen_region, env)
        checked = check_endpoint(endpoint)
        project = project_id or creds.project_id
        if not project:
            raise ConfigError(
                "no project id: give --project-id, or set HUAWEICLOUD_SDK_PROJECT_ID (or HW_PROJECT_ID)"
            )
        if creds.auth is None:
            raise ConfigError(
                "no credentials: set MODELARTS_AUTH_TOKEN (an IAM token), or HUAWEICLOUD_SDK_AK and "
                "HUAWEICLOUD_SDK_SK (or HW_ACCESS_KEY and HW_SECRET_KEY)"
            )
        defaults = Timeouts()
        timeouts = Timeouts(
            connect=defaults.connect if connect_timeout is None else connect_timeout,
            read=defaults.read if read_timeout is None else read_timeout,
            total=defaults.total if request_timeout is None else request_timeout,
        )
        return cls(
            checked,
            project,
            creds.auth,
            region=chosen_region,
            ca_bundle=ca_bundle,
            timeouts=timeouts,
            retry=retry if retry is not None else READ_RETRY,
            parallelism=parallelism,
            proxy=proxy_for(checked, env),
        )


def proxy_for(endpoint: str, env: Mapping[str, str]) -> Proxy | None:
    """The proxy to reach `endpoint` through, as curl picks it from the environment, or None.

    Raises:
        ConfigError: the proxy variable holds something that is not an http(s) proxy URL (the
            message names the variable, never its value, which may hold a password).
    """
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if is_loopback(host):
        return None
    scheme = parts.scheme
    names = ("https_proxy", "HTTPS_PROXY") if scheme == "https" else ("http_proxy", "HTTP_PROXY")
    name, value = next(((n, env[n].strip()) for n in names if env.get(n, "").strip()), ("", ""))
    if not value or _bypassed(host, parts.port or (443 if scheme == "https" else 80), env):
        return None
    text = value if "://" in value else f"http://{value}"
    try:
        proxy = urlsplit(text)
        port = proxy.port
    except ValueError:
        raise ConfigError(f"{name} is not a proxy URL (expected http://HOST:PORT)") from None
    if proxy.scheme not in ("http", "https") or not proxy.hostname:
        raise ConfigError(f"{name} is not an http:// or https:// proxy URL (expected http://HOST:PORT)")
    if proxy.path not in ("", "/") or proxy.query or proxy.fragment:
        raise ConfigError(f"{name} has a path or query; expected http://[USER:PASSWORD@]HOST:PORT")
    netloc = f"[{proxy.hostname}]" if ":" in proxy.hostname else proxy.hostname
    url = f"{proxy.scheme}://{netloc}" + (f":{port}" if port is not None else "")
    auth = None
    if proxy.username is not None:
        auth = Secret(f"{unquote(proxy.username)}:{unquote(proxy.password or '')}")
    return Proxy(url, auth)


def _bypassed(host: str, port: int, env: Mapping[str, str]) -> bool:
    """Whether `NO_PROXY` (or `no_proxy`) says to reach `host` directly."""
    raw = env.get("no_proxy", "").strip() or env.get("NO_PROXY", "").strip()
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for item in re.split(r"[,\s]+", raw.lower()):
        if not item:
            continue
        if item == "*":
            return True
        name, _, entry_port = item.rpartition(":") if item.count(":") == 1 else (item, "", "")
        if entry_port and entry_port.isdigit():
            if int(entry_port) != port:
                continue
            item = name  # noqa: PLW2901
        entry = item.strip("[]").rstrip(".")
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        domain = entry.lstrip("*").lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


@attrs.frozen
class EnvCredentials:
    """What the environment says about credentials and location.

    Attributes:
        auth: the credentials found, or None.
        project_id: the project id, or None.
        region: the region name, or None.
    """

    auth: TokenAuth | AkSkAuth | None
    project_id: str | None = None
    region: str | None = None


def credentials_from_env(env: Mapping[str, str]) -> EnvCredentials:
    """Read credentials, project id and region from environment variables.

    Sources, first match wins (empty values count as unset):

    - token: `MODELARTS_AUTH_TOKEN`, then `HW_AUTH_TOKEN`. A token is never set by accident, so it
      wins over an AK/SK pair that may be in the environment for Terraform.
    - AK/SK: `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (+ `HUAWEICLOUD_SDK_SECURITY_TOKEN`), the
      official SDK's names; else Terraform's `HW_ACCESS_KEY` + `HW_SECRET_KEY` (+ `HW_SECURITY_TOKEN`).
    - project id: `HUAWEICLOUD_SDK_PROJECT_ID`, then `HW_PROJECT_ID`.
    - region: `HW_REGION_NAME` (its endpoint: `endpoint_for_region`).

    Raises:
        ConfigError: half an AK/SK pair (the message names the missing or empty variable, never a
            value).
    """

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        # Sent in a header (the SK only keys the signature): refuse it once here, naming the
        # variable, never the value, rather than failing every request.
        problem = header_value_problem(value)
        if problem and not (name in _SK_VARS and "control" not in problem):
            raise ConfigError(f"{name} {problem}")
        return value or None

    auth: TokenAuth | AkSkAuth | None = None
    token = next((t for t in (get(v) for v in AUTH_TOKEN_VARS) if t), None)
    if token is not None:
        auth = TokenAuth(Secret(token))
    else:
        for ak_var, sk_var, st_var in (
            ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"),
            ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_SECURITY_TOKEN"),
        ):
            ak, sk = get(ak_var), get(sk_var)
            if ak is None and sk is None:
                continue
            if ak is None or sk is None:
                missing = ak_var if ak is None else sk_var
                present = sk_var if ak is None else ak_var
                state = "is empty" if missing in env else "is not set"
                raise ConfigError(f"{present} is set but {missing} {state}: set both, or neither")
            security_token = get(st_var)
            auth = AkSkAuth(ak, Secret(sk), Secret(security_token) if security_token else None)
            break
    region = get("HW_REGION_NAME")
    project_id = get("HUAWEICLOUD_SDK_PROJECT_ID") or get("HW_PROJECT_ID")
    return EnvCredentials(auth=auth, project_id=project_id, region=region)


_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


def endpoint_for_region(region: str, env: Mapping[str, str] | None = None) -> str:
    """The ModelArts endpoint of a region, as the SDK's `ModelArtsRegion` gives it.

    `https://modelarts.{region}.myhuaweicloud.com`, except `ap-southeast-1` (Hong Kong), which is
    served under `myhuaweicloud.cn`. With `env`, the SDK's override variable
    `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` (upper case, `_` for `-`; the first of a
    comma-separated list) wins.

    Raises:
        ConfigError: `region` does not look like a region name (`cn-north-4`).
    """
    if not _REGION.match(region):
        raise ConfigError(f"invalid region {region!r}: expected a region name such as cn-north-4")
    override = (env or {}).get("HUAWEICLOUD_SDK_REGION_MODELARTS_" + region.upper().replace("-", "_"), "")
    if override.split(",")[0].strip():
        return override.split(",")[0].strip()
    if region == "ap-southeast-1":
        return "https://modelarts.ap-southeast-1.myhuaweicloud.cn"
    return f"https://modelarts.{region}.myhuaweicloud.com"
