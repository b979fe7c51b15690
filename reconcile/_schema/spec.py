"""`schemas/notebook-spec.schema.json`: the spec grammar, a hand-kept template, vocabularies from code.

The structure and the wording are kept here; the option lists (volume categories, dev services, lease
types, desired statuses, features) and the paths `ignore_changes` accepts come from `reconcile._core`,
so the spec schema cannot fall behind the loader's vocabularies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconcile._core.catalogue import IGNORABLE_PATHS
from reconcile._core.enums import DevService, Feature, LeaseType, VolumeCategory, VolumeOwnership
from reconcile._core.plan import ADDRESS_PREFIX
from reconcile._core.spec import DesiredStatus

__all__ = ["spec_schema"]


def _case_insensitive(values: Iterable[str], description: str) -> dict[str, Any]:
    """A closed vocabulary the loader reads in any letter case: the canonical values, or a pattern."""
    canonical = list(values)
    alternatives = "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in value) for value in canonical
    )
    return {
        "description": description + " Case-insensitive; canonical upper case shown.",
        "type": "string",
        "anyOf": [{"enum": canonical}, {"pattern": f"^({alternatives})$"}],
    }


#: Milliseconds as digits, or text such as 2h, 90m, 1h30m, 500ms (the loader's duration grammar).
_DURATION = r"^(?=.*\d)\s*((\d+[dD])?(\d+[hH])?(\d+[mM](?![sS]))?(\d+[sS])?(\d+[mM][sS])?|\d+)\s*$"
#: An IPv4 address with an optional prefix length; `_IPV6` the same for IPv6 (loosely: the loader checks).
_IPV4 = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(/(3[0-2]|[12]?\d))?"
_IPV6 = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/(12[0-8]|1[01]\d|[1-9]?\d))?"


def spec_schema() -> dict[str, Any]:
    """The schema of a spec file, version 1."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://modelarts-reconcile.invalid/schemas/notebook-spec.schema.json",
        "title": "modelarts-reconcile desired-state spec, version 1",
        "description": (
            "The notebooks a platform team wants, as `reconcile plan` and `reconcile validate` read them. "
            "Only what is stated is managed. A few rules only the loader can check: a CIDR with host bits "
            "set, a text duration outside 1h..72h, a notebook id or local name used twice across files."
        ),
        "type": "object",
        "required": ["version", "notebooks"],
        "additionalProperties": False,
        "patternProperties": {
            "^x-": {"description": "Free for YAML anchors, as in docker-compose files; ignored."}
        },
        "properties": {
            "$schema": {"type": "string", "description": "Editors' schema association (JSON specs)."},
            "version": {"const": 1, "description": "Spec format version; this release reads 1."},
            "project_id": {
                "type": "string",
                "description": (
                    "Huawei Cloud project id; the --project-id flag or the environment can supply it instead."
                ),
            },
            "notebooks": {
                "type": ["object", "null"],
                "description": (
                    f"Notebooks by local name; the plan address is {ADDRESS_PREFIX}.<local name>."
                ),
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
                "additionalProperties": {"$ref": "#/$defs/notebook"},
            },
            "unmanaged": {
                "type": "object",
                "additionalProperties": False,
                "description": (
                    "Notebooks that may exist in the project without a spec entry: they are reported as "
                    "ignored, and never counted as unmanaged."
                ),
                "properties": {
                    "ignore": {
                        "type": ["array", "null"],
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["reason"],
                            "oneOf": [{"required": ["name"]}, {"required": ["id"]}],
                            "properties": {
                                "name": {
                                    "$ref": "#/$defs/text",
                                    "description": (
                                        "A glob on the notebook name (fnmatch: *, ?, [...]), case-sensitive."
                                    ),
                                },
                                "id": {
                                    "$ref": "#/$defs/text",
                                    "description": "A notebook id (letter case does not matter).",
                                },
                                "reason": {
                                    "$ref": "#/$defs/text",
                                    "description": "Why these notebooks may exist unmanaged.",
                                },
                            },
                        },
                    }
                },
            },
        },
        "$defs": {
            "text": {"type": "string", "pattern": "\\S", "description": "Non-blank text."},
            "duration": {
                "description": "Milliseconds, or text such as 2h, 90m, 1h30m.",
                "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": _DURATION}],
            },
            "cidr": {
                "type": "string",
                "description": "An IP address (1.2.3.4 means 1.2.3.4/32) or a CIDR network.",
                "pattern": f"^\\s*({_IPV4}|{_IPV6})\\s*$",
            },
            "notebook": {
                "type": "object",
                "additionalProperties": False,
                "description": (
                    "The desired state of one notebook. Identity: `id`; or `name` alone (looked up by name). "
                    "With both, `name` is managed."
                ),
                "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
                "properties": {
                    "id": {
                        "type": "string",
                        "minLength": 1,
                        "pattern": "\\S",
                        "description": "Notebook id: the identity when given.",
                    },
                    "name": {
                        "type": "string",
                        "pattern": "\\S",
                        "description": (
                            "Notebook name: the identity without `id`, a managed field with it (a rename is "
                            "drift)."
                        ),
                    },
                    "flavor": {
                        "type": "string",
                        "pattern": "\\S",
                        "description": "Flavor, e.g. modelarts.vm.cpu.8u. A change: stop, update, start.",
                    },
                    "image": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": (
                            "Exactly one of: id | name (+ tag) | swr_path. A change: stop, update, start."
                        ),
                        "properties": {
                            "id": {"$ref": "#/$defs/text"},
                            "name": {"$ref": "#/$defs/text"},
                            "tag": {"$ref": "#/$defs/text"},
                            "swr_path": {"$ref": "#/$defs/text"},
                        },
                        "oneOf": [{"required": ["id"]}, {"required": ["name"]}, {"required": ["swr_path"]}],
                        "dependentRequired": {"tag": ["name"]},
                    },
                    "volume": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": "Storage volume.",
                        "properties": {
                            "category": _case_insensitive(
                                [m.value for m in VolumeCategory],
                                "Storage type; a change forces replacement.",
                            ),
                            "capacity": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 4096,
                                "description": "GB; grows in place, a shrink forces replacement.",
                            },
                            "ownership": _case_insensitive(
                                [m.value for m in VolumeOwnership],
                                "MANAGED or DEDICATED; a change forces replacement.",
                            ),
                            "mount_path": {
                                "type": "string",
                                "pattern": "\\S",
                                "description": "Mount path; a change forces replacement.",
                            },
                        },
                    },
                    "endpoints": {
                        "type": "array",
                        "description": (
                            "Endpoints the notebook must have. Adding or removing one forces replacement."
                        ),
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["dev_service"],
                            "properties": {
                                "dev_service": _case_insensitive(
                                    [m.value for m in DevService], "NOTEBOOK or SSH."
                                ),
                                "allowed_access_ips": {
                                    "type": "array",
                                    "items": {"$ref": "#/$defs/cidr"},
                                    "minItems": 1,
                                    "description": (
                                        "SSH allow-list, compared as a set. A change: stop, update, start. "
                                        "An empty list is refused as ambiguous: omit the field to leave the "
                                        "list unmanaged."
                                    ),
                                },
                                "ssh_keys": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": (
                                        "SSH key pair names, compared as a set. A change forces replacement."
                                    ),
                                },
                            },
                            "if": {"properties": {"dev_service": {"not": {"pattern": "^[Ss][Ss][Hh]$"}}}},
                            "then": {
                                "not": {
                                    "anyOf": [
                                        {"required": ["allowed_access_ips"]},
                                        {"required": ["ssh_keys"]},
                                    ]
                                }
                            },
                        },
                    },
                    "lease": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": "Auto-stop, updated through the lease API.",
                        "properties": {
                            "enable": {"type": "boolean"},
                            "duration": {"$ref": "#/$defs/duration"},
                            "type": _case_insensitive([m.value for m in LeaseType], "TIMING or IDLE."),
                        },
                        "if": {
                            "not": {"properties": {"enable": {"const": False}}, "required": ["enable"]},
                            "properties": {"duration": {"type": "integer"}},
                            "required": ["duration"],
                        },
                        "then": {"properties": {"duration": {"minimum": 3600000, "maximum": 259200000}}},
                    },
                    "status": _case_insensitive(
                        [m.value for m in DesiredStatus], "RUNNING or STOPPED: the plan says start or stop."
                    ),
                    "description": {
                        "type": "string",
                        "description": "Description; updated in place while RUNNING.",
                    },
                    "feature": _case_insensitive(
                        [m.value for m in Feature], "DEFAULT or NOTEBOOK; a change forces replacement."
                    ),
                    "pool": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": "Dedicated pool, by id or name; a change forces replacement.",
                        "properties": {"id": {"$ref": "#/$defs/text"}, "name": {"$ref": "#/$defs/text"}},
                        "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
                    },
                    "workspace_id": {
                        "type": "string",
                        "pattern": "\\S",
                        "description": 'Workspace id ("0" is the default); a change forces replacement.',
                    },
                    "tags": {
                        "type": "object",
                        "description": (
                            "Resource tags, compared as a set of key/value pairs: text keys (1 to 128 "
                            "characters) and text values (up to 255); quote numbers."
                        ),
                        "propertyNames": {
                            "minLength": 1,
                            "maxLength": 128,
                            "pattern": "^[\\w .:=+\\-@/]*\\S[\\w .:=+\\-@/]*$",
                        },
                        "additionalProperties": {
                            "type": "string",
                            "maxLength": 255,
                            "pattern": "^[\\w .:=+\\-@/]*$",
                        },
                    },
                    "ignore_changes": {
                        "type": ["array", "null"],
                        "description": (
                            "Managed paths to leave out of the comparison, like Terraform's lifecycle "
                            "ignore_changes."
                        ),
                        "items": {"enum": sorted(IGNORABLE_PATHS)},
                    },
                },
            },
        },
    }
