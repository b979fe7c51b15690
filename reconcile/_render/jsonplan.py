"""The plan as JSON, in the shape of `terraform show -json`, and the reader that rebuilds a Plan from it.

The document is a versioned contract (`format_version`, pinned by `schemas/plan.schema.json`), built
key by key here rather than dumped from the classes, so renaming a field of `reconcile._core.plan` cannot
change it silently::

    {
      "format_version": "1.2", "terraform_version": "1.9.0",
      "reconcile_format_version": "2.0",
      "metadata": {"tool_version", "project_id", "endpoint", "observed", "spec_files": {FILE: DIGEST},
                   "notebooks": {NAME: {"fingerprint", "status", "update_at"}}, ["timestamp"]},
      "planned_values": {"root_module": {"resources": [{"address", "mode", "type", "name",
                         "provider_name", "schema_version", "values", "sensitive_values"}]}},
      "resource_drift": [{"address", "mode", "type", "name", "provider_name", "change"}],
      "resource_changes": [
        {"address", "mode": "managed", "type", "name", "provider_name", "notebook_id",
         "action_reason" (replacements only),
         "change": {"actions", "before", "after", "before_sensitive", "after_sensitive",
                    "after_unknown", "replace_paths"},
         "differences": [{"path", "observed", "desired", "action", "forces_replacement"}],
         "ignored", "health", "status", "notes", "steps", "create_missing",
         ["acknowledged": [{"path", "reason", "owner", "expires", "expiring"}]]}
      ],
      "prior_state": {"format_version": "1.0", "terraform_version",
                      "values": {"root_module": {"resources": [...as in planned_values]}}},
      "configuration": {"provider_config": {"huaweicloud": {"name", "full_name"}},
                        "root_module": {"resources": [{"address", "mode", "type", "name",
                                        "provider_config_key", "schema_version", "expressions"}]}},
      "applyable", "complete", "errored",
      "summary": {"add", "change", "destroy", "no_op", "pending", "errors", "unmanaged", "listed"},
      "errors": [{"address", "message", "notebook_id"}],
      "unmanaged": [{"notebook_id", "name", "status", "workspace_id", "ignored"}]
    }

`unmanaged` lists the notebooks of the project's listing that no spec entry manages (`ignored` is the
reason of the spec's ignore rule that matches one, else null); `summary.unmanaged` counts those not
ignored, and `summary.listed` is how many notebooks the listing held, or null when no listing was
made (then `unmanaged` is empty because it is unknown). Both came with version 2.1; the reader takes
a 2.0 document as one without a listing.

The whole document is one line of UTF-8, as `terraform show -json` writes it. The address is
Terraform's `TYPE.NAME` (`huaweicloud_modelarts_notebook.train-box`); the reader also accepts the
`modelarts_notebook.NAME` addresses of plans written by 0.1.0, and ignores the Terraform sections
(they are derived from `resource_changes` and `errors`).

Versions: `format_version` is Terraform's (the shape); `reconcile_format_version` (`MAJOR.MINOR`) is
ours, for everything we add. The reader reads every minor version of its major and refuses any
other major with one line. `notes` holds every sentence shown for the change; the reader keeps the
ones about what was observed and derives the rest again from `steps`.

Secrets: `ResourceChange.sensitive` (the secret fields the observed notebook has, `token`) is
written as Terraform's `before_sensitive`/`after_sensitive` (`{"token": true}`; `false` where there
is no object). Secret values are never written: a secret key found in `before`/`after` anyway is left
out, and a difference under one reads `<redacted>`. Keys of free-form values (`before`, `observed`, ...)
are sorted, so equal plans give identical bytes.
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, NoReturn

import attrs

from reconcile._core.catalogue import CATALOGUE
from reconcile._core.errors import PlanFormatError
from reconcile._core.location import Location
from reconcile._core.plan import (
    ADDRESS_PREFIX,
    FORMAT_VERSION,
    RECONCILE_FORMAT_VERSION,
    RESOURCE_TYPE,
    Acknowledgement,
    Action,
    ApplyMethod,
    Difference,
    Health,
    NotebookFingerprint,
    Plan,
    PlanError,
    PlanMetadata,
    ResourceChange,
    SpecDigest,
    Step,
    Unmanaged,
)
from reconcile._files.jsonencode import encoder
from reconcile._files.jsonparse import INT_DIGITS_LIMIT, is_digit_limit
from reconcile._render.common import (
    notes_of,
    redacted,
    secret_keys,
    sensitive_fields,
    step_notes,
    without_sensitive,
)

__all__ = [
    "COMPUTED_KEYS",
    "LEGACY_ADDRESS_PREFIX",
    "MANAGED_KEYS",
    "PROVIDER_NAME",
    "TERRAFORM_VERSION",
    "VALID_ACTIONS",
    "plan_document",
    "read_plan",
    "render",
]

#: The Terraform version the document claims to come from: a compatibility string, not a Terraform
#: run. Tools check it (terraform-compliance accepts versions by prefix, checkov opens a plan only
#: when it is present); the shape written is that of `terraform show -json` 1.9.
TERRAFORM_VERSION: Final = "1.9.0"
#: The `format_version` of `prior_state`, as Terraform writes it for state.
STATE_FORMAT_VERSION: Final = "1.0"
#: The Terraform provider that manages `huaweicloud_modelarts_notebook`.
PROVIDER_NAME: Final = "registry.terraform.io/huaweicloud/huaweicloud"
#: The provider's key in `configuration.provider_config`.
PROVIDER_KEY: Final = "huaweicloud"
#: Attributes the service assigns to a new notebook (Terraform's `after_unknown` of a create).
COMPUTED_KEYS: Final = frozenset({"id", "url"})
#: The top-level notebook fields the spec can manage (the field catalogue's first path elements).
MANAGED_KEYS: Final = frozenset(rule.path.split(".")[0] for rule in CATALOGUE)
#: Terraform's `action_reason` of a replacement forced by a field that cannot be updated in place.
REPLACE_BECAUSE_CANNOT_UPDATE: Final = "replace_because_cannot_update"
#: Terraform's `action_reason` of a replacement of a failed notebook (Terraform's tainted object).
REPLACE_BECAUSE_TAINTED: Final = "replace_because_tainted"
#: The address prefix of plans written by 0.1.0 (`modelarts_notebook.NAME`), still read by `read_plan`.
LEGACY_ADDRESS_PREFIX: Final = "modelarts_notebook"

#: The action lists a resource change may carry, as Terraform writes them.
VALID_ACTIONS: Final = frozenset(
    {
        (Action.NO_OP,),
        (Action.CREATE,),
        (Action.UPDATE,),
        (Action.DELETE,),
        (Action.DELETE, Action.CREATE),
        (Action.CREATE, Action.DELETE),
    }
)


def render(plan: Plan) -> str:
    """Render a plan as JSON: one line of UTF-8 with sorted keys, as `terraform show -json` writes it.

    One line because Terraform tools expect it (terraform-compliance reads a multi-line file wrong);
    non-ASCII text written as itself, not as `\\u` escapes, because checkov misreads escaped surrogate
    pairs. The C encoder does the work; only a lone surrogate (which UTF-8 cannot hold) is escaped.
    The text is `render_chunks` joined: exactly `json.dumps(plan_document(plan), sort_keys=True,
    ensure_ascii=False, allow_nan=False)` and a newline.

    Raises:
        ValueError: a value in the plan is not representable in JSON (NaN, infinity).
    """
    return "".join(render_chunks(plan))


def render_chunks(plan: Plan) -> Iterator[str]:
    """`render(plan)` in consecutive pieces, each resource built and encoded only when it is reached.

    A notebook appears up to five times in the document (`resource_changes` before and after,
    `planned_values`, `prior_state`, `resource_drift`): its `before` and `after` are encoded once
    each and the text is reused, and no section is held whole. `reconcile plan --out` writes the
    pieces as they come (to a temporary file, renamed when complete), so a 10,000-notebook plan never
    holds its own text. The bytes are those of `render`, which joins these pieces.

    Raises:
        ValueError: a value in the plan is not representable in JSON (NaN, infinity); raised while
            iterating, before the piece that holds it.
    """
    views = [_Views.of(rc) for rc in plan.resource_changes]
    skeleton = _document(plan, views, _holes(_SECTIONS))
    text = _ENCODE(skeleton)
    parts = _HOLE.split(text)
    if parts[1::2] != sorted(_SECTIONS):  # a value of the plan spelled like a hole: no splicing
        yield _dump(plan_document(plan)) + "\n"
        return
    fragments = _Fragments()
    sections: dict[str, Callable[[], Iterator[str]]] = {
        "configuration": lambda: (_ENCODE(r) for r in _configuration_resources(views, plan.errors)),
        "planned_values": lambda: (
            fragments.spliced(v, _planned, ("after",)) for v in views if v.after is not None
        ),
        "prior_state": lambda: (
            fragments.spliced(v, _prior, ("before",)) for v in views if v.before is not None
        ),
        "resource_changes": lambda: (fragments.spliced(v, _changed, v.present) for v in views),
        "resource_drift": lambda: (fragments.spliced(v, _drifted, v.present) for v in views if _has_drift(v)),
    }
    yield _safe(parts[0])
    for name, following in zip(parts[1::2], parts[2::2], strict=True):
        yield from _array(sections[name]())
        yield _safe(following)
    yield "\n"


def _array(items: Iterator[str]) -> Iterator[str]:
    """A JSON array of already-encoded items, in pieces of about `_PIECE` characters."""
    batch: list[str] = []
    size = 0
    first = True
    for item in items:
        batch.append(item)
        size += len(item)
        if size >= _PIECE:
            yield _safe(("[" if first else ", ") + ", ".join(batch))
            batch, size, first = [], 0, False
    if batch or first:
        yield _safe(("[" if first else ", ") + ", ".join(batch))
    yield "]"


#: How many characters `render_chunks` gathers before it hands a piece on (a write's worth).
_PIECE: Final = 1 << 18


#: JSON text of a value with the flags the plan is written with (the C encoder, made once).
_ENCODE: Final = encoder(sort_keys=True, ensure_ascii=False)


def _dump(value: Any) -> str:
    # Keys sorted at every depth, so equal plans are equal bytes.
    return _safe(json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False))


def _safe(text: str) -> str:
    """`text` with every lone surrogate written as a `\\uXXXX` escape (UTF-8 cannot hold one)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # rare: scan only then
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


