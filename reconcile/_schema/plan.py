"""`schemas/plan.schema.json`: the JSON plan's schema, a hand-kept template filled from the code.

The structure and the wording are kept here, in the order `reconcile._render.jsonplan` writes the
document; every fact the code defines comes from where the code defines it, so the schema cannot
drift from what is written: the format versions (`_core/plan.py`, `_render/jsonplan.py`), the
resource type and address prefix, the provider, the action lists (`VALID_ACTIONS`), `Health`,
`ApplyMethod` and which of them forces replacement, `Step` (each with its meaning below, checked
complete), the `action_reason` values, the create API's required inputs (`CREATE_REQUIRES`), the
attributes unknown until apply, the managed top-level fields and the secret keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from reconcile._core.plan import (
    ADDRESS_PREFIX,
    FORMAT_VERSION,
    OFFLINE,
    RECONCILE_FORMAT_VERSION,
    RESOURCE_TYPE,
    STEP_METHODS,
    Action,
    ApplyMethod,
    Health,
    Step,
)
from reconcile._planning.decisions import CREATE_REQUIRES
from reconcile._render.common import SENSITIVE_KEYS
from reconcile._render.jsonplan import (
    COMPUTED_KEYS,
    MANAGED_KEYS,
    PROVIDER_KEY,
    PROVIDER_NAME,
    REPLACE_BECAUSE_CANNOT_UPDATE,
    REPLACE_BECAUSE_TAINTED,
    STATE_FORMAT_VERSION,
    TERRAFORM_VERSION,
    VALID_ACTIONS,
)

__all__ = ["plan_schema"]

_MAJOR: Final = RECONCILE_FORMAT_VERSION.split(".")[0]


def _methods(step: Step) -> str:
    """The `ApplyMethod`s whose differences `step` writes, in declaration order (`a or b`)."""
    return " or ".join(m.value for m in ApplyMethod if m in STEP_METHODS[step])


#: What each step does, in `Step` order; steps that share a meaning are listed together. A new
#: `Step` makes the generator fail until its meaning is written here.
_STEP_MEANINGS: Final[tuple[tuple[tuple[Step, ...], str], ...]] = (
    (
        (Step.REFUSE_CREATE_BY_ID,),
        "a create or a replacement of a spec entry identified by id (the new notebook would get a new "
        "id the entry cannot find, so each apply would make one more); apply refuses the change",
    ),
    (
        (Step.AWAIT_SETTLED,),
        "poll until a transitional status settles (STOPPING to STOPPED, the others to RUNNING)",
    ),
    ((Step.AWAIT_DELETION,), "poll until a DELETING notebook is gone"),
    ((Step.DELETE,), "DELETE the notebook and poll until gone"),
    ((Step.CREATE,), "POST a new notebook from change.after (it comes up RUNNING)"),
    ((Step.START_FOR_UPDATE, Step.STOP_FOR_UPDATE), "move the notebook to the status the next update needs"),
    (
        (Step.UPDATE_WHILE_RUNNING,),
        f"PUT the differences applied {_methods(Step.UPDATE_WHILE_RUNNING)} "
        "(name, description, storage_new_size)",
    ),
    (
        (Step.UPDATE_WHILE_STOPPED,),
        f"PUT the differences applied {_methods(Step.UPDATE_WHILE_STOPPED)} (flavor, image_id, endpoints)",
    ),
    (
        (Step.UPDATE_LEASE,),
        f"PATCH the lease with the {_methods(Step.UPDATE_LEASE)} differences, or after a restart the "
        "lease duration the spec states (while RUNNING)",
    ),
    (
        (Step.UPDATE_TAGS,),
        f"create and delete tags through the tags API with the {_methods(Step.UPDATE_TAGS)} "
        "differences, or after a create the tags of change.after (any status; last)",
    ),
    (
        (Step.START_AFTER_UPDATE, Step.STOP_AFTER_UPDATE),
        "put back the status the notebook had (a start keeps auto-stop as it was)",
    ),
    (
        (Step.START, Step.STOP),
        "reach the final status (the spec's; for a replacement with none stated, the old notebook's)",
    ),
    ((Step.RECOVER,), "a failed notebook; apply changes nothing and reports it"),
    ((Step.HOLD,), "an undocumented or absent status; apply changes nothing and reports it"),
)


def _step_description() -> str:
    """`$defs/step`'s description: one sentence per step.

    Raises:
        ValueError: `_STEP_MEANINGS` does not list every `Step` once, in declaration order.
    """
    listed = [step for steps, _ in _STEP_MEANINGS for step in steps]
    if listed != list(Step):
        missing = ", ".join(s.value for s in Step if s not in listed) or "none"
        raise ValueError(f"_STEP_MEANINGS must list every Step once, in Step order (missing: {missing})")
    sentences = (f"{' / '.join(s.value for s in steps)}: {meaning}." for steps, meaning in _STEP_MEANINGS)
    return " ".join(["One step of applying a change.", *sentences])


def _actions(lists: Iterable[tuple[Action, ...]]) -> list[list[str]]:
    """Action lists as JSON, ordered by length, then by `Action` declaration order."""
    order = list(Action)
    return [
        [a.value for a in actions] for actions in sorted(lists, key=lambda a: (len(a), *map(order.index, a)))
    ]


def _words(values: Iterable[str]) -> str:
    """`a, b, c`."""
    return ", ".join(values)


def _one_of_names(names: Iterable[str]) -> dict[str, Any]:
    """An object key that is one of `names` (sorted)."""
    return {"enum": sorted(names)}


def _without_secret_keys() -> dict[str, Any]:
    """A schema refusing an object that has any secret key (`token`)."""
    keys = sorted(SENSITIVE_KEYS)
    if len(keys) == 1:
        return {"not": {"required": keys}}
    return {"not": {"anyOf": [{"required": [k]} for k in keys]}}


def _address(description: str | None = None) -> dict[str, Any]:
    """A plan address: Terraform's `TYPE.NAME`."""
    node: dict[str, Any] = {} if description is None else {"description": description}
    return {**node, "type": "string", "pattern": f"^{re.escape(ADDRESS_PREFIX)}\\.[\\s\\S]+$"}


