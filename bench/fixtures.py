"""Benchmark inputs: response bodies, generated fleets and the specs that describe them.

Everything is deterministic (seeded), so two runs measure the same bytes. The rich notebook is
`tests/data/rich-notebook.json` trimmed to about 1.5 KB of compact JSON (the size of a real
detailed GET body with SSH endpoints, volume, progress, user and tags), and every fleet notebook is
a variation of it.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

__all__ = [
    "AK",
    "EXAMPLE_PATH",
    "PROJECT_ID",
    "RICH_PATH",
    "ROOT",
    "SK",
    "Fleet",
    "compact",
    "drift_in_observed_shape",
    "drifted_spec",
    "example_body",
    "make_fleet",
    "matching_spec",
    "rich_body",
    "rich_document",
    "write_list_response",
    "write_spec",
]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PATH = ROOT / "tests" / "data" / "show-notebook-example.json"
RICH_PATH = ROOT / "tests" / "data" / "rich-notebook.json"

PROJECT_ID = "0123456789abcdef0123456789abcdef"
AK = "AKBENCHEXAMPLE000000"
SK = "SKbenchexampleSECRET00000000000000000000"

# Top-level and nested fields of rich-notebook.json left out to bring it to about 1.5 KB.
_DROP_TOP = (
    "affinity",
    "user_vpc",
    "custom_spec",
    "data_volumes",
    "some_future_field",
    "run_user",
    "billing_items",
    "fail_reason",
    "is_need_credentials",
    "jupyter_version",
)
_DROP_IMAGE = (
    "tags",
    "status_message",
    "flavor_type",
    "swr_instance_id",
    "show_name",
    "show_tag",
    "resource_categories",
    "support_res_categories",
    "namespace",
    "description",
    "create_at",
    "update_at",
    "size",
    "visibility",
    "origin",
    "service_type",
    "workspace_id",
    "arch",
    "dev_services",
    "status",
)
_DROP_VOLUME = ("dew_secret_name", "evs_sku_code", "status", "uri", "read_only")


def compact(doc: Any) -> bytes:
    """JSON with no whitespace, as the service sends it."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def example_body() -> bytes:
    """The API page's example response, byte for byte (pretty-printed, 714 bytes)."""
    return EXAMPLE_PATH.read_bytes()


def rich_document() -> dict[str, Any]:
    """The rich test notebook trimmed to about 1.5 KB: RUNNING, SSH endpoint, EVS volume, lease, pool."""
    doc: dict[str, Any] = json.loads(RICH_PATH.read_bytes())
    for key in _DROP_TOP:
        doc.pop(key, None)
    for key in _DROP_IMAGE:
        doc["image"].pop(key, None)
    for key in _DROP_VOLUME:
        doc["volume"].pop(key, None)
    return doc


def rich_body() -> bytes:
    """`rich_document()` as compact JSON bytes."""
    return compact(rich_document())


