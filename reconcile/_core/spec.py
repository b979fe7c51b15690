"""The desired state: frozen attrs classes of spec format version 1 (docs/design.md, "Contracts").

These classes hold values already normalised: durations in milliseconds, IP lists as sorted sets of
canonical CIDRs, key lists as sorted sets, enum text in canonical upper case. Reading files and
reporting problems with file and line is `reconcile._specfile.load`'s job; the strict structuring itself
goes through the project's cattrs converter (`reconcile._codec`).

Only what a spec states is managed: a field left out (None) is not compared.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Final, NewType

import attrs

from reconcile._core.enums import DevService, Feature, LeaseType, VolumeCategory, VolumeOwnership
from reconcile._core.location import Location
from reconcile._core.normalize import string_set

__all__ = [
    "SPEC_VERSION",
    "Cidr",
    "DesiredStatus",
    "Duration",
    "EndpointSpec",
    "IgnoreRule",
    "ImageSpec",
    "LeaseSpec",
    "NotebookSpec",
    "PoolSpec",
    "Spec",
    "SpecDocument",
    "SpecEntry",
    "Tags",
    "VolumeSpec",
]

#: The spec format version this release reads.
SPEC_VERSION = 1

#: Milliseconds; the spec accepts an integer or text such as `2h`, `90m`, `1h30m`.
Duration = NewType("Duration", int)
#: A canonical CIDR; the spec accepts an address (`1.2.3.4`) or a network (`10.0.0.0/24`).
Cidr = NewType("Cidr", str)
#: Resource tags as `(key, value)` pairs sorted by key (keys are unique); the spec writes a mapping
#: of text to text (`tags: {team: vision, cost-center: "42"}`). A tuple keeps the spec hashable and
#: its order deterministic; `dict(tags)` gives the mapping back.
Tags = NewType("Tags", tuple[tuple[str, str], ...])

#: Limits of a tag as the notebook tags API takes them: key length, value length, characters.
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 255
TAG_TEXT: Final = re.compile(r"[\w .:=+\-@/]*")
TAG_CHARS: Final = "letters, digits, spaces or _ . : = + - @ /"


def valid_tag(key: str, value: str) -> bool:
    """Whether a tag can be written in a spec: a non-blank key and a value within the API's limits."""
    return (
        bool(key.strip())
        and len(key) <= MAX_TAG_KEY
        and TAG_TEXT.fullmatch(key) is not None
        and len(value) <= MAX_TAG_VALUE
        and TAG_TEXT.fullmatch(value) is not None
    )