def _identity_properties(description: str | None = None) -> dict[str, Any]:
    """`address`, `mode`, `type` and `name`: the keys naming a resource in every section."""
    return {
        "address": _address(description),
        "mode": {"const": "managed"},
        "type": {"const": RESOURCE_TYPE},
    }


def plan_schema() -> dict[str, Any]:
    """The schema of the JSON plan `reconcile plan --format json` writes."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        # Names the major version: every minor of it is additive, and the schema reads them all.
        "$id": f"urn:modelarts-reconcile:schema:plan:{_MAJOR}.0",
        "title": "modelarts-reconcile JSON plan",
        "description": (
            "The output of `reconcile plan --format json`: the shape of `terraform show -json` (format "
            f"{FORMAT_VERSION}) for {RESOURCE_TYPE} resources, plus modelarts-reconcile's additions "
            "(reconcile_format_version, metadata, differences, ignored, health, status, notes, steps, "
            "create_missing, summary, errors, unmanaged); the address is Terraform's TYPE.NAME. Secret "
            f"values never appear: a notebook's {_words(sorted(SENSITIVE_KEYS))} is only flagged in "
            "before_sensitive/after_sensitive."
        ),
        "type": "object",
        "required": [
            "format_version",
            "terraform_version",
            "reconcile_format_version",
            "metadata",
            "planned_values",
            "resource_drift",
            "resource_changes",
            "prior_state",
            "configuration",
            "applyable",
            "complete",
            "errored",
            "summary",
            "errors",
            "unmanaged",
        ],
        "additionalProperties": False,
        "properties": _top_level_properties(),
        "$defs": _definitions(),
    }


def _top_level_properties() -> dict[str, Any]:
    """The document's keys."""
    return {
        "format_version": {
            "description": (
                "Terraform's JSON plan format version whose shape this follows; readers refuse other "
                "versions."
            ),
            "const": FORMAT_VERSION,
        },
        "reconcile_format_version": {
            "description": (
                "Version (MAJOR.MINOR) of modelarts-reconcile's additions. A reader reads every minor "
                "version of its own major and refuses other majors. 2.0 added metadata, steps and "
                "create_missing, and the difference actions update-while-stopped and tags-update; 2.1 "
                "added unmanaged, summary.unmanaged and summary.listed (a 2.0 document reads as one "
                "without a listing)."
            ),
            "type": "string",
            "pattern": f"^{_MAJOR}\\.[0-9]+$",
        },
        "metadata": {"$ref": "#/$defs/metadata"},
        "resource_changes": {
            "description": "One entry per spec notebook that could be observed, sorted by address.",
            "type": "array",
            "items": {"$ref": "#/$defs/resource_change"},
        },
        "terraform_version": {
            "description": (
                "A compatibility string, not a Terraform run: the Terraform version whose `terraform "
                "show -json` shape this document follows. Tools check it (terraform-compliance by "
                "prefix; checkov only opens a JSON file that has one)."
            ),
            "const": TERRAFORM_VERSION,
        },
        "planned_values": {
            "description": (
                "Terraform's planned values: every notebook that will exist after apply, with its values "
                "(`after` without the attributes unknown until apply)."
            ),
            "type": "object",
            "required": ["root_module"],
            "additionalProperties": False,
            "properties": {"root_module": {"$ref": "#/$defs/state_module"}},
        },
        "resource_drift": {
            "description": (
                "The drift as Terraform reports changes made outside it: `before` is the desired view of "
                "the notebook (the spec plays Terraform's recorded state), `after` the observed notebook; "
                'actions ["update"], or ["delete"] for a notebook the spec names by id that no longer '
                "exists."
            ),
            "type": "array",
            "items": {"$ref": "#/$defs/drift"},
        },
        "prior_state": {
            "description": "Terraform's refreshed prior state: every observed notebook as it is now.",
            "type": "object",
            "required": ["format_version", "terraform_version", "values"],
            "additionalProperties": False,
            "properties": {
                "format_version": {"const": STATE_FORMAT_VERSION},
                "terraform_version": {"const": TERRAFORM_VERSION},
                "values": {
                    "type": "object",
                    "required": ["root_module"],
                    "additionalProperties": False,
                    "properties": {"root_module": {"$ref": "#/$defs/state_module"}},
                },
            },
        },
        "configuration": {
            "description": (
                "Terraform's configuration: the provider, and one resource per spec entry (errored ones "
                "too, without expressions) whose expressions are the managed fields of the desired state "
                "as constant values."
            ),
            "type": "object",
            "required": ["provider_config", "root_module"],
            "additionalProperties": False,
            "properties": {
                "provider_config": {
                    "type": "object",
                    "required": [PROVIDER_KEY],
                    "properties": {
                        PROVIDER_KEY: {
                            "type": "object",
                            "required": ["name", "full_name"],
                            "properties": {
                                "name": {"const": PROVIDER_KEY},
                                "full_name": {"const": PROVIDER_NAME},
                            },
                        }
                    },
                },
                "root_module": {
                    "type": "object",
                    "required": ["resources"],
                    "additionalProperties": False,
                    "properties": {
                        "resources": {"type": "array", "items": {"$ref": "#/$defs/config_resource"}}
                    },
                },
            },
        },
        "applyable": {"description": "Something would change and no notebook errored.", "type": "boolean"},
        "complete": {
            "description": "Every spec entry was planned: false when any notebook errored.",
            "type": "boolean",
        },
        "errored": {"description": "A notebook could not be observed (see `errors`).", "type": "boolean"},
        "summary": {"$ref": "#/$defs/summary"},
        "errors": {
            "description": "One entry per spec notebook that could not be observed, sorted by address.",
            "type": "array",
            "items": {"$ref": "#/$defs/error"},
        },
        "unmanaged": {
            "description": (
                "The notebooks of the project's listing that no spec entry manages (DELETED and DELETING "
                "left out), sorted by name and id; empty when no listing was made (summary.listed is "
                "then null)."
            ),
            "type": "array",
            "items": {"$ref": "#/$defs/unmanaged"},
        },
    }


