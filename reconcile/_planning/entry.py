"""One observed notebook -> one spec entry, stated in the form people write.

`entry_for(notebook, scrubber)` gives the entry (a plain dict, keys in the order they are written:
identity, then the fields as the examples order them) and a note for each value it had to leave
out: a field the service did not send stays out (no default is invented), and so does a value the
spec cannot state (an undocumented enum value, a capacity or lease out of range, blank text) or
one that holds the notebook's token (never written). Durations read `2h` or `90m` (milliseconds
when not a whole minute), addresses drop `/32` and `/128`, the image is named by `name` and `tag`
where it has a name (else `swr_path`, else `id`), and `status` is stated only when RUNNING or
STOPPED. Each choice is made so that comparing the entry with the same notebook finds no difference.
"""

from __future__ import annotations

import enum
import ipaddress
from typing import Any

import attrs

from reconcile._core import normalize
from reconcile._core.enums import (
    DevService,
    Feature,
    LeaseType,
    NotebookStatus,
    VolumeCategory,
    VolumeOwnership,
)
from reconcile._core.model import Image, Notebook, TmsTag
from reconcile._core.secrets import Scrubber
from reconcile._core.spec import valid_tag

__all__ = ["Note", "Severity", "duration_text", "entry_for", "subject"]

_HOUR_MS, _MINUTE_MS = 3_600_000, 60_000
#: The lease range the spec accepts when auto-stop is on (the API's 1h to 72h).
_LEASE_MIN_MS, _LEASE_MAX_MS = 3_600_000, 259_200_000
_MAX_CAPACITY_GB = 4096
#: TOML integers are 64-bit: a larger duration could not be written in every format.
_MAX_INT = 2**63 - 1


class Severity(enum.StrEnum):
    """How much a note matters: an error makes `reconcile generate` exit 1 (the rest is written)."""

    WARNING = "warning"
    ERROR = "error"


@attrs.frozen
class Note:
    """Something the user should know about one notebook (or one selector) of the generated spec.

    Attributes:
        subject: what it is about (`notebook ID ("NAME")`, `--id ID`, a source).
        message: what happened and why, one line.
        severity: a warning, or an error (exit status 1).
    """

    subject: str
    message: str
    severity: Severity = Severity.WARNING

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


def subject(nb: Notebook) -> str:
    if nb.name:
        return f"notebook {nb.id} ({nb.name!r})"
    return f"notebook {nb.id}"


def duration_text(ms: int) -> str | int:
    """A duration as people write it: `2h`, `90m`, or milliseconds when not a whole minute."""
    if ms > 0 and ms % _HOUR_MS == 0:
        return f"{ms // _HOUR_MS}h"
    if ms > 0 and ms % _MINUTE_MS == 0:
        return f"{ms // _MINUTE_MS}m"
    return ms


def _cidr_sort_key(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int, int]:
    return (net.version, int(net.network_address), net.prefixlen)


def _cidrs(values: tuple[str, ...] | None) -> list[str] | None:
    """Observed allowed IPs as people write them (no `/32`), or None when one cannot be parsed."""
    nets = []
    for text in normalize.observed_cidrs(values):
        try:
            nets.append(ipaddress.ip_network(text, strict=True))
        except ValueError:
            return None
    out = []
    for net in sorted(set(nets), key=_cidr_sort_key):
        single = net.prefixlen == net.max_prefixlen
        out.append(str(net.network_address) if single else str(net))
    return out


def _text(value: str | None) -> bool:
    """Whether a naming field can be stated: the spec refuses blank text there."""
    return value is not None and bool(value.strip())


def _known(value: enum.Enum | None, spec_enum: type[enum.Enum]) -> str | None:
    """The enum text when the spec accepts it (the spec's enums are closed), else None."""
    if value is None:
        return None
    text = str(value.value)
    return text if text.upper() in {str(m.value).upper() for m in spec_enum} else None


