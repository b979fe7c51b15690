"""The engine judges each distinct shape of notebook once: a notebook's results never depend on which
other notebooks share the run (`desired_key` / `observed_key` keep everything the rules read)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from reconcile._codec import decode_notebook
from reconcile._core.observation import Found
from reconcile._core.report import Finding
from reconcile._planning.planner import build_plan
from reconcile._policy.document import desired_document, desired_key, observed_document, observed_key
from reconcile._policy.engine import evaluate, observed_state
from reconcile._policy.settings import Policy, RuleSetting
from reconcile._specfile.load import spec_from_data

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
DAY = 86_400_000
NOW_MS = int(NOW.timestamp() * 1000)

#: Every setting that makes a rule applicable, so every field the rules read is judged.
POLICY = Policy(
    {
        "MA006": RuleSetting(params={"allowed_image_orgs": ["atelier"]}),
        "MA007": RuleSetting(params={"allowed_flavors": ["modelarts.vm.cpu.2u"]}),
        "MA009": RuleSetting(params={"required_tags": ["owner"]}),
    }
)

IPS = st.sampled_from(
    [["10.0.0.0/24"], ["0.0.0.0/0"], ["10.0.0.0/8", "192.0.2.1"], ["::/0"], ["2001:db8::/48"]]
)
KEYS = st.sampled_from([None, [], ["k1"], ["k1", "k2"]])
FLAVORS = st.sampled_from(["modelarts.vm.cpu.2u", "modelarts.vm.gpu.t4"])
IMAGES = st.sampled_from(
    [
        {"swr_path": "swr.cn-north-4.myhuaweicloud.com/atelier/pt:1"},
        {"swr_path": "swr.cn-north-4.myhuaweicloud.com/other/pt:1"},
        {"name": "pt", "tag": "1"},
        {"id": "img-1"},
    ]
)
TAGS = st.sampled_from([None, {}, {"owner": "a"}, {"owner": "b", "x": "y"}, {"x": "owner"}])


@st.composite
def ssh(draw: st.DrawFn, observed: bool) -> list[dict[str, Any]]:
    eps: list[dict[str, Any]] = []
    for service in draw(st.sampled_from([[], ["SSH"], ["NOTEBOOK", "SSH"], ["SSH", "NOTEBOOK"]])):
        ep: dict[str, Any] = {"dev_service": service}
        if service == "SSH":
            ips = draw(st.one_of(st.none(), IPS)) if observed else draw(IPS)
            if ips is not None:
                ep["allowed_access_ips"] = ips
            keys = draw(KEYS)
            if keys is not None and (keys or observed):
                ep["ssh_keys"] = keys
        eps.append(ep)
    return eps


@st.composite
def notebook(draw: st.DrawFn, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A spec entry and the notebook the service returns for it, from small pools so shapes repeat."""
    nid = f"00000000-0000-4000-8000-{i:012d}"
    entry: dict[str, Any] = {"id": nid, "flavor": draw(FLAVORS), "image": draw(IMAGES)}
    if eps := draw(ssh(False)):
        entry["endpoints"] = eps
    if draw(st.booleans()):
        entry["lease"] = {"enable": draw(st.booleans()), "duration": draw(st.sampled_from(["2h", "10h"]))}
    if draw(st.booleans()):
        entry["volume"] = {"category": "EVS", "capacity": draw(st.sampled_from([50, 2048]))}
    tags = draw(TAGS)
    if tags is not None:
        entry["tags"] = tags
    status = draw(st.sampled_from(["RUNNING", "STOPPED", "ERROR", "CREATE_FAILED"]))
    body: dict[str, Any] = {
        "id": nid,
        "name": f"nb-{i}",
        "flavor": draw(FLAVORS),
        "status": status,
        "fail_reason": draw(st.sampled_from([None, "no quota", "disk full"])),
        "update_at": NOW_MS - draw(st.sampled_from([1, 40, 400])) * DAY,
        "image": {
            "id": "img-1",
            "name": "pt",
            "tag": "1",
            "namespace": draw(st.sampled_from([None, "atelier", "other"])),
        },
        "endpoints": draw(ssh(True)),
        "volume": {"category": "EVS", "capacity": draw(st.sampled_from([50, 2048])), "ownership": "MANAGED"},
        "lease": {"enable": draw(st.booleans()), "duration": draw(st.sampled_from([2, 10])) * 3_600_000},
    }
    observed_tags = draw(TAGS)
    if observed_tags is not None:
        body["tags"] = [{"key": k, "value": v} for k, v in observed_tags.items()]
    return entry, body


def _results(entries: dict[str, dict[str, Any]], bodies: dict[str, dict[str, Any]]) -> list[Finding]:
    spec = spec_from_data({"version": 1, "notebooks": entries})
    observations: dict[str, Any] = {name: Found(body, "<test>") for name, body in bodies.items()}
    observed = observed_state(build_plan(spec, observations), observations)
    return list(evaluate(spec, POLICY, now=NOW, observed=observed).findings)


SPEC_FIELDS = ["flavor", "image", "endpoints", "lease", "volume", "tags"]
BODY_FIELDS = [
    "flavor",
    "status",
    "fail_reason",
    "update_at",
    "image",
    "endpoints",
    "volume",
    "lease",
    "tags",
]


@st.composite
def fleets(draw: st.DrawFn) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """A notebook and variants of it that differ from it in one field of the spec or the body: the
    shapes a key must tell apart (and, for the fields no rule reads, need not)."""
    entry, body = draw(notebook(0))
    fleet = [(entry, body)]
    for i in range(1, draw(st.integers(2, 6))):
        other_entry, other_body = draw(notebook(i))
        e, b = dict(entry, id=other_entry["id"]), dict(body, id=other_body["id"], name=other_body["name"])
        if draw(st.booleans()):
            key = draw(st.sampled_from(SPEC_FIELDS))
            e.pop(key, None)
            if key in other_entry:
                e[key] = other_entry[key]
        else:
            key = draw(st.sampled_from(BODY_FIELDS))
            b.pop(key, None)
            if key in other_body:
                b[key] = other_body[key]
        fleet.append((e, b))
    return fleet