def _definitions() -> dict[str, Any]:
    """`$defs`, in the order they were first written by hand."""
    return {
        "resource_change": _resource_change(),
        "step": {"description": _step_description(), "enum": [s.value for s in Step]},
        "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        "metadata": _metadata(),
        "change": _change(),
        "provider_name": {"const": PROVIDER_NAME},
        "identity": {
            "type": "object",
            "required": ["address", "mode", "type", "name"],
            "properties": {**_identity_properties(), "name": {"type": "string", "minLength": 1}},
        },
        "unknown": {
            "description": (
                "Terraform's after_unknown: the attributes known only after apply "
                f"({_words(sorted(COMPUTED_KEYS))} of a new notebook), each true; they are absent from after."
            ),
            "type": "object",
            "propertyNames": _one_of_names(COMPUTED_KEYS),
            "additionalProperties": {"const": True},
        },
        "state_module": {
            "type": "object",
            "required": ["resources"],
            "additionalProperties": False,
            "properties": {"resources": {"type": "array", "items": {"$ref": "#/$defs/state_resource"}}},
        },
        "state_resource": {
            "description": (
                "A notebook in planned_values or prior_state, as Terraform writes a resource in state."
            ),
            "allOf": [{"$ref": "#/$defs/identity"}],
            "required": ["provider_name", "schema_version", "values", "sensitive_values"],
            "unevaluatedProperties": False,
            "properties": {
                "provider_name": {"$ref": "#/$defs/provider_name"},
                "schema_version": {"const": 0},
                "values": {"type": "object", **_without_secret_keys()},
                "sensitive_values": {"type": "object", "additionalProperties": {"const": True}},
            },
        },
        "config_resource": {
            "allOf": [{"$ref": "#/$defs/identity"}],
            "required": ["provider_config_key", "schema_version", "expressions"],
            "unevaluatedProperties": False,
            "properties": {
                "provider_config_key": {"const": PROVIDER_KEY},
                "schema_version": {"const": 0},
                "expressions": {
                    "description": (
                        "The managed top-level fields of the desired state (the field catalogue's)."
                    ),
                    "type": "object",
                    **_without_secret_keys(),
                    "propertyNames": _one_of_names(MANAGED_KEYS),
                    "additionalProperties": {
                        "type": "object",
                        "required": ["constant_value"],
                        "additionalProperties": False,
                        "properties": {"constant_value": {}},
                    },
                },
            },
        },
        "drift": _drift(),
        "object_without_secrets": {"oneOf": [{"type": "null"}, {"type": "object", **_without_secret_keys()}]},
        "sensitive": {
            "description": (
                "Terraform's *_sensitive: false when there is no object; otherwise the secret top-level "
                f"fields the notebook has ({_words(sorted(SENSITIVE_KEYS))}), each true. Their values are "
                "never in the plan."
            ),
            "oneOf": [{"const": False}, {"type": "object", "additionalProperties": {"const": True}}],
        },
        "path": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "difference": _difference(),
        "summary": _summary(),
        "unmanaged": _unmanaged(),
        "count": {"type": "integer", "minimum": 0},
        "error": {
            "type": "object",
            "required": ["address", "message", "notebook_id", "location"],
            "additionalProperties": False,
            "properties": {
                "address": _address(),
                "message": {"type": "string"},
                "notebook_id": {"type": ["string", "null"]},
                "location": {"$ref": "#/$defs/location"},
            },
        },
        "location": _location(),
    }


