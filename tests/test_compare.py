"""The comparator (`reconcile.compare`): properties over generated notebooks, and focused cases."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.compare import compare, desired_values, observed_values
from reconcile.convert import decode_notebook
from reconcile.plan import Action, ApplyMethod, Plan
from reconcile.render import FORMATS, render
from reconcile.spec import SpecEntry
from reconcile.specfile import spec_from_data

TOKEN = "5ec2e7-70ke-n000-0000-notebooktoken"

_name = st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)
_ipv4 = st.ip_addresses(v=4).map(str)
_cidr = st.tuples(st.ip_addresses(v=4), st.integers(8, 32)).map(
    lambda t: str(__import__("ipaddress").ip_network(f"{t[0]}/{t[1]}", strict=False))
)
_ip_text = st.one_of(_ipv4, _ipv4.map(lambda a: a + "/32"), _cidr)


@st.composite
def observed_notebooks(draw: st.DrawFn) -> dict[str, Any]:
    """A healthy observed notebook (RUNNING or STOPPED) with every managed field set."""
    image_name = draw(_name)
    tag = draw(_name)
    return {
        "id": str(draw(st.uuids())),
        "name": draw(_name),
        "description": draw(st.text(max_size=30)),
        "feature": draw(st.sampled_from(["NOTEBOOK", "DEFAULT"])),
        "flavor": draw(
            st.sampled_from(["modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u", "modelarts.vm.gpu.v100"])
        ),
        "image": {
            "id": str(draw(st.uuids())),
            "name": image_name,
            "swr_path": f"swr.example.com/org/{image_name}:{tag}",
            **({"tag": tag} if draw(st.booleans()) else {}),
        },
        "volume": {
            "capacity": draw(st.integers(1, 4000)),
            "category": draw(st.sampled_from(["EVS", "SFS", "EFS"])),
            "ownership": draw(st.sampled_from(["MANAGED", "DEDICATED"])),
            "mount_path": "/home/ma-user/work/",
        },
        "endpoints": draw(
            st.permutations(
                [
                    {"dev_service": "NOTEBOOK"},
                    {
                        "dev_service": "SSH",
                        "allowed_access_ips": draw(st.lists(_ip_text, max_size=4)),
                        "ssh_keys": draw(st.lists(_name, max_size=3)),
                    },
                ]
            )
        ),
        "lease": {
            "enable": draw(st.booleans()),
            "duration": draw(st.integers(3_600_000, 250_000_000)),
            "type": draw(st.sampled_from(["TIMING", "IDLE"])),
            "create_at": draw(st.integers(0, 2**41)),
        },
        "status": draw(st.sampled_from(["RUNNING", "STOPPED"])),
        "pool": {"id": draw(_name), "name": draw(_name)},
        "workspace_id": draw(st.sampled_from(["0", "a1b2c3d4e5f60718293a4b5c6d7e8f90"])),
        "token": TOKEN,
        "url": "https://example.com/lab",
    }


def spec_like(observed: dict[str, Any]) -> dict[str, Any]:
    """A spec entry stating every managed field with the observed values (written as a user might)."""
    ssh = next(e for e in observed["endpoints"] if e["dev_service"] == "SSH")
    image = observed["image"]
    return {
        "id": observed["id"],
        "name": observed["name"],
        "description": observed["description"],
        "feature": observed["feature"].lower(),
        "flavor": observed["flavor"],
        "image": {"name": image["name"], "tag": image["swr_path"].rsplit(":", 1)[1]},
        "volume": {k: observed["volume"][k] for k in ("capacity", "category", "ownership", "mount_path")},
        "endpoints": [
            {
                "dev_service": "ssh",
                "allowed_access_ips": list(reversed(ssh["allowed_access_ips"])),
                "ssh_keys": ssh["ssh_keys"] + ssh["ssh_keys"][:1],
            }
        ],
        "lease": {
            "enable": observed["lease"]["enable"],
            "duration": observed["lease"]["duration"],
            "type": observed["lease"]["type"],
        },
        "status": observed["status"],
        "pool": {"id": observed["pool"]["id"]},
        "workspace_id": observed["workspace_id"],
    }


def entry_for(spec_entry: dict[str, Any]) -> SpecEntry:
    (entry,) = spec_from_data({"version": 1, "notebooks": {"nb": spec_entry}}).entries
    return entry


def _other(choices: list[str], current: str) -> str:
    return next(c for c in choices if c != current.upper())


MUTATIONS = {
    "name": lambda s: s.update(name=s["name"] + "-x"),
    "description": lambda s: s.update(description=s["description"] + "!"),
    "flavor": lambda s: s.update(flavor=s["flavor"] + ".x"),
    "image.name": lambda s: s["image"].update(name=s["image"]["name"] + "-x"),
    "image.tag": lambda s: s["image"].update(tag=s["image"]["tag"] + "-x"),
    "volume.capacity": lambda s: s["volume"].update(capacity=s["volume"]["capacity"] + 1),
    "volume.category": lambda s: s["volume"].update(category=_other(["EVS", "SFS"], s["volume"]["category"])),
    "volume.ownership": lambda s: s["volume"].update(
        ownership=_other(["MANAGED", "DEDICATED"], s["volume"]["ownership"])
    ),
    "volume.mount_path": lambda s: s["volume"].update(mount_path="/data/"),
    "endpoints.SSH.allowed_access_ips": lambda s: s["endpoints"][0].update(
        allowed_access_ips=[*s["endpoints"][0]["allowed_access_ips"], "2001:db8::/32"]
    ),
    "endpoints.SSH.ssh_keys": lambda s: s["endpoints"][0].update(
        ssh_keys=[*s["endpoints"][0]["ssh_keys"], "NEW KEY"]
    ),
    "lease.enable": lambda s: s["lease"].update(enable=not s["lease"]["enable"]),
    "lease.duration": lambda s: s["lease"].update(duration=s["lease"]["duration"] + 60_000),
    "lease.type": lambda s: s["lease"].update(type=_other(["TIMING", "IDLE"], s["lease"]["type"])),
    "status": lambda s: s.update(status=_other(["RUNNING", "STOPPED"], s["status"])),
    "feature": lambda s: s.update(feature=_other(["NOTEBOOK", "DEFAULT"], s["feature"])),
    "pool.id": lambda s: s["pool"].update(id=s["pool"]["id"] + "-x"),
    "workspace_id": lambda s: s.update(workspace_id=s["workspace_id"] + "1"),
}


@given(observed_notebooks())
def test_spec_made_from_an_observed_notebook_plans_no_changes(observed: dict[str, Any]) -> None:
    """A spec that states what is observed (reordered, duplicated, lower-cased) plans no-op."""
    rc = compare(entry_for(spec_like(observed)), decode_notebook(observed))
    assert rc.actions == (Action.NO_OP,), rc.differences
    assert rc.differences == ()


@given(observed_notebooks(), st.sampled_from(sorted(MUTATIONS)))
def test_one_changed_field_gives_exactly_one_difference(observed: dict[str, Any], path: str) -> None:
    """Changing any one managed field of a matching spec yields exactly one difference, at that path."""
    spec = spec_like(observed)
    MUTATIONS[path](spec)
    rc = compare(entry_for(spec), decode_notebook(observed))
    assert [d.dotted_path for d in rc.differences] == [path]
    assert rc.actions != (Action.NO_OP,)


@given(observed_notebooks(), st.sampled_from(sorted(MUTATIONS)))
def test_rendering_is_deterministic(observed: dict[str, Any], path: str) -> None:
    """Every format renders byte-identically twice, and never contains the token."""
    spec = spec_like(observed)
    MUTATIONS[path](spec)
    plan = Plan(resource_changes=[compare(entry_for(spec), decode_notebook(copy.deepcopy(observed)))])
    again = Plan(resource_changes=[compare(entry_for(spec), decode_notebook(copy.deepcopy(observed)))])
    for fmt in FORMATS:
        first = render(plan, fmt)
        assert first == render(again, fmt)
        assert TOKEN not in first


def test_volume_grow_is_in_place_and_shrink_replaces() -> None:
    """A larger capacity grows in place; a smaller one forces replacement."""
    observed = {"id": "a", "status": "RUNNING", "volume": {"capacity": 100}}
    grow = compare(entry_for({"id": "a", "volume": {"capacity": 200}}), decode_notebook(observed))
    shrink = compare(entry_for({"id": "a", "volume": {"capacity": 50}}), decode_notebook(observed))
    assert [d.method for d in grow.differences] == [ApplyMethod.GROW] and grow.actions == (Action.UPDATE,)
    assert [d.method for d in shrink.differences] == [ApplyMethod.REPLACE]
    assert shrink.actions == (Action.DELETE, Action.CREATE) and shrink.replace_paths == (
        ("volume", "capacity"),
    )


@pytest.mark.parametrize(
    ("status", "method"), [("RUNNING", ApplyMethod.RESTART), ("STOPPED", ApplyMethod.IN_PLACE)]
)
def test_flavor_change_needs_a_stop_only_when_running(status: str, method: ApplyMethod) -> None:
    """A flavor change on a RUNNING notebook is stop-update-start; on a STOPPED one a plain update."""
    rc = compare(
        entry_for({"id": "a", "flavor": "new"}),
        decode_notebook({"id": "a", "status": status, "flavor": "old"}),
    )
    assert [d.method for d in rc.differences] == [method]


def test_only_stated_fields_are_compared() -> None:
    """A spec with only an id manages nothing: any observed values are no drift."""
    rc = compare(entry_for({"id": "a"}), decode_notebook({"id": "a", "status": "STOPPED", "flavor": "x"}))
    assert rc.actions == (Action.NO_OP,)
    assert desired_values(entry_for({"id": "a"}).notebook) == {}


def test_name_is_identity_without_id_and_managed_with_it() -> None:
    """`name` alone is the identity (not compared); with `id` it is a managed field."""
    assert "name" not in desired_values(entry_for({"name": "n"}).notebook)
    assert desired_values(entry_for({"id": "a", "name": "n"}).notebook) == {"name": "n"}


def test_observed_values_normalise_like_desired() -> None:
    """Observed IPs become canonical CIDR sets and the image tag comes from swr_path."""
    nb = decode_notebook(
        {
            "endpoints": [{"dev_service": "SSH", "allowed_access_ips": ["1.2.3.4", "10.0.0.1/24", "junk"]}],
            "image": {"swr_path": "r/o/i:7"},
        }
    )
    values = observed_values(nb, ["endpoints.SSH.allowed_access_ips", "image.tag", "endpoints.NOTEBOOK"])
    assert values == {
        "endpoints.SSH.allowed_access_ips": ("1.2.3.4/32", "10.0.0.0/24", "junk"),
        "image.tag": "7",
        "endpoints.NOTEBOOK": False,
    }
