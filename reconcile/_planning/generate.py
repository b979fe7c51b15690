"""A spec from what exists: observed notebooks -> a version-1 spec document in the form people write.

`generate(notebooks)` is pure: decoded `Notebook` models in, a plain dict out (`{"version": 1,
"notebooks": {local name: entry}}`), plus notes saying what was left out and why. Writing the
document as YAML, JSON or TOML is `reconcile._specfile.write`'s job.

The contract (pinned by a property test): planning the generated spec against the notebooks it came
from plans no changes. So every entry states its identity by `id` and every managed field the
service sent, in the spec's own words: `2h` and `90m` for durations (milliseconds when not a whole
minute), addresses without `/32`, the image by `name` and `tag` where it has a name (else
`swr_path`, else `id`). A field the service left out is left out too (no default is invented), and
so is a value the spec cannot state (an undocumented enum value, a capacity out of range): each
such omission is a note. The notebook `token` is never read.

Which notebooks are generated:
- DELETED and DELETING notebooks never are (they are gone).
- Failed notebooks (ERROR, CREATE_FAILED, START_FAILED, DELETE_FAILED, FROZEN) are left out with a
  warning: a failed notebook is drift whatever the spec says, so no spec could plan it clean.
- A notebook without a usable id cannot be adopted by id: left out with a warning.
- `status` is stated only when the notebook is RUNNING or STOPPED.
"""

from __future__ import annotations

import enum
import fnmatch
import ipaddress
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reconcile._codec.convert import decode_notebook
from reconcile._core import normalize
from reconcile._core.enums import (
    DevService,
    Feature,
    LeaseType,
    NotebookStatus,
    VolumeCategory,
    VolumeOwnership,
)
from reconcile._core.errors import DecodeError
from reconcile._core.model import Image, Notebook
from reconcile._core.observation import Found
from reconcile._core.plan import Health
from reconcile._core.secrets import Scrubber
from reconcile._core.spec import SPEC_VERSION, Spec
from reconcile._planning.compare import health_of

__all__ = [
    "Generated",
    "Note",
    "Selection",
    "Severity",
    "bodies_of",
    "collect",
    "duration_text",
    "generate",
    "local_names",
    "reserved_local_names",
    "select",
]

_HOUR_MS, _MINUTE_MS = 3_600_000, 60_000
#: The lease range the spec accepts when auto-stop is on (the API's 1h to 72h).
_LEASE_MIN_MS, _LEASE_MAX_MS = 3_600_000, 259_200_000
_MAX_CAPACITY_GB = 4096
#: TOML integers are 64-bit: a larger duration could not be written in every format.
_MAX_INT = 2**63 - 1
_NOT_LOCAL = re.compile(r"[^A-Za-z0-9_-]+")
_LOCAL_START = re.compile(r"[A-Za-z_]")
_GONE = frozenset({NotebookStatus.DELETED, NotebookStatus.DELETING})


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


@attrs.frozen
class Generated:
    """A generated spec document and what was said while making it.

    Attributes:
        document: `{"version": 1, "notebooks": {local name: entry}}`, plain values, keys in the
            order they are written (notebooks sorted by local name).
        notes: warnings and errors, in a stable order.
    """

    document: dict[str, Any] = attrs.field(hash=False)
    notes: tuple[Note, ...] = ()

    @property
    def count(self) -> int:
        """How many notebooks the document holds."""
        return len(self.document["notebooks"])


def _subject(nb: Notebook) -> str:
    if nb.name:
        return f"notebook {nb.id} ({nb.name!r})"
    return f"notebook {nb.id}"


# -- collecting decoded notebooks ---------------------------------------------------------------


def collect(bodies: Iterable[Found]) -> tuple[list[Notebook], list[Note]]:
    """Decode saved or listed bodies into notebooks, one per id, sorted by id.

    A body that does not decode, an id seen twice with different contents, and a body without an
    id are errors or warnings for that body alone; every other notebook is still returned.
    """
    by_id: dict[str, tuple[Notebook, Found]] = {}
    conflicts: dict[str, list[str]] = {}
    notes: list[Note] = []
    for found in bodies:
        try:
            nb = decode_notebook(found.body, source=found.source)
        except DecodeError as exc:
            notes.append(Note(found.source, f"undecodable notebook ({exc})", Severity.ERROR))
            continue
        if nb.id is None:
            notes.append(Note(found.source, "the notebook has no id: it cannot be adopted by id, left out"))
            continue
        first = by_id.get(nb.id)
        if first is None:
            by_id[nb.id] = (nb, found)
        elif first[0] != nb:
            conflicts.setdefault(nb.id, [first[1].source]).append(found.source)
    for notebook_id, sources in sorted(conflicts.items()):
        del by_id[notebook_id]
        notes.append(
            Note(
                f"notebook {notebook_id}",
                f"observed more than once with different contents ({', '.join(sources)}): left out",
                Severity.ERROR,
            )
        )
    return [by_id[k][0] for k in sorted(by_id)], notes


