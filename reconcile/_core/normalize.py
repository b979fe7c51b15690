"""Normalisation: the one place that decides when two values mean the same thing.

Both sides of a comparison (desired values from the spec, observed values from the API) go through
these functions, so `2h` equals `7200000`, `1.2.3.4` equals `1.2.3.4/32`, and reordered IP or key
lists are equal. False drift is the worst bug a drift tool can have.

Desired values are parsed strictly (a bad value is a spec error); observed values leniently (the
service's text is kept when it cannot be parsed, so an odd value shows as drift instead of a crash).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable

__all__ = [
    "EVERYONE",
    "access_set",
    "canonical_cidr",
    "image_reference",
    "join_image_reference",
    "observed_cidrs",
    "parse_duration",
    "path_text",
    "string_set",
]

_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?")


def parse_duration(value: int | str) -> int:
    """A duration in milliseconds, from an integer of ms or text such as `2h`, `90m`, `1h30m`, `45s`.

    Raises:
        ValueError: not a non-negative integer or a duration text; the message says what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r} (expected milliseconds or text like 2h, 90m, 1h30m)")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"invalid duration {value} (expected a non-negative number of milliseconds)")
        return value
    text = value.strip().lower()
    if text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f'invalid duration "{value}" (expected milliseconds or text like 2h, 90m, 1h30m)')
    days, hours, minutes, seconds, millis = (int(g) if g else 0 for g in match.groups())
    return (
        days * _UNIT_MS["d"]
        + hours * _UNIT_MS["h"]
        + minutes * _UNIT_MS["m"]
        + seconds * _UNIT_MS["s"]
        + millis
    )


def canonical_cidr(text: str) -> str:
    """An IP address or network in canonical CIDR form (`1.2.3.4` -> `1.2.3.4/32`).

    A network with host bits set (`10.0.0.1/24`) is refused rather than widened to `10.0.0.0/24`:
    silently turning one address into 256 would widen SSH access without anyone deciding to.

    Raises:
        ValueError: not an IPv4/IPv6 address or network, or host bits set.
    """
    try:
        return str(ipaddress.ip_network(text.strip(), strict=True))
    except ValueError:
        pass
    try:
        widened = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f'invalid IP address or CIDR "{text}"') from None
    raise ValueError(f'"{text}" has host bits set (write {widened} for the network, or the address alone)')


#: What an empty or absent SSH allow-list means: every address may connect (API page, Table 4).
EVERYONE = "0.0.0.0/0"


def access_set(cidrs: Iterable[str] | None) -> tuple[str, ...]:
    """An allow-list as compared: a sorted set, with "nobody listed" read as everyone (0.0.0.0/0)."""
    values = tuple(sorted(set(cidrs or ())))
    return values or (EVERYONE,)


def observed_cidrs(values: Iterable[str] | None) -> tuple[str, ...]:
    """The service's allowed IPs as canonical CIDRs (see `access_set`); unparsable text is kept."""
    return _observed_cidr_set(tuple(values)) if values else (EVERYONE,)


@functools.lru_cache(maxsize=4096)
def _observed_cidr_set(values: tuple[str, ...]) -> tuple[str, ...]:
    """`observed_cidrs` of a whole list, remembered: a fleet repeats the same few allow-lists, and
    each notebook's is otherwise a set, a sort and a lookup per entry again."""
    return access_set({_observed_cidr(text) for text in values})


@functools.lru_cache(maxsize=65536)
def _observed_cidr(text: str) -> str:
    """One observed entry in canonical form (fleets repeat the same few allow-lists)."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return text


def path_text(path: str) -> str:
    """A directory path without its trailing slash: `/home/ma-user/work/` is `/home/ma-user/work`."""
    return path.rstrip("/") or "/"


def string_set(values: Iterable[str] | None) -> tuple[str, ...]:
    """A list compared as a set: sorted, without duplicates; None is the empty set."""
    return tuple(sorted(set(values or ())))


def image_reference(swr_path: str) -> tuple[str, str | None, str | None]:
    """An image reference split into repository, tag and digest.

    `swr.example.com/org/serve:1.4.2@sha256:ab` is `("swr.example.com/org/serve", "1.4.2",
    "sha256:ab")`. The tag is the `:TAG` of the last path segment before any `@` (a registry port,
    `registry:5000/org/img`, is not a tag); a digest-only reference (`.../serve@sha256:ab`) has no
    tag. An empty tag or digest reads as none.
    """
    name, _, digest = swr_path.partition("@")
    head, slash, last = name.rpartition("/")
    repository, _, tag = last.partition(":")
    return head + slash + repository, tag or None, digest or None


def join_image_reference(repository: str, tag: str | None, digest: str | None) -> str:
    """The reference `image_reference` splits: `repository[:tag][@digest]`."""
    return repository + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