# Python strings can hold lone surrogates (a service may send `"\\ud800"`); they only occur inside
# JSON strings, where the `\\uXXXX` escape is valid JSON and reads back as the same string.
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")

# --- streaming: holes in a document, filled with text encoded elsewhere ---------------------------
#
# A hole is a string no plan holds in practice (NUL-delimited); the document with holes is encoded by
# the same encoder, then split at the holes' encoded text and the pieces filled in. Splitting checks
# that each hole was found exactly where it was put: a plan value spelled like a hole (however
# unlikely) makes that document be encoded whole instead, so the bytes never depend on the trick.

_HOLE: Final = re.compile(r'"\\u0000reconcile:([a-z_]+)\\u0000"')
#: The sections of the document whose resources are streamed one by one.
_SECTIONS: Final = ("configuration", "planned_values", "prior_state", "resource_changes", "resource_drift")


def _hole(name: str) -> str:
    return f"\x00reconcile:{name}\x00"


_BEFORE_HOLE: Final = _hole("before")
_AFTER_HOLE: Final = _hole("after")


def _holes(names: tuple[str, ...]) -> dict[str, str]:
    return {name: _hole(name) for name in names}


class _Fragments:
    """Each notebook's `before` and `after`, encoded once, and the documents they fill."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[str | None, str | None]] = {}

    def of(self, views: _Views) -> tuple[str | None, str | None]:
        """The encoded `before` and `after` of `views` (the same text when they are the same values)."""
        key = id(views)
        found = self._texts.get(key)
        if found is None:
            before = None if views.before is None else _ENCODE(views.before)
            if views.after is None:
                after = None
            elif views.after is views.before or (
                views.rc.after is views.rc.before and views.after.keys() == (views.before or {}).keys()
            ):
                after = before
            else:
                after = _ENCODE(views.after)
            found = self._texts[key] = (before, after)
        return found

    def spliced(
        self,
        views: _Views,
        build: Callable[[_Views, Any, Any], dict[str, Any]],
        expected: tuple[str, ...],
    ) -> str:
        """The document `build(views, before, after)` makes, encoded with this notebook's values encoded once.

        `build` is given holes where the notebook has values, and `expected` names the holes the
        document holds; when the encoded text holds other holes too (a plan value spelled like
        one), the document is built with the values themselves and encoded whole.
        """
        text = _ENCODE(
            build(
                views,
                None if views.before is None else _BEFORE_HOLE,
                None if views.after is None else _AFTER_HOLE,
            )
        )
        parts = _HOLE.split(text)
        names = parts[1::2]
        if tuple(sorted(names)) != expected:
            return _ENCODE(build(views, views.before, views.after))
        if not names:
            return text
        before, after = self.of(views)
        filled = {"before": before, "after": after}
        parts[1::2] = [filled[n] for n in names]
        return "".join(parts)


def _planned(views: _Views, before: Any, after: Any) -> dict[str, Any]:
    return _state_resource(views, after)


def _prior(views: _Views, before: Any, after: Any) -> dict[str, Any]:
    return _state_resource(views, before)


def _changed(views: _Views, before: Any, after: Any) -> dict[str, Any]:
    return _change_entry(views, (before, after))


def _drifted(views: _Views, before: Any, after: Any) -> dict[str, Any]:
    drift = _drift(views, after, before)
    assert drift is not None  # only called for a notebook with drift
    return drift


def plan_document(plan: Plan) -> dict[str, Any]:
    """The JSON plan as Python data (its values shared with the plan: read, do not modify)."""
    views = [_Views.of(rc) for rc in plan.resource_changes]
    return _document(plan, views, None)


def _document(plan: Plan, views: list[_Views], holes: dict[str, str] | None) -> dict[str, Any]:
    """The document; with `holes`, each streamed section's resource list is that hole instead."""
    summary = plan.summary
    errored = bool(plan.errors)

    def section(name: str, resources: Callable[[], list[dict[str, Any]]]) -> Any:
        return holes[name] if holes is not None else resources()

    return {
        "format_version": FORMAT_VERSION,
        **_provenance_keys(plan),
        "resource_changes": section(
            "resource_changes", lambda: [_change_entry(v, (v.before, v.after)) for v in views]
        ),
        "summary": {
            "add": summary.add,
            "change": summary.change,
            "destroy": summary.destroy,
            "no_op": summary.no_op,
            "pending": summary.pending,
            "errors": summary.errors,
            "unmanaged": summary.unmanaged,
            "listed": plan.listed,
        },
        "errors": [
            {
                "address": e.address,
                "message": e.message,
                "notebook_id": e.notebook_id,
                "location": _location(e.location),
            }
            for e in plan.errors
        ],
        "unmanaged": [
            {
                "notebook_id": u.notebook_id,
                "name": u.name,
                "status": u.status,
                "workspace_id": u.workspace_id,
                "ignored": u.ignored,
            }
            for u in plan.unmanaged
        ],
        # The keys Terraform tools read (see below).
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {
            "root_module": {
                "resources": section(
                    "planned_values",
                    lambda: [_state_resource(v, v.after) for v in views if v.after is not None],
                )
            }
        },
        "resource_drift": section(
            "resource_drift",
            lambda: [drift for v in views if (drift := _drift(v, v.after, v.before)) is not None],
        ),
        "prior_state": {
            "format_version": STATE_FORMAT_VERSION,
            "terraform_version": TERRAFORM_VERSION,
            "values": {
                "root_module": {
                    "resources": section(
                        "prior_state",
                        lambda: [_state_resource(v, v.before) for v in views if v.before is not None],
                    )
                }
            },
        },
        "configuration": {
            "provider_config": {PROVIDER_KEY: {"name": PROVIDER_KEY, "full_name": PROVIDER_NAME}},
            "root_module": {
                "resources": section(
                    "configuration", lambda: list(_configuration_resources(views, plan.errors))
                )
            },
        },
        # Terraform's meanings: something to apply and nothing failed; every resource was planned;
        # planning failed somewhere (here: a notebook that could not be observed).
        "applyable": plan.has_changes and not errored,
        "complete": not errored,
        "errored": errored,
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    """Where the spec declares an entry: `{"file", "line"}` (our extension), or null when unknown."""
    return None if location is None else {"file": location.file, "line": location.line}


def _change_entry(views: _Views, values: tuple[Any, Any]) -> dict[str, Any]:
    """One entry of `resource_changes`, its `before` and `after` given (the values, or holes)."""
    rc = views.rc
    before, after = values
    secrets = views.secrets
    flags = views.flags  # Terraform's `*_sensitive`: false without an object, else the secret keys
    entry: dict[str, Any] = {
        "address": rc.address,
        "mode": "managed",
        "type": RESOURCE_TYPE,
        "name": rc.name,
        "provider_name": PROVIDER_NAME,
        "notebook_id": rc.notebook_id,
        "location": _location(rc.location),
        "change": {
            "actions": [a.value for a in rc.actions],
            "before": before,
            "after": after,
            "before_sensitive": False if rc.before is None else flags,
            "after_sensitive": False if rc.after is None else flags,
            "after_unknown": dict.fromkeys(sorted(_unknown_after(rc)), True),
            "replace_paths": [list(p) for p in rc.replace_paths],
        },
        "differences": [
            {
                "path": list(d.path),
                "observed": d.observed,
                "desired": d.desired,
                "action": d.method.value,
                "forces_replacement": d.forces_replacement,
            }
            for d in (redacted(d, secrets) for d in rc.differences)
        ],
        "ignored": list(rc.ignored),
        "health": rc.health.value,
        "status": rc.status,
        "notes": list(notes_of(rc)),
        **_decision_keys(rc),
        **_acknowledged(rc),
    }
    if Action.CREATE in rc.actions and Action.DELETE in rc.actions:
        # A failed notebook replaced for recovery is Terraform's tainted object.
        entry["action_reason"] = (
            REPLACE_BECAUSE_CANNOT_UPDATE if rc.replace_paths else REPLACE_BECAUSE_TAINTED
        )
    return entry


def _acknowledged(rc: ResourceChange) -> dict[str, Any]:
    """`acknowledged` (since 2.1, only when a drift waiver acknowledges something)."""
    if not rc.acknowledged:
        return {}
    return {
        "acknowledged": [
            {
                "path": a.path,
                "reason": a.reason,
                "owner": a.owner,
                "expires": a.expires,
                "expiring": a.expiring,
            }
            for a in rc.acknowledged
        ]
    }


# --- the keys Terraform tools read ----------------------------------------------------------------
#
# checkov reads `planned_values` (one resource per notebook that will exist) joined with
# `configuration` by type and name, and only opens a file with a `terraform_version`;
# terraform-compliance also reads `prior_state` and `configuration.provider_config`; OPA/conftest
# policies usually read `resource_changes`, `resource_drift` and the top-level `errored`/`complete`.


@attrs.frozen
class _Views:
    """A resource change with its `after` and `before` as written (secrets and unknowns left out),
    worked out once for every section that shows them."""

    rc: ResourceChange
    after: Mapping[str, Any] | None
    before: Mapping[str, Any] | None
    secrets: frozenset[str]
    flags: dict[str, bool]

    @property
    def present(self) -> tuple[str, ...]:
        """The names of the written values this notebook has, sorted (`("after", "before")`)."""
        return tuple(name for name, v in (("after", self.after), ("before", self.before)) if v is not None)

    @classmethod
    def of(cls, rc: ResourceChange) -> _Views:
        """The written views of `rc`."""
        secrets = secret_keys(rc)
        return cls(
            rc,
            _written_after(rc, secrets),
            None if rc.before is None else without_sensitive(rc.before, secrets),
            secrets,
            dict.fromkeys(sorted(sensitive_fields(rc)), True),
        )


def _identity(name: str, address: str) -> dict[str, Any]:
    """The keys naming a resource in every Terraform section."""
    return {"address": address, "mode": "managed", "type": RESOURCE_TYPE, "name": name}


def _unknown_after(rc: ResourceChange) -> frozenset[str]:
    """The attributes a create or a replacement only knows after apply (`id`, `url`).

    A new notebook gets a new id whatever the spec or the old notebook said, so these are left out of
    the written `after` (as Terraform leaves out unknown values) and flagged in `after_unknown`.
    """
    return COMPUTED_KEYS if Action.CREATE in rc.actions else frozenset()


def _written_after(rc: ResourceChange, secrets: frozenset[str]) -> Mapping[str, Any] | None:
    """`after` as written: without secret keys, and without the attributes unknown until apply."""
    if rc.after is None:
        return None
    return without_sensitive(rc.after, secrets | _unknown_after(rc))


def _state_resource(views: _Views, values: Any) -> dict[str, Any]:
    """A resource of `planned_values` or `prior_state`: identity, provider, values and their secret
    flags (the notebook's `flags`, worked out once for every section)."""
    rc = views.rc
    return {
        **_identity(rc.name, rc.address),
        "provider_name": PROVIDER_NAME,
        "schema_version": 0,
        "values": values,
        "sensitive_values": views.flags,
    }


def _has_drift(views: _Views) -> bool:
    """Whether the notebook has an entry in `resource_drift` (see `_drift`)."""
    if views.after is None:
        return False
    if views.before is None:
        return views.rc.notebook_id is not None
    return bool(views.rc.differences)


def _drift(views: _Views, desired: Any, observed: Any) -> dict[str, Any] | None:
    """The drift of one notebook as Terraform reports changes made outside it, or None without drift.

    Terraform's `resource_drift` goes from the state it last recorded (`before`) to the object it
    found (`after`). Here the recorded state is the spec: `before` is the desired view of the
    notebook (`desired`: the written `after`, or its hole), `after` the observed one (`observed`); a
    notebook the spec names by id that no longer exists is a `delete`. The same differences, seen
    the other way round, are what `resource_changes` plans.
    """
    if not _has_drift(views):
        return None
    rc = views.rc
    actions = ["update"] if views.before is not None else ["delete"]
    flags = views.flags
    return {
        **_identity(rc.name, rc.address),
        "provider_name": PROVIDER_NAME,
        "change": {
            "actions": actions,
            "before": desired,
            "after": observed,
            "before_sensitive": flags,
            "after_sensitive": False if views.before is None else flags,
            "after_unknown": {},
        },
    }


def _configuration_resources(views: list[_Views], errors: tuple[PlanError, ...]) -> list[dict[str, Any]]:
    """Terraform's `configuration.root_module.resources`: one per spec entry with its expressions.

    The expressions are the managed fields (those of the field catalogue) of the desired state, each
    a `constant_value`; a spec entry that could not be observed is listed without expressions.
    """
    resources = [
        {
            **_identity(v.rc.name, v.rc.address),
            "provider_config_key": PROVIDER_KEY,
            "schema_version": 0,
            "expressions": {
                key: {"constant_value": value}
                for key, value in (v.after or {}).items()
                if key in MANAGED_KEYS
            },
        }
        for v in views
    ]
    resources += [
        {
            **_identity(e.name, e.address),
            "provider_config_key": PROVIDER_KEY,
            "schema_version": 0,
            "expressions": {},
        }
        for e in errors
    ]
    resources.sort(key=lambda r: str(r["address"]))
    return resources


def _provenance_keys(plan: Plan) -> dict[str, Any]:
    """Our format version and the metadata block (where the plan came from)."""
    meta = plan.metadata
    block: dict[str, Any] = {
        "tool_version": meta.tool_version,
        "project_id": meta.project_id,
        "endpoint": meta.endpoint,
        "observed": meta.observed,
        "spec_files": {d.file: d.sha256 for d in meta.spec_files},
        "notebooks": {
            f.name: {"fingerprint": f.fingerprint, "status": f.status, "update_at": f.update_at}
            for f in meta.notebooks
        },
    }
    if meta.timestamp is not None:
        block["timestamp"] = meta.timestamp
    return {"reconcile_format_version": RECONCILE_FORMAT_VERSION, "metadata": block}


def _decision_keys(rc: ResourceChange) -> dict[str, Any]:
    """What applying the change takes: its steps, and the create inputs it lacks."""
    return {"steps": [step.value for step in rc.steps], "create_missing": list(rc.create_missing)}


# --- reading -------------------------------------------------------------------------------------

_JSON_TYPES: Final = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    type(None): "null",
}


