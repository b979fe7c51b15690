"""The JSON Schemas in `schemas/`, generated from the models: `python -m tests.schemagen` rewrites them.

`tests/test_schemagen.py` checks the committed files equal what this module generates, so the
observed model, the spec grammar and their schemas cannot drift apart unnoticed.
"""

# ruff: noqa
from __future__ import annotations

import json
import types
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import attrs
from reconcile._core import model
from reconcile._core.enums import OpenStrEnum, OpenIntEnum
from reconcile._core.secrets import Secret

defs = {}


def doc_for(cls):
    d = (cls.__doc__ or "").strip().split("\n")
    return d[0]


def attr_docs(cls):
    # parse "name: text" lines in Attributes: section
    out = {}
    doc = cls.__doc__ or ""
    if "Attributes:" in doc:
        cur = None
        for line in doc.split("Attributes:")[1].splitlines():
            s = line.strip()
            if not s:
                continue
            if ":" in s and not line.startswith(" " * 12) and s.split(":")[0].isidentifier():
                cur, text = s.split(":", 1)
                out[cur] = text.strip()
            elif cur:
                out[cur] += " " + s
    return out


def schema_for(tp):
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            inner = schema_for(args[0])
            return add_null(inner)
        return {"anyOf": [schema_for(a) for a in args] + [{"type": "null"}]}
    if typing.get_origin(tp) is tuple:
        return {"type": "array", "items": schema_for(typing.get_args(tp)[0])}
    if tp is str:
        return {"type": "string"}
    if tp is int:
        return {"type": "integer"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is float:
        return {"type": "number"}
    if tp is Secret:
        return {"type": "string", "description": "secret: never printed or written by modelarts-reconcile"}
    if isinstance(tp, type) and issubclass(tp, OpenStrEnum):
        return {
            "type": "string",
            "anyOf": [
                {"enum": [m.value for m in tp]},
                {
                    "type": "string",
                    "description": "a value the documentation does not list yet; kept as sent",
                },
            ],
        }
    if isinstance(tp, type) and issubclass(tp, OpenIntEnum):
        return {
            "type": "integer",
            "anyOf": [
                {"enum": [m.value for m in tp]},
                {
                    "type": "integer",
                    "description": "a value the documentation does not list yet; kept as sent",
                },
            ],
        }
    if attrs.has(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = None
            defs[name] = obj_schema(tp)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(tp)


def add_null(s):
    if "$ref" in s:
        return {"anyOf": [s, {"type": "null"}]}
    s = dict(s)
    s["type"] = [s["type"], "null"]
    if "anyOf" in s:
        s["anyOf"] = s["anyOf"] + [{"type": "null"}]
    return s


def obj_schema(cls):
    hints = typing.get_type_hints(cls)
    docs = attr_docs(cls)
    props = {}
    for f in attrs.fields(cls):
        p = schema_for(hints[f.name])
        if f.name in docs:
            p = {"description": docs[f.name], **p}
        props[f.name] = p
    for alias, canon in model.ALIASES.get(cls, {}).items():
        props[alias] = {
            "description": f"second spelling of `{canon}`, read when `{canon}` is absent",
            **{k: v for k, v in props[canon].items() if k != "description"},
        }
    return {"type": "object", "description": doc_for(cls), "properties": props, "additionalProperties": True}


root = obj_schema(model.Notebook)
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://modelarts-reconcile.invalid/schemas/notebook.schema.json",
    "title": "ModelArts notebook details (GET /v1/{project_id}/notebooks/{id})",
    "description": "The response body modelarts-reconcile decodes. Unknown fields, undocumented enum values and nulls are accepted, as the decoder accepts them; known values are listed in each anyOf.",
    **{k: v for k, v in root.items() if k != "description"},
}
schema["$defs"] = dict(sorted(defs.items()))
listdef = obj_schema(model.NotebookList)
listdef["properties"]["data"] = {"type": ["array", "null"], "items": {"$ref": "#"}}
schema["$defs"]["NotebookList"] = listdef
NOTEBOOK_SCHEMA = schema

from reconcile._core.enums import VolumeCategory, VolumeOwnership, DevService, LeaseType, Feature
from reconcile._core.spec import DesiredStatus
from reconcile._core.catalogue import IGNORABLE_PATHS


def ci(values, desc):
    pat = (
        "^("
        + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in v) for v in values)
        + ")$"
    )
    return {
        "description": desc + " Case-insensitive; canonical upper case shown.",
        "type": "string",
        "anyOf": [{"enum": list(values)}, {"pattern": pat}],
    }


