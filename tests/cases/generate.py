"""Writes the inputs of the golden scenarios: `python -m tests.cases.generate`.

Each scenario directory holds `spec.yaml` and `observed/*.json` (inputs, written here) and
`expected-plan.json` / `expected-plan.txt` (outputs, written by `UPDATE_GOLDEN=1 pytest
tests/test_golden.py` and reviewed by hand before they are committed).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ID = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
SWR = "swr.cn-north-4.myhuaweicloud.com/atelier/notebook2.0-mul-kernel-cpu-cp36:3.3.1.B007_V2"

OBSERVED: dict[str, Any] = {
    "id": ID,
    "name": "train-box",
    "description": "team sandbox",
    "feature": "NOTEBOOK",
    "flavor": "modelarts.vm.cpu.8u",
    "endpoints": [
        {"dev_service": "NOTEBOOK", "uri": "192.168.0.12:8888"},
        {
            "dev_service": "SSH",
            "allowed_access_ips": ["203.0.113.0/24", "198.51.100.7/32"],
            "ssh_keys": ["ops-key", "ml-key"],
            "uri": "192.168.0.12:22",
        },
    ],
    "image": {
        "id": "e1a07296-22a8-4f05-8bc8-e936c8e54090",
        "name": "notebook2.0-mul-kernel-cpu-cp36",
        "swr_path": SWR,
        "type": "BUILD_IN",
    },
    "lease": {
        "create_at": 1764050400000,
        "duration": 7200000,
        "enable": True,
        "type": "TIMING",
        "update_at": 1764050400000,
    },
    "pool": {"id": "pool-7f3a2b", "name": "team-pool"},
    "status": "RUNNING",
    "token": "7b22482a-a4cb-4b46-e3b3-6a793a47967e",
    "url": f"https://authoring-modelarts-cnnorth4.huaweicloud.com/{ID}/lab",
    "volume": {
        "capacity": 100,
        "category": "EVS",
        "mount_path": "/home/ma-user/work/",
        "ownership": "MANAGED",
    },
    "workspace_id": "0",
}

SPEC: dict[str, Any] = {
    "id": ID,
    "name": "train-box",
    "description": "team sandbox",
    "feature": "NOTEBOOK",
    "flavor": "modelarts.vm.cpu.8u",
    "image": {"name": "notebook2.0-mul-kernel-cpu-cp36", "tag": "3.3.1.B007_V2"},
    "volume": {
        "category": "EVS",
        "capacity": 100,
        "ownership": "MANAGED",
        "mount_path": "/home/ma-user/work/",
    },
    "endpoints": [
        {
            "dev_service": "SSH",
            "allowed_access_ips": ["203.0.113.0/24", "198.51.100.7/32"],
            "ssh_keys": ["ops-key", "ml-key"],
        }
    ],
    "lease": {"enable": True, "duration": 7200000, "type": "TIMING"},
    "status": "RUNNING",
    "pool": {"id": "pool-7f3a2b"},
    "workspace_id": "0",
}


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        doc = doc.setdefault(key, {})
    doc[last] = value


def scenario(
    name: str,
    *,
    spec: dict[str, Any] | None = None,
    observed: list[dict[str, Any]] | None = None,
    spec_edits: dict[str, Any] | None = None,
    observed_edits: dict[str, Any] | None = None,
    local: str = "train-box",
    raw_files: dict[str, str] | None = None,
) -> None:
    """Write one scenario: the base spec and observation, with edits."""
    s = copy.deepcopy(SPEC) if spec is None else spec
    for path, value in (spec_edits or {}).items():
        _set(s, path, value)
    notebooks = {local: s} if spec is None or "notebooks" not in spec else spec["notebooks"]
    o = [copy.deepcopy(OBSERVED)] if observed is None else observed
    for path, value in (observed_edits or {}).items():
        _set(o[0], path, value)
    folder = HERE / name
    (folder / "observed").mkdir(parents=True, exist_ok=True)
    for old in (folder / "observed").glob("*.json"):
        old.unlink()
    (folder / "spec.yaml").write_text(
        yaml.safe_dump({"version": 1, "notebooks": notebooks}, sort_keys=False), encoding="utf-8"
    )
    for i, body in enumerate(o):
        (folder / "observed" / f"{i:02d}.json").write_text(
            json.dumps(body, indent=2) + "\n", encoding="utf-8"
        )
    for file, text in (raw_files or {}).items():
        (folder / "observed" / file).write_text(text, encoding="utf-8")


def main() -> None:
    scenario("no-drift")
    # each managed field drifting alone (the spec changes, the notebook stays)
    scenario("drift-name", spec_edits={"name": "train-box-2"})
    scenario("drift-description", spec_edits={"description": "GPU-free sandbox"})
    scenario("drift-flavor-running", spec_edits={"flavor": "modelarts.vm.cpu.16u"})
    scenario(
        "drift-flavor-stopped",
        spec_edits={"flavor": "modelarts.vm.cpu.16u", "status": "STOPPED"},
        observed_edits={"status": "STOPPED"},
    )
    scenario("drift-image-id", spec_edits={"image": {"id": "11111111-2222-4333-8444-555555555555"}})
    scenario("drift-image-name", spec_edits={"image": {"name": "pytorch1.8-cuda10.2"}})
    scenario("drift-image-tag", spec_edits={"image.tag": "3.3.2"})
    scenario(
        "drift-image-swr-path", spec_edits={"image": {"swr_path": SWR.replace("3.3.1.B007_V2", "3.3.2")}}
    )
    scenario("drift-volume-grow", spec_edits={"volume.capacity": 200})
    scenario("drift-volume-shrink", spec_edits={"volume.capacity": 50})
    scenario("drift-volume-category", spec_edits={"volume.category": "EFS"})
    scenario("drift-volume-ownership", spec_edits={"volume.ownership": "DEDICATED"})
    scenario("drift-volume-mount-path", spec_edits={"volume.mount_path": "/data"})
    scenario(
        "drift-ssh-ips",
        spec_edits={
            "endpoints": [
                {
                    "dev_service": "SSH",
                    "allowed_access_ips": ["203.0.113.0/24"],
                    "ssh_keys": ["ops-key", "ml-key"],
                }
            ]
        },
    )
    scenario("drift-ssh-keys", spec_edits={"endpoints": [{"dev_service": "SSH", "ssh_keys": ["ops-key"]}]})
    scenario("drift-ssh-endpoint-removed", spec_edits={"endpoints": [{"dev_service": "NOTEBOOK"}]})
    scenario("drift-ssh-endpoint-added", observed_edits={"endpoints": [{"dev_service": "NOTEBOOK"}]})
    scenario("drift-lease-enable", spec_edits={"lease": {"enable": False}})
    scenario("drift-lease-duration", spec_edits={"lease.duration": "4h"})
    scenario("drift-lease-type", spec_edits={"lease.type": "IDLE"})
    scenario("drift-status-stop", spec_edits={"status": "STOPPED"})
    scenario("drift-status-start", observed_edits={"status": "STOPPED"})
    scenario("drift-feature", spec_edits={"feature": "DEFAULT"})
    scenario("drift-pool-id", spec_edits={"pool": {"id": "pool-other"}})
    scenario("drift-pool-name", spec_edits={"pool": {"name": "other-pool"}})
    scenario("drift-workspace", spec_edits={"workspace_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90"})
    # equivalent but differently written values: no drift
    scenario(
        "equivalent-values",
        spec_edits={
            "endpoints": [
                {
                    "dev_service": "ssh",
                    "allowed_access_ips": ["198.51.100.7", "203.0.113.0/24", "198.51.100.7/32"],
                    "ssh_keys": ["ml-key", "ops-key", "ml-key"],
                }
            ],
            "lease": {"enable": True, "duration": "2h", "type": "timing"},
            "volume": {
                "category": "evs",
                "capacity": 100,
                "ownership": "managed",
                "mount_path": "/home/ma-user/work/",
            },
            "status": "running",
        },
        observed_edits={
            "image": {
                "id": "e1a07296-22a8-4f05-8bc8-e936c8e54090",
                "name": "notebook2.0-mul-kernel-cpu-cp36",
                "swr_path": SWR,
            }
        },
    )
    # the service leaves out fields that have documented defaults: stating the default is no drift
    bare = copy.deepcopy(OBSERVED)
    del bare["workspace_id"], bare["feature"], bare["volume"]["ownership"], bare["lease"]["type"]
    bare["endpoints"][1].pop("allowed_access_ips")
    bare["image"] = {
        "id": bare["image"]["id"],
        "name": bare["image"]["name"],
        "swr_path": SWR.rsplit(":", 1)[0],
        "tag": "3.3.1.B007_V2",
    }
    bare["volume"]["mount_path"] = "/home/ma-user/work"
    scenario(
        "observed-defaults-no-drift",
        observed=[bare],
        spec_edits={
            "endpoints": [
                {"dev_service": "SSH", "allowed_access_ips": ["0.0.0.0/0"], "ssh_keys": ["ops-key", "ml-key"]}
            ],
            "image": {"swr_path": SWR},
        },
    )
    # a flavor change while the spec also stops the notebook: no restart, the stop happens anyway
    scenario("flavor-and-stop", spec_edits={"flavor": "modelarts.vm.cpu.16u", "status": "STOPPED"})
    # a description change while the spec also starts the notebook: no "stopped again"
    scenario(
        "description-and-start",
        spec_edits={"description": "now running"},
        observed_edits={"status": "STOPPED"},
    )
    scenario(
        "description-while-stopped",
        spec_edits={"description": "still stopped", "status": "STOPPED"},
        observed_edits={"status": "STOPPED"},
    )
    # a repository named without a tag matches the service's untagged swr_path, whatever its `tag`
    scenario(
        "swr-path-untagged",
        spec_edits={"image": {"swr_path": SWR.rsplit(":", 1)[0]}},
        observed_edits={"image": {"swr_path": SWR.rsplit(":", 1)[0], "tag": "3.3.1.B007_V2"}},
    )
    # a notebook being deleted will be gone: create, not pending
    scenario("deleting", observed_edits={"status": "DELETING"})
    # an absent description is an empty one
    no_description = copy.deepcopy(OBSERVED)
    del no_description["description"]
    scenario("description-empty-vs-absent", observed=[no_description], spec_edits={"description": ""})
    # the token echoed in other fields never reaches the plan
    echoed = copy.deepcopy(OBSERVED)
    echoed.update(
        status="ERROR",
        fail_reason=f"auth failed for token {OBSERVED['token']}",
        url=f"https://authoring.example.com/lab?token={OBSERVED['token']}",
    )
    scenario("token-echoed", observed=[echoed])
    # an SSH endpoint to add carries its keys and allow-list into `after`
    # (drift-ssh-endpoint-added above)
    # only EVS grows in place
    scenario(
        "efs-capacity-grow",
        spec_edits={"volume.category": "EFS", "volume.capacity": 200},
        observed_edits={"volume.category": "EFS"},
    )
    # several changes at once: replacement wins, every path listed
    scenario(
        "replace-and-update",
        spec_edits={"volume.category": "EFS", "flavor": "modelarts.vm.cpu.16u", "description": "rebuilt"},
    )
    # runtime health
    scenario("pending-starting", observed_edits={"status": "STARTING"})
    scenario(
        "pending-with-drift",
        observed_edits={"status": "CREATING"},
        spec_edits={"flavor": "modelarts.vm.cpu.16u"},
    )
    scenario(
        "failed-error",
        observed_edits={"status": "ERROR", "fail_reason": "Insufficient GPU resources in the pool"},
    )
    scenario(
        "failed-without-status-in-spec",
        spec_edits={"status": None},
        observed_edits={"status": "START_FAILED"},
    )
    scenario("unknown-status", observed_edits={"status": "HIBERNATING"})
    # missing notebooks: not in the files, DELETED, and by name
    other = {**copy.deepcopy(OBSERVED), "id": "0e0e0e0e-0000-4000-8000-000000000000", "name": "someone-else"}
    scenario("not-found", observed=[other])
    scenario("deleted", observed_edits={"status": "DELETED"})
    by_name = {k: v for k, v in SPEC.items() if k != "id"}
    scenario("by-name-found", spec=by_name)
    scenario("by-name-not-found", spec={**by_name, "name": "someone-else"})
    # ignore_changes: the drift is there and ignored
    scenario(
        "ignore-changes",
        spec_edits={"ignore_changes": ["lease", "description", "endpoints.SSH.allowed_access_ips"]},
        observed_edits={
            "description": "edited by hand",
            "lease": {"enable": False},
            "endpoints": [
                {"dev_service": "SSH", "allowed_access_ips": ["0.0.0.0/0"], "ssh_keys": ["ops-key", "ml-key"]}
            ],
        },
    )
    # a fleet with one undecodable response: the error is isolated
    fleet_spec = {
        "notebooks": {
            f"box-{i}": {
                "id": f"00000000-0000-4000-8000-00000000000{i}",
                "flavor": "modelarts.vm.cpu.8u",
                "status": "RUNNING",
            }
            for i in range(1, 5)
        }
    }
    fleet_obs = []
    for i in range(1, 5):
        body = copy.deepcopy(OBSERVED)
        body.update(id=f"00000000-0000-4000-8000-00000000000{i}", name=f"box-{i}")
        fleet_obs.append(body)
    fleet_obs[1]["lease"]["duration"] = "two hours"  # undecodable: a string where the API sends a Long
    fleet_obs[2]["flavor"] = "modelarts.vm.cpu.2u"  # drift
    scenario("fleet-one-undecodable", spec=fleet_spec, observed=fleet_obs)
    list_spec = {
        "notebooks": {"a": {"id": "aaaa", "status": "RUNNING"}, "b": {"name": "nb-b", "status": "RUNNING"}}
    }
    scenario(
        "list-response",
        spec=list_spec,
        observed=[
            {
                "current": 0,
                "pages": 1,
                "size": 2,
                "total": 2,
                "data": [
                    {"id": "aaaa", "name": "nb-a", "status": "RUNNING"},
                    {"id": "bbbb", "name": "nb-b", "status": "STOPPED"},
                ],
            }
        ],
    )
    # -- identity and false drift (issue 9, section 2) --
    # a DELETING namesake is passed over like a DELETED one
    going = {**copy.deepcopy(OBSERVED), "id": "0d0d0d0d-0000-4000-8000-000000000000", "status": "DELETING"}
    scenario("by-name-deleting-namesake", spec=by_name, observed=[copy.deepcopy(OBSERVED), going])
    # two DELETED namesakes: the name is free, the plan says create
    gone = [
        {**copy.deepcopy(OBSERVED), "id": f"0d0d0d0d-0000-4000-8000-00000000000{i}", "status": "DELETED"}
        for i in (1, 2)
    ]
    scenario("by-name-two-deleted", spec=by_name, observed=gone)
    # two saved copies of one notebook with different contents: an error by name as by id
    edited = {**copy.deepcopy(OBSERVED), "description": "edited later"}
    scenario("by-name-copies-differ", spec=by_name, observed=[copy.deepcopy(OBSERVED), edited])
    # an image reference with a digest: the tag is before the `@`; a digest-only reference has none
    digest = "sha256:" + "ab" * 32
    digested = copy.deepcopy(OBSERVED)
    digested["image"]["swr_path"] = f"{SWR}@{digest}"
    digest_only = copy.deepcopy(OBSERVED)
    digest_only["image"]["swr_path"] = f"{SWR.rsplit(':', 1)[0]}@{digest}"
    digest_only.update(id="0c0c0c0c-0000-4000-8000-000000000000", name="digest-only")
    scenario(
        "swr-path-digest",
        spec={
            "notebooks": {
                "by-tag": {"id": ID, "image": {"name": OBSERVED["image"]["name"], "tag": "3.3.1.B007_V2"}},
                "by-path": {"name": "train-box-by-path", "image": {"swr_path": SWR}},
                "digest-only": {
                    "id": digest_only["id"],
                    "image": {"name": OBSERVED["image"]["name"], "tag": "3.3.1.B007_V2"},
                },
            }
        },
        observed=[
            digested,
            {
                **copy.deepcopy(digested),
                "id": "0b0b0b0b-0000-4000-8000-000000000000",
                "name": "train-box-by-path",
            },
            digest_only,
        ],
    )
    # lease.duration is moot while the spec disables auto-stop
    scenario(
        "lease-disabled-duration",
        spec_edits={"lease": {"enable": False, "duration": "4h"}},
        observed_edits={"lease.enable": False},
    )
    # notebook and image ids are UUIDs: compared case-insensitively
    scenario(
        "ids-case-insensitive",
        spec_edits={"id": ID.upper(), "image": {"id": OBSERVED["image"]["id"].upper()}},
    )
    # `ssh_keys: []` beside the SDK spelling `key_pair_names`: the non-empty one is read
    both_spellings = copy.deepcopy(OBSERVED)
    both_spellings["endpoints"][1]["ssh_keys"] = []
    both_spellings["endpoints"][1]["key_pair_names"] = ["ops-key", "ml-key"]
    scenario("ssh-keys-empty-beside-key-pair-names", observed=[both_spellings])
    # the API page's own example body has no `endpoints`: its NOTEBOOK endpoint is there
    example = json.loads((HERE.parent / "data" / "show-notebook-example.json").read_text(encoding="utf-8"))
    scenario(
        "notebook-endpoint-without-endpoints",
        spec={
            "notebooks": {"api-example": {"id": example["id"], "endpoints": [{"dev_service": "NOTEBOOK"}]}}
        },
        observed=[example],
    )
    # a STARTING notebook is about to run: a flavor change will need a stop and a start
    scenario(
        "starting-with-drift",
        observed_edits={"status": "STARTING"},
        spec_edits={"flavor": "modelarts.vm.cpu.16u", "description": "starting soon"},
    )
    # tags compare as a set of key/value pairs: reordered is no drift, a changed value updates in place
    scenario(
        "tags-no-drift",
        spec_edits={"tags": {"team": "vision", "cost-center": "cv-42"}},
        observed_edits={
            "tags": [{"key": "team", "value": "vision"}, {"key": "cost-center", "value": "cv-42"}]
        },
    )
    scenario(
        "drift-tags",
        spec_edits={"tags": {"team": "vision", "cost-center": "cv-43"}},
        observed_edits={
            "tags": [{"key": "cost-center", "value": "cv-42"}, {"key": "team", "value": "vision"}]
        },
    )
    # an unreadable file while every entry is found: the plan is made, the file is named (exit 1)
    scenario(
        "unreadable-file-all-found",
        spec={"notebooks": {"a": {"id": ID, "status": "RUNNING"}}},
        raw_files={"broken.json": '{"id": "aaaa", "status": "RUN', "list.json": '{"data": [{"id": "x"}, 7]}'},
    )
    scenario(
        "unreadable-file",
        spec={"notebooks": {"a": {"id": "aaaa", "status": "RUNNING"}}},
        observed=[other],
        raw_files={"broken.json": '{"id": "aaaa", "status": "RUN'},
    )


if __name__ == "__main__":
    main()
