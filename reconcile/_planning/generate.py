"""A spec from what exists: observed notebooks -> a version-1 spec document in the form people write.

`generate(notebooks)` is pure: decoded `Notebook` models in, a plain dict out (`{"version": 1,
"notebooks": {local name: entry}}`), plus notes saying what was left out and why. Writing the
document as YAML, JSON or TOML is `reconcile._specfile.write`'s job.

The contract (pinned by a property test): planning the generated spec against the notebooks it came
from plans no changes. Each entry is built by `reconcile._planning.entry` (identity by `id`, every
managed field the service sent, in the spec's own words). The notebook `token` is never written: a
field that holds it is left out, and every note is scrubbed of it.

Which notebooks are generated:
- DELETED and DELETING notebooks never are (they are gone).
- Failed notebooks (ERROR, CREATE_FAILED, START_FAILED, DELETE_FAILED, FROZEN) are left out with a
  warning: a failed notebook is drift whatever the spec says, so no spec could plan it clean.
- A notebook without a usable id cannot be adopted by id: left out with a warning.
- `status` is stated only when the notebook is RUNNING or STOPPED.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reconcile._codec import decode_notebook
from reconcile._core.enums import NotebookStatus
from reconcile._core.errors import DecodeError
from reconcile._core.lifecycle import health_of
from reconcile._core.model import Notebook
from reconcile._core.observation import Found
from reconcile._core.plan import Health
from reconcile._core.secrets import Scrubber
from reconcile._core.spec import SPEC_VERSION, Spec
from reconcile._planning.entry import Note, Severity, duration_text, entry_for, subject

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

_NOT_LOCAL = re.compile(r"[^A-Za-z0-9_-]+")
_LOCAL_START = re.compile(r"[A-Za-z_]")
_GONE = frozenset({NotebookStatus.DELETED, NotebookStatus.DELETING})


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


# -- the document -------------------------------------------------------------------------------


def _scrubbed(note: Note, scrubber: Scrubber) -> Note:
    if not scrubber:
        return note
    return attrs.evolve(note, subject=scrubber.text(note.subject), message=scrubber.text(note.message))


def _adoptable(nb: Notebook, scrubber: Scrubber) -> Note | None:
    """Why `nb` is left out of the spec, or None when it goes in."""
    if nb.id is not None and scrubber.found_in(nb.id):
        return Note("a notebook", "its id holds its token: left out")
    if nb.id is None or not nb.id.strip():
        return Note(f"notebook {nb.id!r}", "its id is blank: it cannot be adopted by id, left out")
    if health_of(nb.status) is Health.FAILED:
        assert nb.status is not None
        reason = f" ({nb.fail_reason})" if nb.fail_reason else ""
        return Note(
            subject(nb),
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
                notes.append(_scrubbed(Note(subject(nb), f"{nb.status.value}: not generated"), scrubber))
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
        assert nb.id is not None
        entries[names[nb.id]], said = entry_for(nb, scrubber)
        notes.extend(_scrubbed(n, scrubber) for n in said)
    document: dict[str, Any] = {"version": SPEC_VERSION, "notebooks": dict(sorted(entries.items()))}
    return Generated(document, tuple(notes))


def reserved_local_names(specs: Iterable[Spec]) -> frozenset[str]:
    """Every local name the given specs use."""
    return frozenset(e.name for spec in specs for e in spec.entries)


def bodies_of(index_by_id: Mapping[str, Sequence[Found]]) -> list[Found]:
    """Every body of an offline index, by id (the order of `collect`'s input does not matter)."""
    return [found for key in sorted(index_by_id) for found in index_by_id[key]]