@given(fleets())
def test_a_notebooks_results_do_not_depend_on_the_others_in_the_run(
    fleet: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    """Each notebook judged in a run with others gets exactly the results it gets judged alone."""
    entries = {f"nb-{i}": entry for i, (entry, _) in enumerate(fleet)}
    bodies = {f"nb-{i}": body for i, (_, body) in enumerate(fleet)}
    together = _results(entries, bodies)
    alone = [f for name in entries for f in _results({name: entries[name]}, {name: bodies[name]})]
    assert together == alone


# -- the keys field by field: what a small generated fleet may not happen to vary ------------------

#: What the built-in rules never read (`desired_key`'s and `observed_key`'s documented exclusions).
NOT_READ = {"id", "name", "description", "workspace_id", "feature", "pool", "create_at", "update_at"}


def _other(value: Any) -> Any:
    """A different value of the same kind."""
    if isinstance(value, enum.Enum):
        return next(m for m in type(value) if m != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-other"
    assert isinstance(value, tuple), value
    return (*value, "203.0.113.9/32")


def _variants(obj: Any, document: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, Any]]:
    """`obj` with one field changed, for every field its document shows (`index` is the position)."""
    for key, shown in document.items():
        if key in NOT_READ or key == "index" or not hasattr(obj, key):
            continue  # not read, the position, or worked out from another field (a spec's namespace)
        where = f"{path}{key}"
        value = getattr(obj, key)
        if key == "tags":
            if isinstance(value[0], tuple):  # the spec's (key, value) pairs
                renamed = ((value[0][0] + "-other", value[0][1]), *value[1:])
            else:
                renamed = (attrs.evolve(value[0], key=value[0].key + "-other"), *value[1:])
            yield f"{where}[0].key", attrs.evolve(obj, tags=renamed)
        elif key == "endpoints":
            for inner, changed in _variants(value[0], shown[0], f"{where}[0]."):
                yield inner, attrs.evolve(obj, endpoints=(changed, *value[1:]))
        elif isinstance(shown, Mapping):
            for inner, changed in _variants(value, shown, f"{where}."):
                yield inner, attrs.evolve(obj, **{key: changed})
        else:
            yield where, attrs.evolve(obj, **{key: _other(value)})


def test_the_desired_key_tells_apart_every_field_the_rules_read() -> None:
    """Changing any field of `desired_document` but those no rule reads changes `desired_key`."""
    nb = (
        spec_from_data(
            {
                "version": 1,
                "notebooks": {
                    "full": {
                        "id": "00000000-0000-4000-8000-000000000001",
                        "flavor": "modelarts.vm.cpu.2u",
                        "status": "RUNNING",
                        "image": {"swr_path": "swr.cn-north-4.myhuaweicloud.com/atelier/pt:1"},
                        "volume": {
                            "category": "EVS",
                            "capacity": 50,
                            "ownership": "MANAGED",
                            "mount_path": "/d",
                        },
                        "endpoints": [
                            {"dev_service": "SSH", "allowed_access_ips": ["10.0.0.0/24"], "ssh_keys": ["k"]}
                        ],
                        "lease": {"enable": True, "duration": "2h", "type": "TIMING"},
                        "tags": {"owner": "a"},
                    }
                },
            }
        )
        .entries[0]
        .notebook
    )
    assert nb.image is not None
    nb = attrs.evolve(nb, image=attrs.evolve(nb.image, id="img-1", name="pt", tag="1"))
    changed = dict(_variants(nb, desired_document(nb)))
    assert {
        "flavor",
        "status",
        "image.swr_path",
        "image.tag",
        "volume.capacity",
        "lease.type",
    } <= changed.keys()
    assert "endpoints[0].allowed_access_ips" in changed and "tags[0].key" in changed
    for path, variant in changed.items():
        assert desired_key(variant) != desired_key(nb), path


def test_the_observed_key_tells_apart_every_field_the_rules_read() -> None:
    """Changing any field of `observed_document` but those no rule reads (and the times, which the
    volatile rules read notebook by notebook) changes `observed_key`; so do the spec's services."""
    nb = decode_notebook(
        {
            "id": "00000000-0000-4000-8000-000000000001",
            "flavor": "modelarts.vm.cpu.2u",
            "status": "RUNNING",
            "fail_reason": "none",
            "image": {
                "id": "img-1",
                "name": "pt",
                "tag": "1",
                "swr_path": "swr.x.com/a/pt:1",
                "namespace": "a",
            },
            "volume": {"category": "EVS", "capacity": 50, "ownership": "MANAGED", "mount_path": "/d"},
            "endpoints": [{"dev_service": "SSH", "allowed_access_ips": ["10.0.0.0/24"], "ssh_keys": ["k"]}],
            "lease": {"enable": True, "duration": 7_200_000, "type": "TIMING"},
            "tags": [{"key": "owner", "value": "a"}],
        }
    )
    changed = dict(_variants(nb, observed_document(nb)))
    assert {"flavor", "status", "fail_reason", "image.namespace", "image.tag", "lease.type"} <= changed.keys()
    assert "endpoints[0].ssh_keys" in changed and "tags[0].key" in changed
    for path, variant in changed.items():
        assert observed_key(variant, ("SSH",)) != observed_key(nb, ("SSH",)), path
    assert observed_key(nb, ("SSH",)) != observed_key(nb, ("NOTEBOOK", "SSH"))
