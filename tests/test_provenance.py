"""Plan metadata (`reconcile._planning.provenance`): notebook fingerprints and spec file digests."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from reconcile._codec import decode_notebook
from reconcile._core.catalogue import CATALOGUE
from reconcile._planning.provenance import (
    FINGERPRINT_ABSENT,
    fingerprint,
    fingerprint_record,
    observed_fields,
    spec_digests,
)
from tests.emulator_fixture import EXAMPLE

TOKEN = "7b22482a-a4cb-4b46-e3b3-6a793a47967e"

BODY: dict[str, Any] = {
    **copy.deepcopy(dict(EXAMPLE)),
    "status": "RUNNING",
    "update_at": 1_700_000_000_000,
    "image": {**EXAMPLE["image"], "tag": "3.3.1.B007_V2"},
    "volume": {
        "capacity": 50,
        "category": "EVS",
        "ownership": "MANAGED",
        "mount_path": "/home/ma-user/work/",
    },
    "lease": {**EXAMPLE["lease"], "type": "TIMING"},
    "pool": {"id": "pool-1", "name": "team-pool"},
    "tags": [{"key": "team", "value": "vision"}, {"key": "cost", "value": "ml"}],
    "endpoints": [
        {"dev_service": "NOTEBOOK", "uri": "192.168.0.12:8888"},
        {
            "dev_service": "SSH",
            "allowed_access_ips": ["203.0.113.0/24", "198.51.100.7/32"],
            "key_pair_names": ["ops-key", "ml-key"],
            "uri": "192.168.0.12:22",
        },
    ],
}


def fp(body: dict[str, Any]) -> str:
    """The fingerprint of a response body, decoded from its JSON bytes as a plan reads it."""
    return fingerprint(decode_notebook(json.dumps(body).encode()))


def _ssh(body: dict[str, Any]) -> dict[str, Any]:
    return next(ep for ep in body["endpoints"] if ep["dev_service"] == "SSH")


#: One edit per catalogue path, as a console edit would change the response body.
EDITS: dict[str, Any] = {
    "name": lambda b: b.update(name="renamed"),
    "description": lambda b: b.update(description="edited"),
    "flavor": lambda b: b.update(flavor="modelarts.vm.cpu.8u"),
    "image.id": lambda b: b["image"].update(id="00000000-0000-0000-0000-000000000000"),
    "image.name": lambda b: b["image"].update(name="other-image"),
    "image.tag": lambda b: b["image"].update(tag="9.9"),
    "image.swr_path": lambda b: b["image"].update(swr_path="swr.example.com/org/other:1"),
    "volume.capacity": lambda b: b["volume"].update(capacity=100),
    "volume.category": lambda b: b["volume"].update(category="SFS"),
    "volume.ownership": lambda b: b["volume"].update(ownership="DEDICATED"),
    "volume.mount_path": lambda b: b["volume"].update(mount_path="/data/"),
    "endpoints.NOTEBOOK": lambda b: b.update(endpoints=[_ssh(b)]),
    "endpoints.NOTEBOOK.allowed_access_ips": lambda b: b["endpoints"][0].update(
        allowed_access_ips=["10.0.0.0/8"]
    ),
    "endpoints.NOTEBOOK.ssh_keys": lambda b: b["endpoints"][0].update(key_pair_names=["k"]),
    "endpoints.SSH": lambda b: b.update(endpoints=[b["endpoints"][0]]),
    "endpoints.SSH.allowed_access_ips": lambda b: _ssh(b).update(allowed_access_ips=["203.0.113.0/24"]),
    "endpoints.SSH.ssh_keys": lambda b: _ssh(b).update(key_pair_names=["ops-key"]),
    "lease.enable": lambda b: b["lease"].update(enable=False),
    "lease.duration": lambda b: b["lease"].update(duration=7_200_000),
    "lease.type": lambda b: b["lease"].update(type="IDLE"),
    "status": lambda b: b.update(status="STOPPED"),
    "feature": lambda b: b.update(feature="DEFAULT"),
    "pool.id": lambda b: b["pool"].update(id="pool-2"),
    "pool.name": lambda b: b["pool"].update(name="other-pool"),
    "workspace_id": lambda b: b.update(workspace_id="f" * 32),
    "tags": lambda b: b.update(tags=[{"key": "team", "value": "other"}]),
}


def test_every_catalogue_path_has_an_edit() -> None:
    """The edits below cover every path a plan can compare, so none escapes the fingerprint."""
    assert set(EDITS) == {rule.path for rule in CATALOGUE}


@pytest.mark.parametrize("path", sorted(EDITS))
def test_changing_a_compared_field_changes_the_fingerprint(path: str) -> None:
    """An edit to any field a plan can compare (a console edit after planning) changes the fingerprint."""
    edited = copy.deepcopy(BODY)
    EDITS[path](edited)
    assert fp(edited) != fp(BODY)


def test_fingerprint_is_deterministic_and_ignores_order_and_noise() -> None:
    """Reordered keys, reordered sets, a new URL, timestamps and the token itself leave it unchanged."""
    reordered = json.loads(json.dumps(BODY, sort_keys=True))
    reordered = dict(reversed(list(reordered.items())))
    reordered["endpoints"] = list(reversed(reordered["endpoints"]))
    _ssh(reordered)["allowed_access_ips"].reverse()
    _ssh(reordered)["key_pair_names"].reverse()
    reordered["tags"].reverse()
    noise = copy.deepcopy(BODY)
    noise.update(url="https://elsewhere/lab", update_at=1, token="another-token-value-0000", create_at=5)
    noise["lease"].update(create_at=1, update_at=2)
    _ssh(noise)["uri"] = "10.0.0.1:2222"
    assert fp(BODY) == fp(copy.deepcopy(BODY)) == fp(reordered) == fp(noise)
    assert fp(BODY).startswith("sha256:") and len(fp(BODY)) == len("sha256:") + 64


def test_fingerprint_never_hashes_the_token() -> None:
    """A token echoed into a compared field is redacted first: the fingerprint is the same whatever the token."""
    one = {**BODY, "token": TOKEN, "description": f"see ?token={TOKEN}"}
    other_token = "0" * 8 + TOKEN[8:]
    two = {**BODY, "token": other_token, "description": f"see ?token={other_token}"}
    assert fp(one) == fp(two)


def test_record_holds_status_and_update_at() -> None:
    """The plan records the fingerprint with the observed status and update_at; a missing notebook has
    the fingerprint of "absent"."""
    record = fingerprint_record("train-box", decode_notebook(json.dumps(BODY).encode()))
    assert (record.name, record.status, record.update_at) == ("train-box", "RUNNING", 1_700_000_000_000)
    assert record.fingerprint == fp(BODY)
    missing = fingerprint_record("gone", None)
    assert (missing.fingerprint, missing.status, missing.update_at) == (FINGERPRINT_ABSENT, None, None)
    assert "sha256:" + hashlib.sha256(b"null").hexdigest() == FINGERPRINT_ABSENT


def test_spec_digests_are_sha256_of_the_bytes_by_name_as_given(tmp_path: Path) -> None:
    """Each spec file's digest is the SHA-256 of its bytes; a name that is no regular file gets None."""
    spec = tmp_path / "fleet.yaml"
    spec.write_bytes(b"version: 1\nnotebooks: {}\n")
    (tmp_path / "dir.yaml").mkdir()
    digests = spec_digests([str(spec), "<data>", str(tmp_path / "dir.yaml")])
    assert [(d.file, d.sha256) for d in digests] == [
        (str(spec), "sha256:" + hashlib.sha256(spec.read_bytes()).hexdigest()),
        ("<data>", None),
        (str(tmp_path / "dir.yaml"), None),
    ]


def test_fingerprint_is_the_sha256_of_the_sorted_compact_json_of_the_fields() -> None:
    """The documented definition, which an apply recomputing it relies on: SHA-256 over the sorted,
    compact, ASCII JSON of the projected fields (the fast path builds the same bytes)."""
    nb = decode_notebook(json.dumps({**BODY, "description": "\u5f00\u53d1 \ud800"}).encode())
    text = json.dumps(observed_fields(nb), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert fingerprint(nb) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
