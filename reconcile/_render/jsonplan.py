"""The plan as JSON, in the shape of `terraform show -json`, and the reader that rebuilds a Plan from it.

The document is a versioned contract (`format_version`, pinned by `schemas/plan.schema.json`), built
key by key here rather than dumped from the classes, so renaming a field of `reconcile._core.plan` cannot
change it silently::

    {
      "format_version": "1.2",
      "resource_changes": [
        {"address", "mode": "managed", "type", "name", "notebook_id",
         "change": {"actions", "before", "after", "before_sensitive", "after_sensitive",
                    "after_unknown" (creates: {"id": true}), "replace_paths"},
         "differences": [{"path", "observed", "desired", "action", "forces_replacement"}],
         "ignored", "health", "status", "notes"}
      ],
      "summary": {"add", "change", "destroy", "no_op", "pending", "errors"},
      "errors": [{"address", "message", "notebook_id"}]
    }

Secrets: `ResourceChange.sensitive` (the secret fields the observed notebook has, `token`) is
written as Terraform's `before_sensitive`/`after_sensitive` (`{"token": true}`; `false` where there
is no object). Secret values are never written: a secret key found in `before`/`after` anyway is left
out, and a difference under one reads `<redacted>`. Keys of free-form values (`before`, `observed`, ...)
are sorted, so equal plans give identical bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from reconcile._core.errors import PlanFormatError
from reconcile._core.plan import (
    ADDRESS_PREFIX,
    FORMAT_VERSION,
    RESOURCE_TYPE,
    Action,
    ApplyMethod,
    Difference,
    Health,
    Plan,
    PlanError,
    ResourceChange,
)
from reconcile._render.common import redacted, secret_keys, sensitive_fields, without_sensitive

__all__ = ["VALID_ACTIONS", "plan_document", "read_plan", "render"]

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
    """Render a plan as JSON: sorted keys, one line per resource change and per error.

    The outer levels are indented; each resource change is one compact line, which keeps a plan of
    thousands of notebooks diffable line by line and lets the C encoder do the work (an indented
    dump runs the pure-Python encoder, about 5x slower and holding millions of string pieces).

    Raises:
        ValueError: a value in the plan is not representable in JSON (NaN, infinity).
    """
    doc = plan_document(plan)
    lines = [
        "{",
        f'  "format_version": {_dump(doc["format_version"])},',
        f'  "resource_changes": {_lines(doc["resource_changes"])},',
        f'  "summary": {_dump(doc["summary"])},',
        f'  "errors": {_lines(doc["errors"])}',
        "}",
    ]
    return "\n".join(lines) + "\n"


def _dump(value: Any) -> str:
    # Keys sorted at every depth, so equal plans are equal bytes; ASCII only, so any text the
    # service sends (even a lone surrogate) survives every pipe and file.
    return json.dumps(value, sort_keys=True, ensure_ascii=True, allow_nan=False)


def _lines(items: list[Any]) -> str:
    if not items:
        return "[]"
    return "[\n    " + ",\n    ".join(_dump(item) for item in items) + "\n  ]"


def plan_document(plan: Plan) -> dict[str, Any]:
    """The JSON plan as Python data (its values shared with the plan: read, do not modify)."""
    summary = plan.summary
    return {
        "format_version": FORMAT_VERSION,
        "resource_changes": [_resource_change(rc) for rc in plan.resource_changes],
        "summary": {
            "add": summary.add,
            "change": summary.change,
            "destroy": summary.destroy,
            "no_op": summary.no_op,
            "pending": summary.pending,
            "errors": summary.errors,
        },
        "errors": [
            {"address": e.address, "message": e.message, "notebook_id": e.notebook_id} for e in plan.errors
        ],
    }


def _resource_change(rc: ResourceChange) -> dict[str, Any]:
    secrets = secret_keys(rc)
    # Terraform's `*_sensitive`: false without an object, else the secret keys the notebook has.
    flags = dict.fromkeys(sorted(sensitive_fields(rc)), True)
    return {
        "address": rc.address,
        "mode": "managed",
        "type": RESOURCE_TYPE,
        "name": rc.name,
        "notebook_id": rc.notebook_id,
        "change": {
            "actions": [a.value for a in rc.actions],
            "before": None if rc.before is None else without_sensitive(rc.before, secrets),
            "after": None if rc.after is None else without_sensitive(rc.after, secrets),
            "before_sensitive": False if rc.before is None else flags,
            "after_sensitive": False if rc.after is None else flags,
            # Terraform's `after_unknown`: a notebook to create gets its id when it is created.
            **({"after_unknown": {"id": True}} if rc.actions == (Action.CREATE,) else {}),
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
        "notes": list(rc.notes),
    }


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
        """The local name in a `modelarts_notebook.<name>` address."""
        prefix = ADDRESS_PREFIX + "."
        if not address.startswith(prefix) or address == prefix:
            self.fail(
                path, f"expected an address starting with {json.dumps(prefix)}, got {json.dumps(address)}"
            )
        return address[len(prefix) :]

    def plan(self, doc: Any) -> Plan:
        """The whole document."""
        if not isinstance(doc, dict):
            self.fail("", f"expected a JSON object at the top level, got {_describe(doc)}")
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
        return Plan(resource_changes=changes, errors=errors)

    def resource_change(self, item: Any, path: str) -> ResourceChange:
        """One entry of `resource_changes`."""
        obj = self.typed(item, dict, path)
        name = self.field(obj, "name", str, path)
        if not name:
            self.fail(f"{path}.name", "empty")
        address = self.field(obj, "address", str, path)
        if address != f"{ADDRESS_PREFIX}.{name}":
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
        return ResourceChange(
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
        )

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

    def error(self, item: Any, path: str) -> PlanError:
        """One entry of `errors`."""
        obj = self.typed(item, dict, path)
        address = self.field(obj, "address", str, path)
        return PlanError(
            name=self.name_from(address, f"{path}.address"),
            message=self.field(obj, "message", str, path),
            notebook_id=self.field(obj, "notebook_id", (str, type(None)), path),
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
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except ValueError as exc:
        raise PlanFormatError(f"{source}: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise PlanFormatError(f"{source}: invalid JSON: nested too deeply") from exc
    return reader.plan(doc)


def _reject_constant(name: str) -> NoReturn:
    """Refuse `NaN` and `Infinity`, which Python's parser accepts but JSON does not have."""
    raise ValueError(f"{name} is not a JSON value")
