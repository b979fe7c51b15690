"""The comparator (`reconcile._planning.compare`): properties over generated notebooks, and focused cases."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reconcile._codec import decode_notebook
from reconcile._codec.observed import decode_for_plan
from reconcile._core.errors import SpecError
from reconcile._core.plan import Action, ApplyMethod, Plan
from reconcile._core.secrets import REDACTED, SHORT_SECRET, encoded_forms
from reconcile._core.spec import SpecEntry
from reconcile._planning.compare import compare
from reconcile._planning.projection import desired_values, observed_values
from reconcile._render import FORMATS, render
from reconcile._render.common import notes_of
from reconcile._specfile.load import spec_from_data

TOKEN = "5ec2e7-70ke-n000-0000-notebooktoken"

_name = st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)
_ipv4 = st.ip_addresses(v=4).map(str)
_cidr = st.tuples(st.ip_addresses(v=4), st.integers(8, 32)).map(
    lambda t: str(__import__("ipaddress").ip_network(f"{t[0]}/{t[1]}", strict=False))
)
_ip_text = st.one_of(_ipv4, _ipv4.map(lambda a: a + "/32"), _cidr)


@st.composite
def observed_notebooks(draw: st.DrawFn) -> dict[str, Any]:
    """A healthy observed notebook (RUNNING or STOPPED) with every managed field set.

    Fields with a documented default (lease.type, volume.ownership, workspace_id, feature, the SSH
    allow-list) are sometimes left out, and the image tag sometimes sits in `tag` instead of the
    `swr_path`, as the service does.
    """
    image_name = draw(_name)
    tag = draw(_name)
    tag_in_path = draw(st.booleans())
    nb: dict[str, Any] = {
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
            "swr_path": f"swr.example.com/org/{image_name}" + (f":{tag}" if tag_in_path else ""),
            **({"tag": tag} if not tag_in_path or draw(st.booleans()) else {}),
        },
        "volume": {
            "capacity": draw(st.integers(1, 4000)),
            "category": draw(st.sampled_from(["EVS", "SFS", "EFS"])),
            "ownership": draw(st.sampled_from(["MANAGED", "DEDICATED"])),
            "mount_path": draw(st.sampled_from(["/home/ma-user/work/", "/home/ma-user/work", "/data/"])),
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
    for path in draw(st.sets(st.sampled_from(sorted(DEFAULTS)))):
        head, _, rest = path.partition(".")
        if path == "allowed_access_ips":
            next(e for e in nb["endpoints"] if e["dev_service"] == "SSH").pop("allowed_access_ips")
        elif rest:
            nb[head].pop(rest)
        else:
            nb.pop(head)
    return nb


#: Fields the service may leave out, and the value a user would write for them.
DEFAULTS = {
    "lease.type": "TIMING",
    "volume.ownership": "MANAGED",
    "workspace_id": "0",
    "feature": "NOTEBOOK",
    "allowed_access_ips": ["0.0.0.0/0"],
}


def spec_like(observed: dict[str, Any], image_key: str = "name", pool_key: str = "id") -> dict[str, Any]:
    """A spec entry stating every managed field with the observed values (written as a user might)."""
    ssh = next(e for e in observed["endpoints"] if e["dev_service"] == "SSH")
    image = observed["image"]
    full_swr = (
        image["swr_path"]
        if ":" in image["swr_path"].rsplit("/", 1)[-1]
        else f"{image['swr_path']}:{image['tag']}"
    )
    images = {
        "name": {"name": image["name"], "tag": full_swr.rsplit(":", 1)[1]},
        "id": {"id": image["id"]},
        "swr_path": {"swr_path": full_swr},
        "swr_as_sent": {"swr_path": image["swr_path"]},  # exactly what the service sends, tag or not
    }
    volume = observed["volume"]
    return {
        "id": observed["id"],
        "name": observed["name"],
        "description": observed["description"],
        "feature": observed.get("feature", DEFAULTS["feature"]).lower(),
        "flavor": observed["flavor"],
        "image": images[image_key],
        "volume": {
            "capacity": volume["capacity"],
            "category": volume["category"],
            "ownership": volume.get("ownership", DEFAULTS["volume.ownership"]),
            # written with the trailing slash flipped: it must not matter
            "mount_path": volume["mount_path"][:-1]
            if volume["mount_path"].endswith("/")
            else volume["mount_path"] + "/",
        },
        "endpoints": [
            {
                "dev_service": "ssh",
                "allowed_access_ips": list(
                    reversed(ssh.get("allowed_access_ips") or DEFAULTS["allowed_access_ips"])
                ),
                "ssh_keys": ssh["ssh_keys"] + ssh["ssh_keys"][:1],
            }
        ],
        "lease": {
            "enable": observed["lease"]["enable"],
            "duration": observed["lease"]["duration"],
            "type": observed["lease"].get("type", DEFAULTS["lease.type"]),
        },
        "status": observed["status"],
        "pool": {pool_key: observed["pool"][pool_key]},
        "workspace_id": observed.get("workspace_id", DEFAULTS["workspace_id"]),
    }


def entry_for(spec_entry: dict[str, Any]) -> SpecEntry:
    (entry,) = spec_from_data({"version": 1, "notebooks": {"nb": spec_entry}}).entries
    return entry


def _other(choices: list[str], current: str) -> str:
    return next(c for c in choices if c != current.upper())


#: One change per managed path, and the spec style (image key, pool key) it needs.
MUTATIONS: dict[str, tuple[Any, str, str]] = {
    "name": (lambda s: s.update(name=s["name"] + "-x"), "name", "id"),
    "description": (lambda s: s.update(description=s["description"] + "!"), "name", "id"),
    "flavor": (lambda s: s.update(flavor=s["flavor"] + ".x"), "name", "id"),
    "image.id": (lambda s: s["image"].update(id="00000000-0000-4000-8000-000000000000"), "id", "id"),
    "image.name": (lambda s: s["image"].update(name=s["image"]["name"] + "-x"), "name", "id"),
    "image.tag": (lambda s: s["image"].update(tag=s["image"]["tag"] + "-x"), "name", "id"),
    "image.swr_path": (lambda s: s["image"].update(swr_path=s["image"]["swr_path"] + "-x"), "swr_path", "id"),
    "volume.capacity": (lambda s: s["volume"].update(capacity=s["volume"]["capacity"] + 1), "name", "id"),
    "volume.category": (
        lambda s: s["volume"].update(category=_other(["EVS", "SFS"], s["volume"]["category"])),
        "name",
        "id",
    ),
    "volume.ownership": (
        lambda s: s["volume"].update(ownership=_other(["MANAGED", "DEDICATED"], s["volume"]["ownership"])),
        "name",
        "id",
    ),
    "volume.mount_path": (lambda s: s["volume"].update(mount_path="/elsewhere/"), "name", "id"),
    "endpoints.SSH": (lambda s: s.update(endpoints=[{"dev_service": "NOTEBOOK"}]), "name", "id"),
    "endpoints.SSH.allowed_access_ips": (
        lambda s: s["endpoints"][0].update(
            allowed_access_ips=[*s["endpoints"][0]["allowed_access_ips"], "2001:db8::/32"]
        ),
        "name",
        "id",
    ),
    "endpoints.SSH.ssh_keys": (
        lambda s: s["endpoints"][0].update(ssh_keys=[*s["endpoints"][0]["ssh_keys"], "NEW KEY"]),
        "name",
        "id",
    ),
    "lease.enable": (lambda s: s["lease"].update(enable=not s["lease"]["enable"]), "name", "id"),
    "lease.duration": (lambda s: s["lease"].update(duration=s["lease"]["duration"] + 60_000), "name", "id"),
    "lease.type": (
        lambda s: s["lease"].update(type=_other(["TIMING", "IDLE"], s["lease"]["type"])),
        "name",
        "id",
    ),
    "status": (lambda s: s.update(status=_other(["RUNNING", "STOPPED"], s["status"])), "name", "id"),
    "feature": (lambda s: s.update(feature=_other(["NOTEBOOK", "DEFAULT"], s["feature"])), "name", "id"),
    "pool.id": (lambda s: s["pool"].update(id=s["pool"]["id"] + "-x"), "name", "id"),
    "pool.name": (lambda s: s["pool"].update(name=s["pool"]["name"] + "-x"), "name", "name"),
    "workspace_id": (lambda s: s.update(workspace_id=s["workspace_id"] + "1"), "name", "id"),
}


def mutated(observed: dict[str, Any], path: str) -> dict[str, Any]:
    """The matching spec with the one field at `path` changed."""
    change, image_key, pool_key = MUTATIONS[path]
    spec = spec_like(observed, image_key, pool_key)
    change(spec)
    return spec


@given(
    observed_notebooks(),
    st.sampled_from(["name", "id", "swr_path", "swr_as_sent"]),
    st.sampled_from(["id", "name"]),
)
def test_spec_made_from_an_observed_notebook_plans_no_changes(
    observed: dict[str, Any], image_key: str, pool_key: str
) -> None:
    """A spec stating what is observed (reordered, duplicated, lower-cased, defaults spelt out) plans no-op."""
    rc = compare(entry_for(spec_like(observed, image_key, pool_key)), decode_notebook(observed))
    assert rc.actions == (Action.NO_OP,), rc.differences
    assert rc.differences == ()


@given(observed_notebooks(), st.sampled_from(sorted(MUTATIONS)))
def test_one_changed_field_gives_exactly_one_difference(observed: dict[str, Any], path: str) -> None:
    """Changing any one managed field of a matching spec yields exactly one difference, at that path."""
    assume(path != "lease.duration" or observed["lease"]["enable"])  # moot while auto-stop is off
    rc = compare(entry_for(mutated(observed, path)), decode_notebook(observed))
    assert [d.dotted_path for d in rc.differences] == [path]
    assert rc.actions != (Action.NO_OP,)


@given(observed_notebooks(), st.sampled_from(sorted(MUTATIONS)))
def test_rendering_is_deterministic(observed: dict[str, Any], path: str) -> None:
    """Every format renders byte-identically twice, and never contains the token."""
    spec = mutated(observed, path)
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
    ("status", "method"), [("RUNNING", ApplyMethod.RESTART), ("STOPPED", ApplyMethod.STOPPED_UPDATE)]
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


def test_what_an_entry_compares_is_remembered_by_identity_and_bounded() -> None:
    """The same entry compared again reuses what it compares; an equal but distinct entry, or an
    evolved one, works out its own; the memo never holds more than its size."""
    import attrs

    from reconcile._planning import compare as module

    spec = entry_for({"id": "a", "flavor": "f1", "ignore_changes": ["lease"]}).notebook
    first = module._stated(spec)
    assert module._stated(spec) is first
    assert first.paths == ("flavor",) and first.values == ("f1",) and first.ignored == ("lease",)
    twin = entry_for({"id": "a", "flavor": "f1", "ignore_changes": ["lease"]}).notebook
    assert module._stated(twin) is not first and module._stated(twin)[1:5] == first[1:5]
    assert module._stated(attrs.evolve(spec, flavor="f2")).values == ("f2",)
    for i in range(module._STATED_SIZE + 10):
        module._stated(attrs.evolve(spec, flavor=f"f{i}"))
    assert len(module._STATED) <= module._STATED_SIZE
    assert module._stated(spec).values == ("f1",)


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
    values = observed_values(
        nb, dict.fromkeys(["endpoints.SSH.allowed_access_ips", "image.tag", "endpoints.NOTEBOOK"])
    )
    assert values == {
        "endpoints.SSH.allowed_access_ips": ("1.2.3.4/32", "10.0.0.0/24", "junk"),
        "image.tag": "7",
        "endpoints.NOTEBOOK": False,
    }


# -- the token echoed at any depth, in any encoding ----------------------------------------------

RICH = json.loads((Path(__file__).resolve().parent / "data" / "rich-notebook.json").read_text("utf-8"))

#: Where a service may echo the token: top-level and nested text, compared fields and others.
ECHO_PLACES: tuple[tuple[str | int, ...], ...] = (
    ("url",),
    ("fail_reason",),
    ("description",),
    ("name",),
    ("flavor",),
    ("id",),
    ("status",),
    ("endpoints", 0, "uri"),
    ("endpoints", 0, "ssh_keys", 0),
    ("endpoints", 0, "allowed_access_ips", 0),
    ("endpoints", 1, "uri"),
    ("data_volumes", 0, "url"),
    ("action_progress", 0, "step_description"),
    ("action_progress", 1, "description"),
    ("image", "status_message"),
    ("image", "swr_path"),
    ("image", "tags", 0, "value"),
    ("tags", 0, "value"),
    ("tags", 0, "key"),
    ("user", "domain", "name"),
    ("user_vpc", "connect_cidrs"),
    ("affinity", "required_during_scheduling_ignored_during_execution", 0, "values", 1),
    ("pool", "name"),
)

#: A spec that differs from the rich body in every compared place above, so each shows in the plan.
ECHO_SPEC = {
    "id": RICH["id"],
    "name": "wanted-name",
    "description": "wanted",
    "flavor": "modelarts.vm.cpu.2u",
    "image": {"swr_path": "swr.example.com/org/img:1"},
    "endpoints": [{"dev_service": "SSH", "allowed_access_ips": ["10.0.0.0/8"], "ssh_keys": ["k"]}],
    "pool": {"name": "wanted-pool"},
    "status": "STOPPED",
}

_secrets = st.one_of(
    st.uuids().map(str),
    st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    st.text(min_size=1, max_size=16),
)


def _placed(places: list[tuple[str | int, ...]], text: str, token: str) -> dict[str, Any]:
    body = copy.deepcopy(RICH)
    body["token"] = token
    for place in places:
        holder: Any = body
        for step in place[:-1]:
            holder = holder[step]
        holder[place[-1]] = text
    return body


def _outputs(body: dict[str, Any], decode: Any = decode_notebook) -> dict[str, str]:
    plan = Plan(resource_changes=[compare(entry_for(ECHO_SPEC), decode(body))])
    return {**{fmt: render(plan, fmt) for fmt in FORMATS}, "repr": repr(plan)}


def _finder(form: str) -> re.Pattern[str]:
    """How a form is looked for in an output: anywhere, or standing alone when the secret is short."""
    escaped = re.escape(form)
    return re.compile(escaped if len(form) >= SHORT_SECRET else rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)


@given(
    _secrets,
    st.data(),
    st.lists(st.sampled_from(ECHO_PLACES), min_size=1, max_size=3, unique=True),
    st.sampled_from(["", "https://h/lab?token=", "auth failed for token ", "x "]),
    st.sampled_from(["", "&next=%2F", " (expired)", "/"]),
)
def test_token_echoed_anywhere_in_any_encoding_reaches_no_output(
    secret: str, data: st.DataObject, places: list[tuple[str | int, ...]], prefix: str, suffix: str
) -> None:
    """The token echoed in any string of the body, at any depth and in any encoded form, is in no
    format, whether the notebook was decoded alone or as a plan decodes it (which looks for the
    echo in the strings its pass wrote)."""
    decode = data.draw(st.sampled_from([decode_notebook, decode_for_plan]), label="decoder")
    forms = sorted(encoded_forms(secret))
    form = data.draw(st.sampled_from(forms), label="form")
    # Each form also as a JSON or XML document would carry it (the renderers escape what they write).
    shown = {g for f in forms for g in (f, json.dumps(f)[1:-1], json.dumps(f, ensure_ascii=False)[1:-1])}
    finders = [_finder(f) for f in sorted(shown | {html.escape(f) for f in shown})]
    # What the plan says with the echo already redacted must not hold the secret by chance
    # (a one-letter secret is in every plan), or there is nothing to test.
    expected = _outputs(_placed(places, prefix + REDACTED + suffix, secret), decode)
    assume(not any(f.search(text) for f in finders for text in expected.values()))
    outputs = _outputs(_placed(places, prefix + form + suffix, secret), decode)
    for fmt, text in outputs.items():
        found = [f.pattern for f in finders if f.search(text)]
        assert not found, f"{fmt} holds the secret as {found}"
    assert REDACTED in outputs["json"]


@pytest.mark.parametrize("decode", [decode_notebook, decode_for_plan])
def test_a_non_ascii_token_echoed_in_another_letter_case_reaches_no_output(decode: Any) -> None:
    """A token that is not ASCII, echoed upper-cased in a `fail_reason` and an endpoint `uri`, is
    redacted in every format, however the notebook was decoded."""
    token = "tökén-0000-1111-aaaa"
    body = _placed([("fail_reason",)], "auth failed for " + token.upper(), token)
    body["endpoints"][0]["uri"] = "https://h/lab?token=" + "tÖkén-0000-1111-aaaa"
    for fmt, text in _outputs(body, decode).items():
        assert not _finder(token).search(text), f"{fmt} holds the token"
        assert "TÖKÉN" not in text and "tÖkén" not in text, f"{fmt} holds the token"


def test_token_in_a_nested_uri_is_redacted_there_and_nowhere_else() -> None:
    """An endpoint `uri` ending in `?token=...` reads `<redacted>` there; every other value is as sent."""
    token = RICH["token"]
    body = _placed([("endpoints", 1, "uri")], f"https://h/lab?token={token}", token)
    rc = compare(entry_for({"id": RICH["id"], "description": "wanted"}), decode_notebook(body))
    assert rc.before is not None and rc.after is not None
    assert rc.before["endpoints"][1]["uri"] == f"https://h/lab?token={REDACTED}"
    assert rc.after["endpoints"][1]["uri"] == f"https://h/lab?token={REDACTED}"
    clean = compare(entry_for({"id": RICH["id"], "description": "wanted"}), decode_notebook(RICH))
    assert {k: v for k, v in rc.before.items() if k != "endpoints"} == {
        k: v for k, v in (clean.before or {}).items() if k != "endpoints"
    }
    assert rc.sensitive == ("token",)
    assert [d.observed for d in rc.differences] == [RICH["description"]]


def test_a_digest_in_swr_path_is_not_read_as_the_tag() -> None:
    """`serve:1.4.2@sha256:...` has tag 1.4.2; a spec without the digest matches it; a digest-only one has none."""
    digest = "sha256:" + "ab" * 32
    nb = decode_notebook({"id": "a", "image": {"swr_path": f"r.io/o/serve:1.4.2@{digest}"}})
    for image in (
        {"name": "serve", "tag": "1.4.2"},
        {"swr_path": "r.io/o/serve:1.4.2"},
        {"swr_path": "r.io/o/serve"},
    ):
        rc = compare(entry_for({"id": "a", "image": image}), nb)
        assert rc.differences == () or [d.dotted_path for d in rc.differences] == ["image.name"], image
    pinned = compare(
        entry_for({"id": "a", "image": {"swr_path": f"r.io/o/serve:1.4.2@sha256:{'cd' * 32}"}}), nb
    )
    assert [(d.observed, d.desired) for d in pinned.differences] == [
        (f"r.io/o/serve:1.4.2@{digest}", f"r.io/o/serve:1.4.2@sha256:{'cd' * 32}")
    ]
    digest_only = decode_notebook({"id": "a", "image": {"swr_path": f"r.io/o/serve@{digest}"}})
    assert digest_only.image is not None and digest_only.image.effective_tag is None


def test_lease_duration_is_not_compared_while_the_spec_disables_the_lease() -> None:
    """With `lease.enable: false` wanted, a different duration is no drift; the enable flag still is."""
    nb = decode_notebook({"id": "a", "lease": {"enable": True, "duration": 3_600_000}})
    rc = compare(entry_for({"id": "a", "lease": {"enable": False, "duration": "4h"}}), nb)
    assert [d.dotted_path for d in rc.differences] == ["lease.enable"]


def test_an_undocumented_status_plans_no_start_or_stop() -> None:
    """A status the API page does not list leaves the desired status pending, with a note, and no action."""
    rc = compare(
        entry_for({"id": "a", "status": "RUNNING"}), decode_notebook({"id": "a", "status": "HIBERNATING"})
    )
    assert rc.actions == (Action.NO_OP,) and rc.health.value == "unknown"
    assert any("no start or stop is guessed" in note for note in rc.notes)


@pytest.mark.parametrize("status", ["INIT", "CREATING", "STARTING"])
def test_a_notebook_about_to_run_is_updated_as_a_running_one(status: str) -> None:
    """A flavor change on a notebook about to run is stop-update-start, and a note says when it applies."""
    rc = compare(
        entry_for({"id": "a", "flavor": "new"}),
        decode_notebook({"id": "a", "status": status, "flavor": "old"}),
    )
    assert [d.method for d in rc.differences] == [ApplyMethod.RESTART]
    assert (
        f"the notebook is {status} and about to run: once RUNNING it will be stopped, updated and started again"
        in notes_of(rc)
    )


def test_a_failed_notebook_is_recovered_to_the_desired_status_in_after() -> None:
    """`after.status` of a failed notebook is the status the spec wants (RUNNING when it says none)."""
    nb = decode_notebook({"id": "a", "status": "START_FAILED"})
    assert (compare(entry_for({"id": "a", "status": "STOPPED"}), nb).after or {})["status"] == "STOPPED"
    assert (compare(entry_for({"id": "a"}), nb).after or {})["status"] == "RUNNING"


def test_a_create_has_no_id_in_after() -> None:
    """A notebook to create gets a new id: `after` holds none, not the spec's old one."""
    rc = compare(entry_for({"id": "a", "name": "n", "flavor": "f"}), None)
    assert rc.after == {"name": "n", "flavor": "f"} and rc.notebook_id == "a"