def _resource_change() -> dict[str, Any]:
    """`$defs/resource_change`: Terraform's keys and ours; `action_reason` exactly on replacements."""
    replacements = [a for a in VALID_ACTIONS if Action.CREATE in a and Action.DELETE in a]
    return {
        "type": "object",
        "required": [
            "address",
            "mode",
            "type",
            "name",
            "provider_name",
            "notebook_id",
            "location",
            "change",
            "differences",
            "ignored",
            "health",
            "status",
            "notes",
            "steps",
            "create_missing",
        ],
        "additionalProperties": False,
        "properties": {
            **_identity_properties(f"Terraform's TYPE.NAME: {ADDRESS_PREFIX}.<name>"),
            "name": {"description": "The local name in the spec.", "type": "string", "minLength": 1},
            "provider_name": {"$ref": "#/$defs/provider_name"},
            "action_reason": {
                "description": (
                    "Why a notebook is replaced (only on replacements): a field that cannot be updated "
                    "(change.replace_paths is not empty), or a failed notebook (Terraform's tainted object)."
                ),
                "enum": [REPLACE_BECAUSE_CANNOT_UPDATE, REPLACE_BECAUSE_TAINTED],
            },
            "notebook_id": {
                "description": (
                    "The observed notebook's id, or the spec's; null when unknown (a create by name)."
                ),
                "type": ["string", "null"],
            },
            "location": {"$ref": "#/$defs/location"},
            "change": {"$ref": "#/$defs/change"},
            "differences": {
                "description": "Every managed field that drifted, sorted by path.",
                "type": "array",
                "items": {"$ref": "#/$defs/difference"},
            },
            "ignored": {
                "description": "Dotted spec paths left out of the comparison by ignore_changes.",
                "type": "array",
                "items": {"type": "string"},
            },
            "acknowledged": {
                "description": (
                    "Differences a valid drift: waiver acknowledges (plan --waivers), in path order: "
                    "left out of differences, actions and after (their paths are in ignored). Present "
                    "only when there are some."
                ),
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "reason", "owner", "expires", "expiring"],
                    "additionalProperties": False,
                    "properties": {
                        "path": {"description": "The drifted field, a dotted spec path.", "type": "string"},
                        "reason": {
                            "description": "Why the drift is accepted, from the waiver.",
                            "type": "string",
                        },
                        "owner": {"description": "Who answers for the waiver.", "type": "string"},
                        "expires": {
                            "description": "The waiver's last valid day (through its end, UTC).",
                            "type": "string",
                            "format": "date",
                        },
                        "expiring": {
                            "description": "Whether the waiver expires within the policy's warn_days.",
                            "type": "boolean",
                        },
                    },
                },
            },
            "health": {
                "description": "Runtime health, kept apart from drift.",
                "enum": [h.value for h in Health],
            },
            "status": {
                "description": (
                    "The observed status exactly as the service sent it; null when the notebook is missing."
                ),
                "type": ["string", "null"],
            },
            "notes": {
                "description": (
                    "Every sentence shown for the change: what was observed (why missing, pending, "
                    "fail_reason), then how it is applied (derived from steps)."
                ),
                "type": "array",
                "items": {"type": "string"},
            },
            "steps": {
                "description": (
                    "What applying the change takes, in order; empty for a no-op. Apply executes these and "
                    "never parses notes."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/step"},
            },
            "create_missing": {
                "description": (
                    "For a change with a create step: the inputs the create API requires "
                    f"({_words(CREATE_REQUIRES)}) that change.after lacks, as dotted paths. Apply refuses "
                    "such a create before starting."
                ),
                "type": "array",
                "items": {"enum": list(CREATE_REQUIRES)},
            },
        },
        "allOf": [
            {
                "if": {
                    "properties": {"change": {"properties": {"actions": {"enum": _actions(replacements)}}}}
                },
                "then": {"required": ["action_reason"]},
                "else": {"not": {"required": ["action_reason"]}},
            },
            {
                "if": {
                    "properties": {"action_reason": {"const": REPLACE_BECAUSE_CANNOT_UPDATE}},
                    "required": ["action_reason"],
                },
                "then": {"properties": {"change": {"properties": {"replace_paths": {"minItems": 1}}}}},
            },
            {
                "if": {
                    "properties": {"action_reason": {"const": REPLACE_BECAUSE_TAINTED}},
                    "required": ["action_reason"],
                },
                "then": {"properties": {"change": {"properties": {"replace_paths": {"maxItems": 0}}}}},
            },
        ],
    }