def matching_spec(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A spec entry stating every managed field of `doc` with its observed value (no drift).

    Values are written the way people write specs (an address without /32, a duration in hours
    when it is whole hours, image by name and tag), so normalisation is exercised too.
    """
    ssh = next(ep for ep in doc["endpoints"] if ep.get("dev_service") == "SSH")
    lease_ms = doc["lease"]["duration"]
    return {
        "id": doc["id"],
        "name": doc["name"],
        "description": doc["description"],
        "flavor": doc["flavor"],
        "image": {"name": doc["image"]["name"], "tag": doc["image"]["swr_path"].rsplit(":", 1)[1]},
        "volume": {"category": doc["volume"]["category"], "capacity": doc["volume"]["capacity"]},
        "endpoints": [
            {
                "dev_service": "SSH",
                "allowed_access_ips": list(ssh["allowed_access_ips"]),
                "ssh_keys": list(ssh["ssh_keys"]),
            }
        ],
        "lease": {
            "enable": doc["lease"]["enable"],
            "duration": f"{lease_ms // 3_600_000}h" if lease_ms % 3_600_000 == 0 else lease_ms,
        },
        "status": doc["status"],
    }


def drifted_spec(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`matching_spec(doc)` with four differences: flavor, allow-list, capacity and lease."""
    entry = matching_spec(doc)
    entry["flavor"] = "modelarts.vm.gpu.a100"
    entry["endpoints"][0]["allowed_access_ips"] = ["203.0.113.7"]
    entry["volume"]["capacity"] = entry["volume"]["capacity"] * 2
    entry["lease"]["duration"] = "3h"
    return entry


def drift_in_observed_shape(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` with the same four differences as `drifted_spec`, written in the API's shape."""
    out = copy.deepcopy(dict(doc))
    out["flavor"] = "modelarts.vm.gpu.a100"
    for ep in out["endpoints"]:
        if ep.get("dev_service") == "SSH":
            ep["allowed_access_ips"] = ["203.0.113.7"]
    out["volume"]["capacity"] = out["volume"]["capacity"] * 2
    out["lease"]["duration"] = 3 * 3_600_000
    return out


# -- fleets ---------------------------------------------------------------------------------------

_TEAMS = ("vision", "nlp", "speech", "recsys", "ds", "platform", "research", "ops")
_FLAVORS = ("modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u", "modelarts.vm.gpu.v100", "modelarts.vm.gpu.t4")
_NOT_RUNNING = ("STOPPED", "STARTING", "ERROR")


@attrs.frozen
class Fleet:
    """A generated fleet: what the service would return, and the spec that manages it.

    Attributes:
        observed: the notebooks the service returns (some spec entries have none: they are created).
        spec: `{local name: spec entry}`.
        drift: how many entries were given a difference (or a missing notebook), by kind.
    """

    observed: list[dict[str, Any]] = attrs.field(repr=False)
    spec: dict[str, dict[str, Any]] = attrs.field(repr=False)
    drift: dict[str, int]


def make_fleet(count: int, *, seed: int = 20240101, drift: bool = True) -> Fleet:
    """`count` notebooks with varied ids, names, flavors and states, and a spec for each.

    With `drift`, about 1 in 10 entries wants another flavor, 1 in 20 a narrower SSH allow-list,
    1 in 25 more storage, 1 in 50 has no observed notebook (a create), 1 in 50 is looked up by name
    only; about 1 in 20 notebooks is STOPPED, STARTING (pending) or ERROR (failed). Without `drift`
    every spec entry matches its notebook exactly (by id).
    """
    rng = random.Random(seed)
    base = rich_document()
    observed: list[dict[str, Any]] = []
    spec: dict[str, dict[str, Any]] = {}
    counts = {"flavor": 0, "allow_list": 0, "capacity": 0, "missing": 0, "by_name": 0, "not_running": 0}
    for i in range(count):
        doc = copy.deepcopy(base)
        nid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        team = _TEAMS[i % len(_TEAMS)]
        name = f"{team}-{'gpu' if i % 3 else 'cpu'}-{i:05d}"
        doc.update(
            id=nid,
            name=name,
            description=f"{team} notebook {i}",
            flavor=_FLAVORS[rng.randrange(len(_FLAVORS))],
            url=f"https://authoring-modelarts.example.com/{nid}/lab",
            token=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        )
        doc["volume"]["capacity"] = rng.choice((50, 100, 200))
        doc["lease"]["duration"] = rng.choice((1, 2, 4, 8)) * 3_600_000
        entry = matching_spec(doc)
        if drift and i % 20 == 7:
            doc["status"] = _NOT_RUNNING[(i // 20) % len(_NOT_RUNNING)]
            doc["fail_reason"] = "out of capacity" if doc["status"] == "ERROR" else None
            counts["not_running"] += 1
        if drift and i % 10 == 3:
            entry["flavor"] = "modelarts.vm.gpu.a100"
            counts["flavor"] += 1
        if drift and i % 20 == 5:
            entry["endpoints"][0]["allowed_access_ips"] = ["198.51.100.0/24"]
            counts["allow_list"] += 1
        if drift and i % 25 == 11:
            entry["volume"]["capacity"] = doc["volume"]["capacity"] * 2
            counts["capacity"] += 1
        if drift and i % 50 == 13:
            del entry["id"]  # identity by name alone
            counts["by_name"] += 1
        if drift and i % 50 == 29:
            counts["missing"] += 1  # in the spec, not observed: the plan creates it
        else:
            observed.append(doc)
        spec[name] = entry
    return Fleet(observed, spec, counts)


def write_list_response(path: Path, notebooks: list[dict[str, Any]]) -> int:
    """Write one list response (`{current, data, pages, size, total}`) holding every notebook.

    Returns:
        The file size in bytes.
    """
    body = {"current": 0, "data": notebooks, "pages": 1, "size": len(notebooks), "total": len(notebooks)}
    data = compact(body)
    path.write_bytes(data)
    return len(data)


def write_spec(path: Path, notebooks: Mapping[str, Any], project_id: str = PROJECT_ID) -> int:
    """Write a spec file (YAML or JSON by extension) for `notebooks`; returns its size in bytes.

    YAML is written in block style, as people write specs; JSON is indented.
    """
    document = {"version": 1, "project_id": project_id, "notebooks": dict(notebooks)}
    if path.suffix == ".json":
        text = json.dumps(document, indent=2)
    else:
        text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=120)
    path.write_text(text, encoding="utf-8")
    return path.stat().st_size