def test_ids_compare_case_insensitively() -> None:
    """An image id is a UUID: the spec's upper-case id matches the service's lower-case one."""
    image_id = "e1a07296-22a8-4f05-8bc8-e936c8e54090"
    nb = decode_notebook({"id": "a", "image": {"id": image_id}})
    assert compare(entry_for({"id": "a", "image": {"id": image_id.upper()}}), nb).differences == ()


def test_the_notebook_endpoint_is_there_when_the_body_lists_no_endpoints(example_body: bytes) -> None:
    """The API page's example has no `endpoints`: a spec naming the NOTEBOOK endpoint plans no replace."""
    rc = compare(
        entry_for({"id": "a", "endpoints": [{"dev_service": "NOTEBOOK"}]}), decode_notebook(example_body)
    )
    assert rc.actions == (Action.NO_OP,)
    listed = decode_notebook({"id": "a", "endpoints": [{"dev_service": "SSH"}]})
    rc = compare(entry_for({"id": "a", "endpoints": [{"dev_service": "NOTEBOOK"}]}), listed)
    assert rc.actions == (Action.DELETE, Action.CREATE)


def test_tags_compare_as_a_set_of_pairs_and_update_in_place() -> None:
    """Spec tags match the API's {key, value} list in any order; a changed value is an in-place update."""
    nb = decode_notebook(
        {"id": "a", "status": "RUNNING", "tags": [{"key": "b", "value": "2"}, {"key": "a", "value": "1"}]}
    )
    assert compare(entry_for({"id": "a", "tags": {"a": "1", "b": "2"}}), nb).actions == (Action.NO_OP,)
    rc = compare(entry_for({"id": "a", "tags": {"a": "1"}}), nb)
    assert [(d.dotted_path, d.method) for d in rc.differences] == [("tags", ApplyMethod.TAGS)]
    assert notes_of(rc) == () and (rc.after or {})["tags"] == [{"key": "a", "value": "1"}]
    untagged = decode_notebook({"id": "a"})
    assert compare(entry_for({"id": "a", "tags": {}}), untagged).actions == (Action.NO_OP,)


def test_spec_tags_must_map_text_to_text() -> None:
    """A tag value that is not text is a spec error naming the field."""
    with pytest.raises(SpecError, match=r"notebooks\.nb\.tags\.team: expected a text value, got 7"):
        entry_for({"id": "a", "tags": {"team": 7}})