class _Reader:
    """Reads one JSON plan document, raising `PlanFormatError` naming the file and the field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> NoReturn:
        """Raise the error for the field at `path` ("" for the document itself)."""
        where = f"{self.source}: {path}: " if path else f"{self.source}: "
        raise PlanFormatError(where + message)

    def typed(self, value: Any, expected: type | tuple[type, ...], path: str) -> Any:
        """`value` if it has the expected JSON type, else fail saying what it was."""
        kinds = expected if isinstance(expected, tuple) else (expected,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            wanted = " or ".join(dict.fromkeys(_JSON_TYPES[k] for k in kinds))
            self.fail(path, f"expected {wanted}, got {_describe(value)}")
        return value

    def field(self, obj: Mapping[str, Any], key: str, expected: type | tuple[type, ...], path: str) -> Any:
        """The member `key` of an object, required and of the expected type."""
        where = f"{path}.{key}" if path else key
        if key not in obj:
            self.fail(where, "missing")
        return self.typed(obj[key], expected, where)

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        """An array of strings."""
        items = self.typed(value, list, path)
        return tuple(self.typed(v, str, f"{path}[{i}]") for i, v in enumerate(items))

    def enum(self, value: Any, kind: type[Any], path: str) -> Any:
        """A string that is one of the enum's values."""
        text = self.typed(value, str, path)
        try:
            return kind(text)
        except ValueError:
            allowed = ", ".join(json.dumps(m.value) for m in kind)
            self.fail(path, f"unknown value {json.dumps(text)}; expected one of {allowed}")

    def name_from(self, address: str, path: str) -> str:
        """The local name in a `huaweicloud_modelarts_notebook.<name>` address (or a 0.1.0 one)."""
        for prefix in (ADDRESS_PREFIX + ".", LEGACY_ADDRESS_PREFIX + "."):
            if address.startswith(prefix) and address != prefix:
                return address[len(prefix) :]
        prefix = ADDRESS_PREFIX + "."
        self.fail(path, f"expected an address starting with {json.dumps(prefix)}, got {json.dumps(address)}")

    def plan(self, doc: Any) -> Plan:
        """The whole document."""
        if not isinstance(doc, dict):
            self.fail("", f"expected a JSON object at the top level, got {_describe(doc)}")
        self.reconcile_version(doc)
        version = self.field(doc, "format_version", str, "")
        if version != FORMAT_VERSION:
            self.fail(
                "format_version",
                f"unsupported version {json.dumps(version)}; this version of modelarts-reconcile "
                f"reads {json.dumps(FORMAT_VERSION)}",
            )
        summary = self.field(doc, "summary", dict, "")
        for key in ("add", "change", "destroy", "no_op", "pending", "errors"):
            self.field(summary, key, int, "summary")
        items = self.field(doc, "resource_changes", list, "")
        changes = [self.resource_change(item, f"resource_changes[{i}]") for i, item in enumerate(items)]
        errors = [
            self.error(item, f"errors[{i}]") for i, item in enumerate(self.field(doc, "errors", list, ""))
        ]
        metadata = self.metadata(self.field(doc, "metadata", dict, ""), "metadata")
        listed = self.typed(summary.get("listed"), (int, type(None)), "summary.listed")
        unmanaged = [
            self.unmanaged(item, f"unmanaged[{i}]")
            for i, item in enumerate(self.typed(doc.get("unmanaged", []), list, "unmanaged"))
        ]
        return Plan(
            resource_changes=changes, errors=errors, metadata=metadata, unmanaged=unmanaged, listed=listed
        )

    def unmanaged(self, item: Any, path: str) -> Unmanaged:
        """One entry of `unmanaged`."""
        obj = self.typed(item, dict, path)
        optional = (str, type(None))
        return Unmanaged(
            notebook_id=self.field(obj, "notebook_id", str, path),
            name=self.field(obj, "name", optional, path),
            status=self.field(obj, "status", optional, path),
            workspace_id=self.field(obj, "workspace_id", optional, path),
            ignored=self.field(obj, "ignored", optional, path),
        )

    def resource_change(self, item: Any, path: str) -> ResourceChange:
        """One entry of `resource_changes`."""
        obj = self.typed(item, dict, path)
        name = self.field(obj, "name", str, path)
        if not name:
            self.fail(f"{path}.name", "empty")
        address = self.field(obj, "address", str, path)
        if address not in (f"{ADDRESS_PREFIX}.{name}", f"{LEGACY_ADDRESS_PREFIX}.{name}"):
            self.fail(f"{path}.address", f"{json.dumps(address)} does not match name {json.dumps(name)}")
        if self.field(obj, "mode", str, path) != "managed":
            self.fail(f"{path}.mode", f'expected "managed", got {json.dumps(obj["mode"])}')
        if self.field(obj, "type", str, path) != RESOURCE_TYPE:
            self.fail(f"{path}.type", f"expected {json.dumps(RESOURCE_TYPE)}, got {json.dumps(obj['type'])}")
        change = self.field(obj, "change", dict, path)
        cpath = f"{path}.change"
        raw_actions = self.field(change, "actions", list, cpath)
        actions = tuple(self.enum(a, Action, f"{cpath}.actions[{i}]") for i, a in enumerate(raw_actions))
        if actions not in VALID_ACTIONS:
            self.fail(f"{cpath}.actions", f"not a valid combination of actions: {json.dumps(raw_actions)}")
        before, sensitive = self.values(change, "before", cpath)
        after, also_sensitive = self.values(change, "after", cpath)
        self.field(change, "replace_paths", list, cpath)
        differences = tuple(
            self.difference(d, f"{path}.differences[{i}]")
            for i, d in enumerate(self.field(obj, "differences", list, path))
        )
        # The actions follow from the differences; a plan edited to say otherwise is refused.
        if any(d.forces_replacement for d in differences) and actions in ((Action.NO_OP,), (Action.UPDATE,)):
            self.fail(f"{cpath}.actions", "a difference forces replacement, but the actions do not replace")
        if differences and actions == (Action.NO_OP,):
            self.fail(f"{cpath}.actions", '"no-op" with differences')
        rc = ResourceChange(
            name=name,
            notebook_id=self.field(obj, "notebook_id", (str, type(None)), path),
            actions=actions,
            differences=differences,
            ignored=self.strings(self.field(obj, "ignored", list, path), f"{path}.ignored"),
            health=self.enum(self.field(obj, "health", str, path), Health, f"{path}.health"),
            status=self.field(obj, "status", (str, type(None)), path),
            notes=self.strings(self.field(obj, "notes", list, path), f"{path}.notes"),
            sensitive=tuple(sorted(sensitive | also_sensitive)),
            before=before,
            after=after,
            location=self.location(obj, address, path),
            acknowledged=self.acknowledgements(obj, path),
        )
        return self.decisions(obj, rc, path)

    def acknowledgements(self, obj: Mapping[str, Any], path: str) -> tuple[Acknowledgement, ...]:
        """The optional `acknowledged` of an entry (absent when nothing is acknowledged)."""
        if "acknowledged" not in obj:
            return ()
        out = []
        for i, item in enumerate(self.typed(obj["acknowledged"], list, f"{path}.acknowledged")):
            where = f"{path}.acknowledged[{i}]"
            a = self.typed(item, dict, where)
            out.append(
                Acknowledgement(
                    self.field(a, "path", str, where),
                    self.field(a, "reason", str, where),
                    self.field(a, "owner", str, where),
                    self.field(a, "expires", str, where),
                    self.field(a, "expiring", bool, where),
                )
            )
        return tuple(out)

    def location(self, obj: Mapping[str, Any], address: str, path: str) -> Location | None:
        """The optional `location` of an entry (plans before 0.2 have none)."""
        raw = obj.get("location")
        if raw is None:
            return None
        where = self.typed(raw, dict, f"{path}.location")
        line = self.field(where, "line", (int, type(None)), f"{path}.location")
        if isinstance(line, bool) or (line is not None and line < 1):
            self.fail(f"{path}.location.line", f"expected a line number, got {_describe(line)}")
        name = address.rsplit(".", 1)[-1]
        return Location(self.field(where, "file", str, f"{path}.location"), line, f"notebooks.{name}")

    def values(
        self, change: Mapping[str, Any], key: str, path: str
    ) -> tuple[dict[str, Any] | None, set[str]]:
        """`before` or `after`, and the secret keys its `*_sensitive` companion flags."""
        values = self.field(change, key, (dict, type(None)), path)
        spath = f"{path}.{key}_sensitive"
        sensitive = self.field(change, f"{key}_sensitive", (dict, bool), path)
        if isinstance(sensitive, bool):
            if sensitive:
                self.fail(spath, "expected an object or false, got true")
            return values, set()
        for secret, flag in sensitive.items():
            if flag is not True:
                self.fail(f"{spath}.{secret}", f"expected true, got {_describe(flag)}")
            if values is not None and secret in values:
                self.fail(f"{path}.{key}.{secret}", "a secret field must not have a value in a plan")
        return values, set(sensitive)

    def difference(self, item: Any, path: str) -> Difference:
        """One entry of `differences`."""
        obj = self.typed(item, dict, path)
        for key in ("observed", "desired"):
            if key not in obj:
                self.fail(f"{path}.{key}", "missing")
        method = self.enum(self.field(obj, "action", str, path), ApplyMethod, f"{path}.action")
        forces = self.field(obj, "forces_replacement", bool, path)
        if forces != method.forces_replacement:
            self.fail(
                f"{path}.forces_replacement",
                f"{json.dumps(forces)} contradicts action {json.dumps(method.value)}",
            )
        return Difference(
            path=self.strings(self.field(obj, "path", list, path), f"{path}.path"),
            observed=obj["observed"],
            desired=obj["desired"],
            method=method,
        )

    def reconcile_version(self, doc: Mapping[str, Any]) -> None:
        """Refuse, in one line, a plan whose `reconcile_format_version` major is not ours."""
        ours = int(RECONCILE_FORMAT_VERSION.split(".")[0])
        text = doc.get("reconcile_format_version", "1.0")  # 1.x plans did not say
        major, _, minor = text.partition(".") if isinstance(text, str) else ("", "", "")
        if not (major.isdigit() and minor.isdigit() and major.isascii() and minor.isascii()):
            self.fail("reconcile_format_version", f'expected "MAJOR.MINOR", got {_describe(text)}')
        if int(major) > ours:
            raise PlanFormatError(
                f"{self.source}: plan format {text} is newer than this reconcile reads ({ours}.x); "
                "upgrade reconcile"
            )
        if int(major) < ours:
            raise PlanFormatError(
                f"{self.source}: plan format {text} is older than this reconcile reads ({ours}.x); "
                "make the plan again"
            )

    def metadata(self, obj: Mapping[str, Any], path: str) -> PlanMetadata:
        """The `metadata` block."""
        optional = (str, type(None))
        files = self.field(obj, "spec_files", dict, path)
        digests = [
            SpecDigest(file, self.typed(digest, optional, f"{path}.spec_files.{file}"))
            for file, digest in files.items()
        ]
        seen = []
        for name, record in self.field(obj, "notebooks", dict, path).items():
            where = f"{path}.notebooks.{name}"
            self.typed(record, dict, where)
            seen.append(
                NotebookFingerprint(
                    name,
                    self.field(record, "fingerprint", str, where),
                    self.field(record, "status", optional, where),
                    self.field(record, "update_at", (int, type(None)), where),
                )
            )
        timestamp = self.typed(obj.get("timestamp"), optional, f"{path}.timestamp")
        return PlanMetadata(
            tool_version=self.field(obj, "tool_version", str, path),
            project_id=self.field(obj, "project_id", optional, path),
            endpoint=self.field(obj, "endpoint", optional, path),
            observed=self.field(obj, "observed", optional, path),
            spec_files=digests,
            notebooks=seen,
            timestamp=timestamp,
        )

    def decisions(self, obj: Mapping[str, Any], rc: ResourceChange, path: str) -> ResourceChange:
        """`rc` with the steps and missing create inputs of its entry; the notes the steps give
        are dropped from `notes` (the renderers derive them again)."""
        raw = self.field(obj, "steps", list, path)
        steps = tuple(self.enum(s, Step, f"{path}.steps[{i}]") for i, s in enumerate(raw))
        missing = self.strings(self.field(obj, "create_missing", list, path), f"{path}.create_missing")
        rc = attrs.evolve(rc, steps=steps, create_missing=missing)
        derived = step_notes(rc)
        if derived and rc.notes[len(rc.notes) - len(derived) :] == derived:
            rc = attrs.evolve(rc, notes=rc.notes[: len(rc.notes) - len(derived)])
        return rc

    def error(self, item: Any, path: str) -> PlanError:
        """One entry of `errors`."""
        obj = self.typed(item, dict, path)
        address = self.field(obj, "address", str, path)
        return PlanError(
            name=self.name_from(address, f"{path}.address"),
            message=self.field(obj, "message", str, path),
            notebook_id=self.field(obj, "notebook_id", (str, type(None)), path),
            location=self.location(obj, address, path),
        )


