"""The normalised notebook document every rule reads, built from a spec entry or a live notebook.

Built-in rules and custom CEL rules read the same plain mapping, so a rule is written once and runs
on both states. Its fields (a field the state does not give is absent, never null):

- `id`, `name`, `flavor`, `description`, `workspace_id`, `feature`, `status` (text);
- `image`: `id`, `name`, `tag`, `swr_path`, `namespace` (the SWR organisation: the observed
  `namespace`, or for a spec the first path segment after the registry host of `swr_path`);
- `volume`: `category`, `capacity` (GB), `ownership`, `mount_path`;
- `endpoints`: a list of `dev_service`, `allowed_access_ips` (canonical CIDRs; absent = no allow-list),
  `ssh_keys`, `index` (its position in the spec or the response);
- `lease`: `enable`, `duration` (ms), `type`;
- `pool`: `id`, `name`; `tags`: a map of key to value;
- observed only: `fail_reason`, `update_at` and `create_at` (ms since the epoch, UTC).

The notebook `token` is never part of it.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from reconcile._core.model import Notebook
from reconcile._core.spec import NotebookSpec

__all__ = [
    "desired_document",
    "desired_key",
    "observed_document",
    "observed_key",
    "status_document",
    "swr_org",
]


def _put(doc: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        doc[key] = value


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def swr_org(swr_path: str | None) -> str | None:
    """The SWR organisation of an image address: `swr.cn-north-4.myhuaweicloud.com/ORG/name:tag` -> ORG.

    An address without a registry host (`ORG/name:tag`) gives its first segment.
    """
    if not swr_path:
        return None
    parts = [p for p in swr_path.strip().split("/") if p]
    if len(parts) >= 3 or (len(parts) == 2 and "." in parts[0]):
        return parts[1] if len(parts) >= 3 else None
    return parts[0] if len(parts) == 2 else None


@functools.lru_cache(maxsize=4096)  # fleets repeat the same few allow-lists
def _canonical(ip: str) -> str:
    try:
        return str(ipaddress.ip_network(ip.strip(), strict=False))
    except ValueError:
        return ip


def _put_volume(doc: dict[str, Any], volume: Any) -> None:
    """`volume` alike for both states (the spec's and the service's classes share the names)."""
    if volume is not None:
        entry: dict[str, Any] = {}
        _put(entry, "category", _text(volume.category))
        _put(entry, "capacity", volume.capacity)
        _put(entry, "ownership", _text(volume.ownership))
        _put(entry, "mount_path", volume.mount_path)
        doc["volume"] = entry


def _put_lease_and_pool(doc: dict[str, Any], lease: Any, pool: Any) -> None:
    """`lease` and `pool` alike for both states (the spec's and the service's classes share the names)."""
    if lease is not None:
        entry: dict[str, Any] = {}
        _put(entry, "enable", lease.enable)
        _put(entry, "duration", lease.duration)
        _put(entry, "type", _text(lease.type))
        doc["lease"] = entry
    if pool is not None:
        found: dict[str, Any] = {}
        _put(found, "id", pool.id)
        _put(found, "name", pool.name)
        doc["pool"] = found


def desired_document(nb: NotebookSpec) -> dict[str, Any]:
    """The document of a spec entry: only what the spec states."""
    doc: dict[str, Any] = {}
    for key in ("id", "name", "flavor", "description", "workspace_id"):
        _put(doc, key, getattr(nb, key))
    _put(doc, "feature", _text(nb.feature))
    _put(doc, "status", _text(nb.status))
    if nb.image is not None:
        image: dict[str, Any] = {}
        for key in ("id", "name", "tag", "swr_path"):
            _put(image, key, getattr(nb.image, key))
        _put(image, "namespace", swr_org(nb.image.swr_path))
        doc["image"] = image
    _put_volume(doc, nb.volume)
    if nb.endpoints is not None:
        eps = []
        for index, ep in enumerate(nb.endpoints):
            e: dict[str, Any] = {"index": index, "dev_service": str(ep.dev_service)}
            if ep.allowed_access_ips is not None:
                e["allowed_access_ips"] = list(ep.allowed_access_ips)
            if ep.ssh_keys is not None:
                e["ssh_keys"] = list(ep.ssh_keys)
            eps.append(e)
        doc["endpoints"] = eps
    _put_lease_and_pool(doc, nb.lease, nb.pool)
    if nb.tags is not None:
        doc["tags"] = dict(nb.tags)
    return doc


def observed_document(nb: Notebook) -> dict[str, Any]:
    """The document of a live notebook: what the service returned (never the token)."""
    doc: dict[str, Any] = {}
    for key in (
        "id",
        "name",
        "flavor",
        "description",
        "workspace_id",
        "fail_reason",
        "create_at",
        "update_at",
    ):
        _put(doc, key, getattr(nb, key))
    _put(doc, "feature", _text(nb.feature))
    _put(doc, "status", _text(nb.status))
    if nb.image is not None:
        image: dict[str, Any] = {}
        for key in ("id", "name", "swr_path"):
            _put(image, key, getattr(nb.image, key))
        _put(image, "tag", nb.image.effective_tag)
        _put(image, "namespace", nb.image.namespace or swr_org(nb.image.swr_path))
        doc["image"] = image
    _put_volume(doc, nb.volume)
    if nb.endpoints is not None:
        eps = []
        for index, ep in enumerate(nb.endpoints):
            e: dict[str, Any] = {"index": index}
            _put(e, "dev_service", _text(ep.dev_service))
            if ep.allowed_access_ips:  # the service reads an empty list as "everyone", like absent
                e["allowed_access_ips"] = sorted({_canonical(ip) for ip in ep.allowed_access_ips})
            if ep.ssh_keys is not None:
                e["ssh_keys"] = sorted(set(ep.ssh_keys))
            eps.append(e)
        doc["endpoints"] = eps
    _put_lease_and_pool(doc, nb.lease, nb.pool)
    if nb.tags is not None:
        doc["tags"] = {t.key: t.value or "" for t in nb.tags if t.key is not None}
    return doc


def desired_key(nb: NotebookSpec) -> tuple[Any, ...]:
    """What the built-in rules read of `desired_document(nb)` is made from, as one hashable value.

    Two spec entries with equal keys get the same built-in results (bar the identity fields each
    result carries), so the engine judges each key once. It leaves out only what no built-in rule
    reads: id, name, description, workspace_id, feature, pool and the values of tags.
    """
    image, eps, tags = nb.image, nb.endpoints, nb.tags
    # Plain values, not the spec's attrs objects: a tuple of texts and numbers hashes and compares
    # in C, where each nested attrs object would call its generated `__hash__` and `__eq__`.
    return (
        nb.flavor,
        None if nb.status is None else nb.status._value_,
        None if image is None else (image.id, image.name, image.tag, image.swr_path),
        _volume_key(nb.volume),
        None
        if eps is None
        else tuple([(ep.dev_service._value_, ep.allowed_access_ips, ep.ssh_keys) for ep in eps]),
        _lease_key(nb.lease),
        None if tags is None else tuple([key for key, _ in tags]),
    )


def observed_key(nb: Notebook, spec_services: tuple[str, ...]) -> tuple[Any, ...]:
    """As `desired_key`, for `observed_document(nb)` with its endpoints numbered as the spec's
    `spec_services` are; it also leaves out `create_at` and `update_at`, which make every
    notebook's key unique: rules reading them are `volatile` and judged notebook by notebook."""
    image, eps, tags = nb.image, nb.endpoints, nb.tags
    status = nb.status
    # Enums as their exact texts (`_value_`): what the documents hold.
    return (
        nb.flavor,
        None if status is None else status._value_,
        nb.fail_reason,
        None if image is None else (image.id, image.name, image.swr_path, image.tag, image.namespace),
        _volume_key(nb.volume),
        _lease_key(nb.lease),
        None
        if eps is None
        else tuple(
            [
                (
                    None if ep.dev_service is None else ep.dev_service._value_,
                    ep.allowed_access_ips,
                    ep.ssh_keys,
                )
                for ep in eps
            ]
        ),
        None if tags is None else tuple([t.key for t in tags]),
        spec_services,
    )


