"""Helpers for apply tests: notebooks with every managed field, planning live against the emulator."""

from __future__ import annotations

import copy
from typing import Any

from reconcile._core.plan import Plan
from reconcile._modelarts.client import ModelArtsClient
from reconcile._observe.live import observe_live
from reconcile._planning.planner import build_plan, targets
from reconcile._specfile.load import spec_from_data

#: A notebook as the service shows it, with every field a spec manages.
BASE: dict[str, Any] = {
    "id": "00000000-0000-0000-0000-000000000001",
    "name": "box",
    "description": "team sandbox",
    "feature": "NOTEBOOK",
    "flavor": "modelarts.vm.cpu.2u",
    "endpoints": [
        {"dev_service": "NOTEBOOK", "uri": "192.168.0.12:8888"},
        {
            "dev_service": "SSH",
            "allowed_access_ips": ["203.0.113.0/24"],
            "ssh_keys": ["ops-key"],
            "uri": "192.168.0.12:22",
        },
    ],
    "image": {"id": "img-1", "name": "notebook2.0", "type": "BUILD_IN"},
    "lease": {
        "create_at": 1764050400000,
        "duration": 7200000,
        "enable": True,
        "type": "TIMING",
        "update_at": 1764050400000,
    },
    "status": "RUNNING",
    "token": "7b22482a-a4cb-4b46-e3b3-6a793a47967e",
    "url": "https://authoring-modelarts.example.com/lab",
    "volume": {
        "capacity": 50,
        "category": "EVS",
        "mount_path": "/home/ma-user/work/",
        "ownership": "MANAGED",
    },
    "workspace_id": "0",
}


def notebook_doc(index: int, status: str = "RUNNING", **fields: Any) -> dict[str, Any]:
    """`BASE` with a distinct id and name (`box-3`), in `status`, with `fields` replaced."""
    doc = copy.deepcopy(BASE)
    doc["id"] = f"00000000-0000-0000-0000-{index + 1:012d}"
    doc["name"] = f"box-{index}"
    doc["status"] = status
    doc.update(fields)
    return doc


def spec_entry(doc: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A spec entry matching `doc` exactly (id, name, flavor, image id, volume, SSH, lease, description)."""
    ssh = next(e for e in doc["endpoints"] if e["dev_service"] == "SSH")
    entry: dict[str, Any] = {
        "id": doc["id"],
        "name": doc["name"],
        "description": doc["description"],
        "flavor": doc["flavor"],
        "image": {"id": doc["image"]["id"]},
        "volume": {"category": "EVS", "capacity": doc["volume"]["capacity"]},
        "endpoints": [
            {
                "dev_service": "SSH",
                "allowed_access_ips": ssh["allowed_access_ips"],
                "ssh_keys": ssh["ssh_keys"],
            }
        ],
        "lease": {
            "enable": doc["lease"]["enable"],
            "duration": doc["lease"]["duration"],
            "type": doc["lease"]["type"],
        },
    }
    entry.update(fields)
    return entry


def spec_data(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A spec document of these entries."""
    return {"version": 1, "notebooks": entries}


def live_plan(data: dict[str, Any], client: ModelArtsClient) -> Plan:
    """The plan of spec `data` against what `client` reads now."""
    spec = spec_from_data(data)
    observations = observe_live(targets(spec), client)
    return build_plan(spec, observations, project_id=client.project_id, endpoint=client.endpoint)