def _metadata() -> dict[str, Any]:
    """`$defs/metadata`: where the plan came from."""
    return {
        "description": "Where the plan came from; no wall clock unless asked for (timestamp).",
        "type": "object",
        "required": ["tool_version", "project_id", "endpoint", "observed", "spec_files", "notebooks"],
        "additionalProperties": False,
        "properties": {
            "tool_version": {
                "description": "The modelarts-reconcile version that made the plan.",
                "type": "string",
            },
            "project_id": {"description": "The project observed, when known.", "type": ["string", "null"]},
            "endpoint": {
                "description": (
                    f'The ModelArts endpoint URL observed, "{OFFLINE}" for saved responses, or null when '
                    f"not said."
                ),
                "type": ["string", "null"],
            },
            "observed": {
                "description": "For an offline plan, the --observed path as given.",
                "type": ["string", "null"],
            },
            "spec_files": {
                "description": (
                    "SHA-256 of each spec file, by the name it was given under; null when it could not be "
                    "read again."
                ),
                "type": "object",
                "additionalProperties": {"oneOf": [{"$ref": "#/$defs/digest"}, {"type": "null"}]},
            },
            "notebooks": {
                "description": (
                    "By local name, for every planned notebook (not errors): a fingerprint of the observed "
                    "fields the plan depends on (secrets excluded; sets sorted; the fingerprint of JSON null "
                    "for a missing notebook), the observed status and update_at."
                ),
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["fingerprint", "status", "update_at"],
                    "additionalProperties": False,
                    "properties": {
                        "fingerprint": {"$ref": "#/$defs/digest"},
                        "status": {"type": ["string", "null"]},
                        "update_at": {"type": ["integer", "null"]},
                    },
                },
            },
            "timestamp": {
                "description": (
                    "When the plan was made (RFC 3339, UTC); only when asked for (SOURCE_DATE_EPOCH)."
                ),
                "type": "string",
            },
        },
    }