def _volume_key(volume: Any) -> tuple[Any, ...] | None:
    """What the rules read of `volume`, as plain values (the spec's and the service's classes share
    the names, as `_put_volume` reads them)."""
    if volume is None:
        return None
    category, ownership = volume.category, volume.ownership
    return (
        None if category is None else category._value_,
        volume.capacity,
        None if ownership is None else ownership._value_,
        volume.mount_path,
    )


def _lease_key(lease: Any) -> tuple[Any, ...] | None:
    """What the rules read of `lease`, as plain values (both states' classes share the names)."""
    if lease is None:
        return None
    return (lease.enable, lease.duration, None if lease.type is None else lease.type._value_)


def _value(member: Any) -> Any:
    """An (open) enum member as its exact value, for a memo key."""
    return None if member is None else member._value_


def volatile_key(nb: Notebook) -> tuple[Any, ...]:
    """What the volatile rules read of `status_document(nb)`, as one hashable value: MA011 reads
    the status, and `update_at` only for a STOPPED notebook (how long it has been stopped). A rule
    made volatile must have its inputs added here (`tests/test_policy_memo.py` varies both)."""
    status = _value(nb.status)
    return (status, nb.update_at if status == "STOPPED" else None)


def status_document(nb: Notebook) -> dict[str, Any]:
    """The part of `observed_document(nb)` the volatile rules read: `status`, `fail_reason`,
    `update_at` and `create_at` (absent when the service gave none)."""
    doc: dict[str, Any] = {}
    _put(doc, "status", _text(nb.status))
    _put(doc, "fail_reason", nb.fail_reason)
    _put(doc, "create_at", nb.create_at)
    _put(doc, "update_at", nb.update_at)
    return doc