DUR = r"^(?=.*\d)\s*((\d+[dD])?(\d+[hH])?(\d+[mM](?![sS]))?(\d+[sS])?(\d+[mM][sS])?|\d+)\s*$"
ipv4 = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(/(3[0-2]|[12]?\d))?"
ipv6 = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/(12[0-8]|1[01]\d|[1-9]?\d))?"
SPEC_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://modelarts-reconcile.invalid/schemas/notebook-spec.schema.json",
    "title": "modelarts-reconcile desired-state spec, version 1",
    "description": "The notebooks a platform team wants, as `reconcile plan` and `reconcile validate` read them. Only what is stated is managed. A few rules only the loader can check: a CIDR with host bits set, a text duration outside 1h..72h, a notebook id or local name used twice across files.",
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
            "description": "Huawei Cloud project id; the --project-id flag or the environment can supply it instead.",
        },
        "notebooks": {
            "type": ["object", "null"],
            "description": "Notebooks by local name; the plan address is huaweicloud_modelarts_notebook.<local name>.",
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
            "additionalProperties": {"$ref": "#/$defs/notebook"},
        },
        "unmanaged": {
            "type": "object",
            "additionalProperties": False,
            "description": "Notebooks that may exist in the project without a spec entry: they are reported as ignored, and never counted as unmanaged.",
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
                                "description": "A glob on the notebook name (fnmatch: *, ?, [...]), case-sensitive.",
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
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": DUR}],
        },
        "cidr": {
            "type": "string",
            "description": "An IP address (1.2.3.4 means 1.2.3.4/32) or a CIDR network.",
            "pattern": f"^\\s*({ipv4}|{ipv6})\\s*$",
        },
        "notebook": {
            "type": "object",
            "additionalProperties": False,
            "description": "The desired state of one notebook. Identity: `id`; or `name` alone (looked up by name). With both, `name` is managed.",
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
                    "description": "Notebook name: the identity without `id`, a managed field with it (a rename is drift).",
                },
                "flavor": {
                    "type": "string",
                    "pattern": "\\S",
                    "description": "Flavor, e.g. modelarts.vm.cpu.8u. A change: stop, update, start.",
                },
                "image": {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "Exactly one of: id | name (+ tag) | swr_path. A change: stop, update, start.",
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
                        "category": ci(
                            [m.value for m in VolumeCategory], "Storage type; a change forces replacement."
                        ),
                        "capacity": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 4096,
                            "description": "GB; grows in place, a shrink forces replacement.",
                        },
                        "ownership": ci(
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
                    "description": "Endpoints the notebook must have. Adding or removing one forces replacement.",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["dev_service"],
                        "properties": {
                            "dev_service": ci([m.value for m in DevService], "NOTEBOOK or SSH."),
                            "allowed_access_ips": {
                                "type": "array",
                                "items": {"$ref": "#/$defs/cidr"},
                                "minItems": 1,
                                "description": "SSH allow-list, compared as a set. A change: stop, update, start. An empty list is refused as ambiguous: omit the field to leave the list unmanaged.",
                            },
                            "ssh_keys": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "SSH key pair names, compared as a set. A change forces replacement.",
                            },
                        },
                        "if": {"properties": {"dev_service": {"not": {"pattern": "^[Ss][Ss][Hh]$"}}}},
                        "then": {
                            "not": {
                                "anyOf": [{"required": ["allowed_access_ips"]}, {"required": ["ssh_keys"]}]
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
                        "type": ci([m.value for m in LeaseType], "TIMING or IDLE."),
                    },
                    "if": {
                        "not": {"properties": {"enable": {"const": False}}, "required": ["enable"]},
                        "properties": {"duration": {"type": "integer"}},
                        "required": ["duration"],
                    },
                    "then": {"properties": {"duration": {"minimum": 3600000, "maximum": 259200000}}},
                },
                "status": ci(
                    [m.value for m in DesiredStatus], "RUNNING or STOPPED: the plan says start or stop."
                ),
                "description": {
                    "type": "string",
                    "description": "Description; updated in place while RUNNING.",
                },
                "feature": ci(
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
                    "description": "Resource tags, compared as a set of key/value pairs: text keys (1 to 128 characters) and text values (up to 255); quote numbers.",
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
                    "description": "Managed paths to leave out of the comparison, like Terraform's lifecycle ignore_changes.",
                    "items": {"enum": sorted(IGNORABLE_PATHS)},
                },
            },
        },
    },
}


def rendered() -> dict[str, str]:
    """The text of each generated schema file, by file name."""
    return {
        "notebook.schema.json": json.dumps(NOTEBOOK_SCHEMA, indent=2) + "\n",
        "notebook-spec.schema.json": json.dumps(SPEC_SCHEMA, indent=2) + "\n",
    }


if __name__ == "__main__":
    for name, text in rendered().items():
        (ROOT / "schemas" / name).write_text(text, encoding="utf-8")