class _Entry:
    """Builds one spec entry, collecting a note for each value the spec cannot state."""

    def __init__(self, nb: Notebook, scrubber: Scrubber) -> None:
        self.nb = nb
        self.scrubber = scrubber
        self.notes: list[Note] = []

    def entry(self) -> dict[str, Any]:
        """The entry, less any field whose value holds the notebook's token (never written)."""
        entry = self.build()
        if self.scrubber:
            for key in [k for k in entry if k != "id" and _holds(self.scrubber, entry[k])]:
                del entry[key]
                self.skip(key, "it holds the notebook's token, which is never written")
        return entry

    def skip(self, path: str, why: str) -> None:
        self.notes.append(Note(subject(self.nb), f"{path} left out: {why}"))

    def enum(self, path: str, value: enum.Enum | None, spec_enum: type[enum.Enum]) -> str | None:
        text = _known(value, spec_enum)
        if value is not None and text is None:
            self.skip(path, f"{str(value.value)!r} is not a value the spec accepts")
        return text

    def build(self) -> dict[str, Any]:
        nb = self.nb
        entry: dict[str, Any] = {"id": nb.id}
        if _text(nb.name):
            entry["name"] = nb.name
        elif nb.name is not None:
            self.skip("name", "the service gave a blank name")
        if nb.description is not None:
            entry["description"] = nb.description
        if _text(nb.flavor):
            entry["flavor"] = nb.flavor
        elif nb.flavor is not None:
            self.skip("flavor", "the service gave a blank flavor")
        if nb.image is not None:
            image = self.image(nb.image)
            if image:
                entry["image"] = image
        if nb.volume is not None:
            volume = self.volume()
            if volume:
                entry["volume"] = volume
        if nb.endpoints is not None:
            entry["endpoints"] = self.endpoints()
        if nb.lease is not None:
            lease = self.lease()
            if lease:
                entry["lease"] = lease
        if nb.status in (NotebookStatus.RUNNING, NotebookStatus.STOPPED):
            entry["status"] = nb.status.value
        elif nb.status is None:
            self.skip("status", "the service gave none")
        else:
            self.skip("status", f"{nb.status.value} is not RUNNING or STOPPED (state it yourself)")
        feature = self.enum("feature", nb.feature, Feature)
        if feature is not None:
            entry["feature"] = feature
        if nb.pool is not None:
            pool = {k: v for k, v in (("id", nb.pool.id), ("name", nb.pool.name)) if _text(v)}
            if pool:
                entry["pool"] = pool
        if _text(nb.workspace_id):
            entry["workspace_id"] = nb.workspace_id
        elif nb.workspace_id is not None:
            self.skip("workspace_id", "the service gave a blank workspace id")
        if nb.tags is not None:
            tags = self.tags(nb.tags)
            if tags is not None:
                entry["tags"] = tags
        return entry

    def tags(self, tags: tuple[TmsTag, ...]) -> dict[str, str] | None:
        """The tags as a key-to-value map sorted by key, or None (tags left unmanaged, with a note)
        when one of them cannot be stated in a spec: leaving one out would read as drift."""
        out: dict[str, str] = {}
        for tag in tags:
            if tag.key is None:
                continue  # the comparison passes over a tag without a key, too
            value = tag.value or ""
            if not valid_tag(tag.key, value) or out.get(tag.key, value) != value:
                self.skip("tags", f"the tag {tag.key!r} cannot be written in a spec (or has two values)")
                return None
            out[tag.key] = value
        return dict(sorted(out.items()))

    def image(self, image: Image) -> dict[str, Any] | None:
        tag = image.effective_tag
        if _text(image.name) and (tag is None or _text(tag)):
            return {"name": image.name, "tag": tag} if tag is not None else {"name": image.name}
        # The path with its tag, as compared when the path written has a `:TAG` of its own; else the
        # path alone (a tag holding `/` does not read as a tag: the comparison then takes the bare path).
        tagged = image.tagged_swr_path
        swr_path = tagged if tagged and ":" in tagged.rsplit("/", 1)[-1] else image.swr_path
        if _text(swr_path):
            return {"swr_path": swr_path}
        if _text(image.id):
            return {"id": image.id}
        if any(v is not None for v in (image.name, image.swr_path, image.id)):
            self.skip("image", "its name, swr_path and id are all blank")
        return None

    def volume(self) -> dict[str, Any]:
        volume = self.nb.volume
        assert volume is not None
        out: dict[str, Any] = {}
        category = self.enum("volume.category", volume.category, VolumeCategory)
        if category is not None:
            out["category"] = category
        if volume.capacity is not None:
            if 1 <= volume.capacity <= _MAX_CAPACITY_GB:
                out["capacity"] = volume.capacity
            else:
                self.skip("volume.capacity", f"{volume.capacity} GB is outside 1 to 4096")
        ownership = self.enum("volume.ownership", volume.ownership, VolumeOwnership)
        if ownership is not None:
            out["ownership"] = ownership
        if _text(volume.mount_path):
            out["mount_path"] = volume.mount_path
        elif volume.mount_path is not None:
            self.skip("volume.mount_path", "the service gave a blank path")
        return out

    def endpoints(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for ep in self.nb.endpoints or ():
            service = _known(ep.dev_service, DevService)
            if service is None or service in seen:
                if ep.dev_service is not None and service is None:
                    self.skip(f"endpoints {ep.dev_service.value}", "not a service the spec accepts")
                continue
            seen.add(service)
            item: dict[str, Any] = {"dev_service": service}
            if service == DevService.SSH.value:
                if ep.allowed_access_ips is not None:
                    cidrs = _cidrs(ep.allowed_access_ips)
                    if cidrs is None:
                        self.skip("endpoints.SSH.allowed_access_ips", "an entry is not an IP address or CIDR")
                    else:
                        item["allowed_access_ips"] = cidrs
                if ep.ssh_keys is not None:
                    item["ssh_keys"] = list(normalize.string_set(ep.ssh_keys))
            out.append(item)
        return sorted(out, key=lambda e: e["dev_service"])

    def lease(self) -> dict[str, Any]:
        lease = self.nb.lease
        assert lease is not None
        out: dict[str, Any] = {}
        if lease.enable is not None:
            out["enable"] = lease.enable
        if lease.duration is not None:
            enabled = lease.enable is not False
            if enabled and not _LEASE_MIN_MS <= lease.duration <= _LEASE_MAX_MS:
                self.skip("lease.duration", f"{lease.duration} ms is outside the 1h to 72h the spec accepts")
            elif not 0 <= lease.duration <= _MAX_INT:
                self.skip("lease.duration", f"{lease.duration} ms is not a duration")
            else:
                out["duration"] = duration_text(lease.duration)
        lease_type = self.enum("lease.type", lease.type, LeaseType)
        if lease_type is not None:
            out["type"] = lease_type
        return out


def _holds(scrubber: Scrubber, value: Any) -> bool:
    """Whether a plain value holds a secret anywhere inside it."""
    if isinstance(value, str):
        return scrubber.found_in(value)
    if isinstance(value, dict):
        return any(_holds(scrubber, v) for v in value.values())
    if isinstance(value, list):
        return any(_holds(scrubber, v) for v in value)
    return False


def entry_for(nb: Notebook, scrubber: Scrubber) -> tuple[dict[str, Any], list[Note]]:
    """The spec entry of `nb`, and a note for each value left out (see the module docstring)."""
    builder = _Entry(nb, scrubber)
    return builder.entry(), builder.notes