# -- selection ----------------------------------------------------------------------------------


@attrs.frozen
class Selection:
    """Which notebooks to generate: all by default.

    Attributes:
        ids: `--id` values; a notebook with one of these ids is selected.
        names: `--name` globs (fnmatch, case-sensitive); a notebook whose name matches one is selected.
        managed_by: with `--unmanaged`, the specs whose notebooks are left out (matched by id, or
            by exact name for entries that have no id).
    """

    ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    managed_by: Spec | None = None


def _managed(spec: Spec) -> tuple[frozenset[str], frozenset[str]]:
    ids = {e.notebook.id for e in spec.entries if e.notebook.id is not None}
    names = {e.notebook.name for e in spec.entries if e.notebook.id is None and e.notebook.name is not None}
    return frozenset(ids), frozenset(names)


def select(notebooks: Sequence[Notebook], selection: Selection) -> tuple[list[Notebook], list[Note]]:
    """The notebooks `selection` picks, in the order given, and notes on selectors that found nothing.

    `--id` and `--name` add up (a notebook matching either is selected); `managed_by` then takes
    away the notebooks a spec already manages. An `--id` that names no notebook is an error; a
    `--name` glob that matches none is a warning.
    """
    notes: list[Note] = []
    chosen = list(notebooks)
    if selection.ids or selection.names:
        wanted_ids = set(selection.ids)
        chosen = [
            nb
            for nb in chosen
            if nb.id in wanted_ids
            or (nb.name is not None and any(fnmatch.fnmatchcase(nb.name, g) for g in selection.names))
        ]
        known = {nb.id for nb in notebooks}
        for notebook_id in sorted(wanted_ids - known):
            notes.append(Note(f"--id {notebook_id}", "no such notebook", Severity.ERROR))
        for glob in sorted(set(selection.names)):
            if not any(nb.name is not None and fnmatch.fnmatchcase(nb.name, glob) for nb in notebooks):
                notes.append(Note(f"--name {glob}", "matches no notebook"))
    if selection.managed_by is not None:
        ids, names = _managed(selection.managed_by)
        chosen = [nb for nb in chosen if nb.id not in ids and nb.name not in names]
    return chosen, notes


# -- local names --------------------------------------------------------------------------------