def _change_object(actions: dict[str, Any], before: str, after: str, **more: Any) -> dict[str, Any]:
    """A Terraform change object: actions, before and after (described), their secret flags, the
    attributes unknown until apply, and `more`; every key required."""
    objects = "#/$defs/object_without_secrets"
    properties = {
        "actions": actions,
        "before": {"description": before, "$ref": objects} if before else {"$ref": objects},
        "after": {"description": after, "$ref": objects} if after else {"$ref": objects},
        "before_sensitive": {"$ref": "#/$defs/sensitive"},
        "after_sensitive": {"$ref": "#/$defs/sensitive"},
        "after_unknown": {"$ref": "#/$defs/unknown"},
        **more,
    }
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def _change() -> dict[str, Any]:
    """`$defs/change`: Terraform's change object, with the paths that force replacement."""
    return _change_object(
        {"description": "Terraform's action list.", "enum": _actions(VALID_ACTIONS)},
        "The observed notebook (null when missing), without secret values.",
        "The desired values merged onto the observed notebook, or the desired values alone for a create.",
        replace_paths={
            "description": "The paths of the differences that force replacement.",
            "type": "array",
            "items": {"$ref": "#/$defs/path"},
        },
    )


def _drift() -> dict[str, Any]:
    """`$defs/drift`: one entry of `resource_drift` (its `before` the desired view, `after` the observed)."""
    return {
        "allOf": [{"$ref": "#/$defs/identity"}],
        "required": ["provider_name", "change"],
        "unevaluatedProperties": False,
        "properties": {
            "provider_name": {"$ref": "#/$defs/provider_name"},
            "change": _change_object({"enum": _actions([(Action.UPDATE,), (Action.DELETE,)])}, "", ""),
        },
    }


def _difference() -> dict[str, Any]:
    """`$defs/difference`: `forces_replacement` exactly for the methods that replace."""
    replacing = [m.value for m in ApplyMethod if m.forces_replacement]
    action = {"const": replacing[0]} if len(replacing) == 1 else {"enum": replacing}
    return {
        "type": "object",
        "required": ["path", "observed", "desired", "action", "forces_replacement"],
        "additionalProperties": False,
        "properties": {
            "path": {"$ref": "#/$defs/path"},
            "observed": {"description": "The live value after normalisation; null when absent."},
            "desired": {"description": "The value the spec asks for, normalised."},
            "action": {
                "description": "How the API would apply the change.",
                "enum": [m.value for m in ApplyMethod],
            },
            "forces_replacement": {"type": "boolean"},
        },
        "if": {"properties": {"action": action}},
        "then": {"properties": {"forces_replacement": {"const": True}}},
        "else": {"properties": {"forces_replacement": {"const": False}}},
    }


def _summary() -> dict[str, Any]:
    """`$defs/summary`: the counts."""
    return {
        "type": "object",
        "required": ["add", "change", "destroy", "no_op", "pending", "errors", "unmanaged", "listed"],
        "additionalProperties": False,
        "properties": {
            **{
                key: {"$ref": "#/$defs/count"}
                for key in ("add", "change", "destroy", "no_op", "pending", "errors")
            },
            "unmanaged": {
                "description": "Unmanaged notebooks that no ignore rule matches.",
                "$ref": "#/$defs/count",
            },
            "listed": {
                "description": (
                    "How many notebooks the project's listing held (DELETED and DELETING left out); null "
                    "when no listing was made."
                ),
                "type": ["integer", "null"],
                "minimum": 0,
            },
        },
    }


def _unmanaged() -> dict[str, Any]:
    """`$defs/unmanaged`: one entry of `unmanaged`."""
    return {
        "type": "object",
        "required": ["notebook_id", "name", "status", "workspace_id", "ignored"],
        "additionalProperties": False,
        "properties": {
            "notebook_id": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "status": {"type": ["string", "null"]},
            "workspace_id": {"type": ["string", "null"]},
            "ignored": {
                "description": (
                    "The reason of the spec's unmanaged.ignore rule that matches this notebook; null when "
                    "none does (it then counts)."
                ),
                "type": ["string", "null"],
            },
        },
    }


def _location() -> dict[str, Any]:
    """`$defs/location`: where the spec declares an entry."""
    return {
        "description": "Where the spec declares the entry (our extension), or null when unknown.",
        "oneOf": [
            {"type": "null"},
            {
                "type": "object",
                "required": ["file", "line"],
                "additionalProperties": False,
                "properties": {
                    "file": {"description": "The spec file, as given on the command line.", "type": "string"},
                    "line": {
                        "description": "The 1-based line of the entry, when known.",
                        "type": ["integer", "null"],
                        "minimum": 1,
                    },
                },
            },
        ],
    }
