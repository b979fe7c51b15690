"""What the emulator is told: the credentials it accepts (`EmulatorAuth`), the faults it injects (`Faults`).

`Faults` injects trouble by request number (`Schedule`, counted over all requests, from 1). The
command line reads the credentials it accepts from `EMULATOR_TOKEN`, `EMULATOR_AK`, `EMULATOR_SK`
and `EMULATOR_SECURITY_TOKEN` (`ENV_VARS`), so they need not be on the command line, visible in `ps`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from reconcile._core.errors import ConfigError
from reconcile._core.secrets import Secret

__all__ = ["ENV_VARS", "EmulatorAuth", "Faults", "Schedule"]

ENV_VARS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "token": "EMULATOR_TOKEN",
        "ak": "EMULATOR_AK",
        "sk": "EMULATOR_SK",
        "security_token": "EMULATOR_SECURITY_TOKEN",
    }
)


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
        retry_after_text: when set, the `Retry-After` header of a 429 as given instead (a value
            no client can read, such as `soon` or 5,000 digits).
        unavailable: requests answered `unavailable_status` (a 5xx burst: `first=N`).
        unavailable_status: the status of those answers (default 503).
        truncate: successful answers cut off halfway (Content-Length promises the whole body).
        invalid_json: successful answers whose body is cut in half (complete, but not JSON).
        oversize: successful answers padded to at least `oversize_bytes` (still valid JSON).
        oversize_bytes: size of a padded body.
        slow_body: successful answers sent `drip_bytes` at a time, `drip_ms` apart.
        drip_bytes: bytes per drip.
        drip_ms: milliseconds between drips.
        endless_headers: requests answered with a status line, then one header line every
            `drip_ms` forever (the headers never end).
        reset_body: successful answers reset (TCP RST) halfway through the body.
        lying_total: list answers that serve the first page whatever the offset, with a `total`
            of a million.
        echo: answers that echo the request's credentials back: a successful body's
            `description` and a 401's `error_msg` quote the `X-Auth-Token`, `X-Security-Token`,
            the whole `Authorization` header and its signature, and so does `X-Request-Id`.
        fail_after_commit: write requests (counted over writes only, from 1) that change the
            store and then answer HTTP 500, as if the service failed after committing.
        timeout_after_commit: write requests that change the store and then never answer (the
            connection is held for `hang_ms`, then closed), so the client times out.
        hang_ms: how long a `timeout_after_commit` answer is held, in milliseconds.
        conflict: write requests answered HTTP 409 (the notebook "is transitioning") without
            changing anything.
        sparse_list: top-level fields left out of every list entry (the GET still has them);
            `reconcile emulator --sparse-list FIELD`.
        list_lag: `(field, value)` pairs the list entries show instead of the stored values: the
            listing lags behind the GET (the field changed after the list was made);
            `reconcile emulator --list-lag FIELD=VALUE`.
    """

    latency_ms: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    reset: Schedule = Schedule()
    throttle: Schedule = Schedule()
    retry_after: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    retry_after_text: str | None = None
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
    endless_headers: Schedule = Schedule()
    reset_body: Schedule = Schedule()
    lying_total: Schedule = Schedule()
    echo: Schedule = Schedule()
    fail_after_commit: Schedule = Schedule()
    timeout_after_commit: Schedule = Schedule()
    hang_ms: int = attrs.field(default=10_000, validator=attrs.validators.ge(0))
    conflict: Schedule = Schedule()
    sparse_list: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    list_lag: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=tuple)


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