def _sorted_set(values: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if values is None else string_set(values)


class DesiredStatus(enum.StrEnum):
    """The run states a spec may ask for."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@attrs.frozen
class ImageSpec:
    """The image, named by exactly one of `id`, `name` (with an optional `tag`) or `swr_path`."""

    id: str | None = None
    name: str | None = None
    tag: str | None = None
    swr_path: str | None = None


@attrs.frozen
class VolumeSpec:
    """The storage volume; `capacity` is in GB."""

    category: VolumeCategory | None = None
    capacity: int | None = None
    ownership: VolumeOwnership | None = None
    mount_path: str | None = None


@attrs.frozen
class EndpointSpec:
    """An endpoint the notebook must have; its IP and key lists compare as sets."""

    dev_service: DevService
    allowed_access_ips: tuple[Cidr, ...] | None = attrs.field(default=None, converter=_sorted_set)
    ssh_keys: tuple[str, ...] | None = attrs.field(default=None, converter=_sorted_set)


@attrs.frozen
class LeaseSpec:
    """Auto-stop: on or off, after how long, of which type."""

    enable: bool | None = None
    duration: Duration | None = None
    type: LeaseType | None = None


@attrs.frozen
class PoolSpec:
    """The dedicated resource pool, by id or by name."""

    id: str | None = None
    name: str | None = None


@attrs.frozen
class NotebookSpec:
    """The desired state of one notebook.

    Attributes:
        id: the identity, when given.
        name: the identity when there is no id (looked up by name); a managed field otherwise.
        tags: resource tags as `(key, value)` pairs sorted by key, or None when the spec does not
            manage tags (`tags: {}` manages them as "none"); see `Tags`.
        ignore_changes: spec paths left out of the comparison (like Terraform's lifecycle block).
    """

    id: str | None = None
    name: str | None = None
    flavor: str | None = None
    image: ImageSpec | None = None
    volume: VolumeSpec | None = None
    endpoints: tuple[EndpointSpec, ...] | None = None
    lease: LeaseSpec | None = None
    status: DesiredStatus | None = None
    description: str | None = None
    feature: Feature | None = None
    pool: PoolSpec | None = None
    workspace_id: str | None = None
    tags: Tags | None = None
    ignore_changes: tuple[str, ...] = attrs.field(default=(), converter=string_set)


@attrs.frozen
class SpecDocument:
    """One spec file, as written: `version`, optional `project_id`, `notebooks` by local name."""

    version: int
    notebooks: dict[str, NotebookSpec] = attrs.field(hash=False)
    project_id: str | None = None
    unmanaged_ignore: tuple[IgnoreRule, ...] = ()


@attrs.frozen
class SpecEntry:
    """One notebook of a (possibly merged) spec, with the file it came from.

    Attributes:
        name: the local name (the plan address is `TYPE.name`).
        notebook: the desired state.
        file: the spec file that declares it.
        location: where the entry is declared: `Location(file, line, "notebooks.NAME")`; the line is
            None for TOML (`tomllib` keeps no positions) and for data given in code.
        field_locations: where each key and list item of the entry is written, keyed by its dotted
            path inside the notebook *as written in the file*: a key is joined with `.`, a list item
            is `[i]` in written order (before sets are sorted): `flavor`, `lease.duration`,
            `endpoints[0]`, `endpoints[0].allowed_access_ips`, `endpoints[0].allowed_access_ips[1]`,
            `tags.team`, `ignore_changes[0]`. Each value is `Location(file, line, "notebooks.NAME." +
            key)`. Read lazily: for YAML and JSON the lines are found on first access (so a large
            fleet pays nothing unless a report asks; the text is read again then, and if the
            file changed since loading the mapping is empty rather than wrong); for TOML every line
            is None.
    """

    name: str
    notebook: NotebookSpec
    file: str
    location: Location | None = attrs.field(default=None, eq=False)
    field_locations: Mapping[str, Location] = attrs.field(factory=dict, eq=False, hash=False, repr=False)


def _by_name(entries: Iterable[SpecEntry]) -> tuple[SpecEntry, ...]:
    return tuple(sorted(entries, key=lambda e: e.name))


@attrs.frozen
class IgnoreRule:
    """One rule of the spec's `unmanaged: {ignore: [...]}`: unmanaged notebooks it excludes from counting.

    Attributes:
        reason: why these notebooks may exist unmanaged (required).
        name: a glob (fnmatch, case-sensitive) on the notebook name, or None.
        id: a notebook id (compared without letter case), or None; exactly one of `name` and `id`.
        location: where the rule is written.
    """

    reason: str
    name: str | None = None
    id: str | None = None
    location: Location | None = attrs.field(default=None, eq=False)

    def matches(self, notebook_id: str, name: str | None) -> bool:
        """Whether this rule names the notebook with `notebook_id` and `name`."""
        if self.id is not None:
            return self.id.lower() == notebook_id.lower()
        return name is not None and self.name is not None and fnmatch.fnmatchcase(name, self.name)

    @property
    def label(self) -> str:
        """How the rule is named in messages: `name "scratch-*"` or `id "..."`."""
        return f'id "{self.id}"' if self.id is not None else f'name "{self.name}"'


@attrs.frozen
class Spec:
    """The desired state of every notebook, merged from one or more spec files, sorted by local name.

    Attributes:
        entries: the notebooks, by local name.
        project_id: the project, when a spec file names it.
        files: the spec files, as given.
        unmanaged_ignore: the `unmanaged.ignore` rules of every file, in file order.
    """

    entries: tuple[SpecEntry, ...] = attrs.field(converter=_by_name)
    project_id: str | None = None
    files: tuple[str, ...] = ()
    unmanaged_ignore: tuple[IgnoreRule, ...] = ()