def _describe(value: Any) -> str:
    """`array`, `null`, or a short JSON rendering of a scalar (`string "big"`)."""
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)) or value is None:
        return kind
    text = json.dumps(value, ensure_ascii=False)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def read_plan(text: str | bytes, source: str) -> Plan:
    """Rebuild a Plan from its JSON rendering (what `reconcile show PLAN.json` reads).

    Args:
        text: the JSON document, as text or UTF-8 bytes.
        source: the file name, for error messages.

    Returns:
        A plan that renders, in every format, exactly as the plan that was written.

    Raises:
        PlanFormatError: the input is not UTF-8, not JSON, or not a plan of this format version; the
            one-line message names `source` and the field path.
    """
    reader = _Reader(source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanFormatError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise PlanFormatError(
            f"{source}: invalid plan: key {exc.args[0]!r} written twice in one object"
        ) from None
    except json.JSONDecodeError as exc:
        raise PlanFormatError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except ValueError as exc:
        if is_digit_limit(exc):  # Python's own words advise raising its limit: say what is wrong
            raise PlanFormatError(
                f"{source}: invalid plan: a number with more than {INT_DIGITS_LIMIT} digits"
            ) from None
        raise PlanFormatError(f"{source}: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise PlanFormatError(f"{source}: invalid JSON: nested too deeply") from exc
    return reader.plan(doc)


class _DuplicateKey(ValueError):
    """A key written twice in one JSON object (the last would silently win)."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _reject_constant(name: str) -> NoReturn:
    """Refuse `NaN` and `Infinity`, which Python's parser accepts but JSON does not have."""
    raise ValueError(f"{name} is not a JSON value")