def _local_base(text: str) -> str:
    """A valid local name made from `text`: accents dropped, other characters turned into `_`."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    base = _NOT_LOCAL.sub("_", plain).strip("_")
    if not base:
        return "notebook"
    return base if _LOCAL_START.match(base) else f"nb_{base}"


def local_names(notebooks: Sequence[Notebook], reserved: Iterable[str] = ()) -> dict[str, str]:
    """A local name for each notebook, by id: valid for the spec loader and unique.

    The rule: the notebook's name (its id when it has none) with accents dropped, every run of
    characters other than letters, digits, `_` and `-` replaced by one `_`, `_` trimmed from both
    ends, `nb_` put in front when it would not start with a letter or `_`, and `notebook` when
    nothing is left. When several notebooks share that name, or it is `reserved` (a local name of
    a spec given with `--spec`), each of them gets `-` and the first 8 characters of its id; if
    that is still taken, its whole id; then `-2`, `-3`, ... So a name depends only on the notebook
    and the names it clashes with, never on the order notebooks were listed in.
    """
    taken = set(reserved)
    bases = {nb.id: _local_base(nb.name if nb.name and nb.name.strip() else nb.id or "") for nb in notebooks}
    counts = Counter(bases.values())
    out: dict[str, str] = {}
    clashing: list[tuple[str, str]] = []
    for notebook_id, base in bases.items():
        assert notebook_id is not None
        if counts[base] == 1 and base not in taken:
            out[notebook_id] = base
        else:
            clashing.append((base, notebook_id))
    taken |= set(out.values())
    for base, notebook_id in sorted(clashing):
        tail = _NOT_LOCAL.sub("_", notebook_id)
        candidates = [f"{base}-{tail[:8]}", f"{base}-{tail}"]
        name = next((c for c in candidates if c not in taken), None)
        n = 2
        while name is None:
            if f"{candidates[-1]}-{n}" not in taken:
                name = f"{candidates[-1]}-{n}"
            n += 1
        taken.add(name)
        out[notebook_id] = name
    return out


# -- values in the form people write ------------------------------------------------------------


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
        self.notes.append(Note(_subject(self.nb), f"{path} left out: {why}"))

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
        return entry

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


# -- the document -------------------------------------------------------------------------------


def _holds(scrubber: Scrubber, value: Any) -> bool:
    """Whether a plain value holds a secret anywhere inside it."""
    if isinstance(value, str):
        return scrubber.found_in(value)
    if isinstance(value, dict):
        return any(_holds(scrubber, v) for v in value.values())
    if isinstance(value, list):
        return any(_holds(scrubber, v) for v in value)
    return False


def _scrubbed(note: Note, scrubber: Scrubber) -> Note:
    if not scrubber:
        return note
    return attrs.evolve(note, subject=scrubber.text(note.subject), message=scrubber.text(note.message))


def _adoptable(nb: Notebook, scrubber: Scrubber) -> Note | None:
    """Why `nb` is left out of the spec, or None when it goes in."""
    if nb.id is not None and scrubber.found_in(nb.id):
        return Note("a notebook", "its id holds its token: left out")
    if not _text(nb.id):
        return Note(f"notebook {nb.id!r}", "its id is blank: it cannot be adopted by id, left out")
    if health_of(nb.status) is Health.FAILED:
        assert nb.status is not None
        reason = f" ({nb.fail_reason})" if nb.fail_reason else ""
        return Note(
            _subject(nb),
            f"{nb.status.value}{reason}: left out (a failed notebook is drift whatever the spec says; "
            "recover it, then generate again)",
        )
    return None


def generate(
    notebooks: Sequence[Notebook], *, reserved_names: Iterable[str] = (), explicit_ids: Iterable[str] = ()
) -> Generated:
    """A version-1 spec document stating every managed field of each notebook.

    Args:
        notebooks: decoded notebooks, one per id (`collect` gives them).
        reserved_names: local names already used (by the specs of `--spec`), so the generated spec
            can be merged with them.
        explicit_ids: ids asked for by `--id`: a DELETED or DELETING one among them gets a warning.

    Returns:
        The document, and a note for each notebook left out and each value that could not be stated.
    """
    notes: list[Note] = []
    wanted = set(explicit_ids)
    kept: list[tuple[Notebook, Scrubber]] = []
    for nb in sorted(notebooks, key=lambda n: n.id or ""):
        scrubber = Scrubber.of(nb.token)
        if nb.status in _GONE:
            if nb.id in wanted:
                assert nb.status is not None
                notes.append(_scrubbed(Note(_subject(nb), f"{nb.status.value}: not generated"), scrubber))
            continue
        reason = _adoptable(nb, scrubber)
        if reason is not None:
            notes.append(_scrubbed(reason, scrubber))
            continue
        kept.append((nb, scrubber))
    # A name that holds the token would put it in the local name: such a notebook is named by id.
    names = local_names(
        [attrs.evolve(nb, name=None) if nb.name and s.found_in(nb.name) else nb for nb, s in kept],
        reserved_names,
    )
    entries: dict[str, dict[str, Any]] = {}
    for nb, scrubber in kept:
        builder = _Entry(nb, scrubber)
        assert nb.id is not None
        entries[names[nb.id]] = builder.entry()
        notes.extend(_scrubbed(n, scrubber) for n in builder.notes)
    document: dict[str, Any] = {"version": SPEC_VERSION, "notebooks": dict(sorted(entries.items()))}
    return Generated(document, tuple(notes))


def reserved_local_names(specs: Iterable[Spec]) -> frozenset[str]:
    """Every local name the given specs use."""
    return frozenset(e.name for spec in specs for e in spec.entries)


def bodies_of(index_by_id: Mapping[str, Sequence[Found]]) -> list[Found]:
    """Every body of an offline index, by id (the order of `collect`'s input does not matter)."""
    return [found for key in sorted(index_by_id) for found in index_by_id[key]]
