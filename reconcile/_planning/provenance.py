"""Where a plan came from: spec file digests and a fingerprint of each observed notebook.

`fingerprint(notebook)` is what a stale-plan check recomputes from a fresh read and compares with
the one the plan recorded: a SHA-256 over the canonical JSON (sorted keys, no spaces, ASCII with
`\\uXXXX` escapes) of the observed fields a plan depends on. Those are every field the catalogue
can compare: id, name, description, flavor, image id/name/tag/swr_path, volume capacity, category,
ownership and mount path, the endpoints with their allow-lists and key pairs, lease
enable/duration/type, status, tags, feature, pool and workspace. Sets (allow-lists, key pairs, endpoints
by service) are sorted, so an order the service does not promise never makes a plan stale;
timestamps, progress and URLs are left out, and so are secrets (the token is never read; an echo
of it in a field is redacted before hashing). It does not depend on the spec, so a saved plan can
be checked without it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from typing import Any, Final

from reconcile._core.model import Notebook
from reconcile._core.plan import NotebookFingerprint, SpecDigest
from reconcile._core.secrets import Scrubber
from reconcile._files.jsonencode import encoder

__all__ = [
    "FINGERPRINT_ABSENT",
    "MAX_DIGEST_BYTES",
    "fingerprint",
    "fingerprint_record",
    "observed_fields",
    "spec_digests",
]

#: Spec files larger than this are not read again for their digest (the loader refuses them too).
MAX_DIGEST_BYTES: Final = 10 * 1024 * 1024


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _canonical(value: Any, *, sort_keys: bool = True) -> bytes:
    # ASCII (`\uXXXX` escapes): any text the service sends, even a lone surrogate, hashes the same way.
    return _ENCODERS[sort_keys](value).encode()


#: The canonical encoders, made once (`json.dumps` with any option set builds a new one per call).
_ENCODERS: Final = {sort: encoder(sort_keys=sort, ensure_ascii=True, compact=True) for sort in (True, False)}


#: The fingerprint of a notebook that does not exist (what a create was planned against).
FINGERPRINT_ABSENT: Final = _sha256(_canonical(None))


def _text(value: enum.Enum | None) -> Any:
    # an (open) enum member as its exact text (`_value_`: `value` is a slower property)
    return None if value is None else value._value_


def _sorted(values: Iterable[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def observed_fields(nb: Notebook) -> dict[str, Any]:
    """The fields of `nb` its fingerprint covers, as plain JSON (secrets redacted)."""
    fields = _projected(nb)
    if nb.token is not None and _echoes(_canonical(fields), nb.token.reveal()):
        fields = Scrubber.of(nb.token).value(fields)
    return fields


def _projected(nb: Notebook) -> dict[str, Any]:
    # Every mapping is built with its keys in sorted order, so `_canonical` needs no `sort_keys`.
    image, volume, lease, pool, endpoints = nb.image, nb.volume, nb.lease, nb.pool, nb.endpoints
    return {
        "description": nb.description,
        "endpoints": None
        if endpoints is None
        else sorted(
            (
                {
                    "allowed_access_ips": _sorted(ep.allowed_access_ips),
                    "dev_service": _text(ep.dev_service),
                    "ssh_keys": _sorted(ep.ssh_keys),
                }
                for ep in endpoints
            ),
            key=_endpoint_order,
        ),
        "feature": _text(nb.feature),
        "flavor": nb.flavor,
        "id": nb.id,
        "image": None
        if image is None
        else {"id": image.id, "name": image.name, "swr_path": image.swr_path, "tag": image.tag},
        "lease": None
        if lease is None
        else {"duration": lease.duration, "enable": lease.enable, "type": _text(lease.type)},
        "name": nb.name,
        "pool": None if pool is None else {"id": pool.id, "name": pool.name},
        "status": _text(nb.status),
        "tags": None
        if nb.tags is None
        else sorted(
            ({"key": t.key, "value": t.value} for t in nb.tags),
            key=lambda t: (str(t["key"]), str(t["value"])),
        ),
        "volume": None
        if volume is None
        else {
            "capacity": volume.capacity,
            "category": _text(volume.category),
            "mount_path": volume.mount_path,
            "ownership": _text(volume.ownership),
        },
        "workspace_id": nb.workspace_id,
    }


def _endpoint_order(ep: dict[str, Any]) -> tuple[Any, ...]:
    """A total order of projected endpoints: by service, then by their (sorted) sets."""
    ips, keys = ep["allowed_access_ips"], ep["ssh_keys"]
    return (str(ep["dev_service"]), ips is None, ips or [], keys is None, keys or [])


def _echoes(canonical: bytes, secret: str) -> bool:
    """Whether a field holds `secret` as sent: the comparator's own cheap check before it scrubs
    (a digest never reveals its input; this keeps the fingerprint independent of the token)."""
    return json.dumps(secret)[1:-1].encode() in canonical  # as the canonical JSON writes it


def fingerprint(nb: Notebook | None) -> str:
    """`sha256:<hex>` of what the plan depends on in `nb`; `FINGERPRINT_ABSENT` for None."""
    if nb is None:
        return FINGERPRINT_ABSENT
    text = _canonical(_projected(nb), sort_keys=False)  # built in key order: the same bytes, sooner
    if nb.token is not None and _echoes(text, nb.token.reveal()):  # the rare echo: only then scrub
        text = _canonical(Scrubber.of(nb.token).value(_projected(nb)))
    return _sha256(text)


def fingerprint_record(name: str, nb: Notebook | None) -> NotebookFingerprint:
    """The plan's record of one observed notebook: fingerprint, status and `update_at`."""
    if nb is None:
        return NotebookFingerprint(name, FINGERPRINT_ABSENT)
    status = _text(nb.status)
    return NotebookFingerprint(name, fingerprint(nb), None if status is None else str(status), nb.update_at)


def _file_digest(path: str) -> str | None:
    """The digest of a regular file no larger than `MAX_DIGEST_BYTES`, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_DIGEST_BYTES:
            return None
        digest, size = hashlib.sha256(), 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_DIGEST_BYTES:  # it grew since it was looked at
                return None
            digest.update(chunk)
        return "sha256:" + digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def spec_digests(files: Iterable[str]) -> tuple[SpecDigest, ...]:
    """The SHA-256 of each spec file, by the name it was given under, in order.

    A name that is not a readable regular file (`<data>` for a spec built from data) gets None.
    """
    return tuple(SpecDigest(file, _file_digest(file)) for file in files)
