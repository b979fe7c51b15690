"""Tests for `reconcile._render.jsonplan`: the JSON plan, its schema, and reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from jsonschema import Draft202012Validator

import reconcile
from reconcile._core.errors import PlanFormatError, ReconcileError
from reconcile._core.plan import FORMAT_VERSION, RESOURCE_TYPE, ApplyMethod, Health, Plan
from reconcile._render import FORMATS, Format, jsonplan, read_plan, render
from tests import plan_samples as samples

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "plan.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)


def _doc(plan: Plan) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(jsonplan.render(plan))
    return doc


def _errors(doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_schema_is_valid_2020_12() -> None:
    """The plan schema is itself a valid JSON Schema 2020-12 document."""
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_enums_match_the_plan_model() -> None:
    """The schema's health and action vocabularies are exactly those of `reconcile._core.plan`."""
    defs = SCHEMA["$defs"]
    assert defs["resource_change"]["properties"]["health"]["enum"] == [h.value for h in Health]
    assert defs["difference"]["properties"]["action"]["enum"] == [m.value for m in ApplyMethod]
    actions = defs["change"]["properties"]["actions"]["enum"]
    assert {tuple(a) for a in actions} == {tuple(x.value for x in v) for v in jsonplan.VALID_ACTIONS}
    assert SCHEMA["properties"]["format_version"]["const"] == FORMAT_VERSION
    assert defs["resource_change"]["properties"]["type"]["const"] == RESOURCE_TYPE


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_every_sample_validates_against_the_schema(name: str) -> None:
    """The JSON of every sample plan is valid against `schemas/plan.schema.json`."""
    assert _errors(_doc(samples.SAMPLES[name]())) == []


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_round_trip_gives_the_same_plan_and_outputs(name: str) -> None:
    """Reading a JSON plan back gives an equal plan that renders identically in every format."""
    plan = samples.SAMPLES[name]()
    written = render(plan, "json")
    again = read_plan(written, "plan.json")
    assert again == plan
    for fmt in FORMATS:
        assert render(again, fmt) == render(plan, fmt)


def test_update_document_has_terraform_shape_and_our_additions() -> None:
    """A resource change has Terraform's keys plus differences, ignored, health, status, notes, all sorted."""
    doc = _doc(samples.update_restart())
    assert list(doc) == sorted(
        [
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
        ]
    )
    assert doc["format_version"] == "1.2"
    rc = doc["resource_changes"][0]
    assert list(rc) == sorted(
        [
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
        ]
    )
    assert rc["address"] == "huaweicloud_modelarts_notebook.train-box"
    assert rc["mode"] == "managed"
    assert rc["type"] == "huaweicloud_modelarts_notebook"
    change = rc["change"]
    assert list(change) == sorted(
        [
            "actions",
            "before",
            "after",
            "before_sensitive",
            "after_sensitive",
            "after_unknown",
            "replace_paths",
        ]
    )
    assert rc["provider_name"] == "registry.terraform.io/huaweicloud/huaweicloud"
    assert change["after_unknown"] == {}
    assert "action_reason" not in rc
    assert change["actions"] == ["update"]
    assert change["before"]["flavor"] == "modelarts.vm.cpu.2u"
    assert change["after"]["flavor"] == "modelarts.vm.cpu.8u"
    assert change["replace_paths"] == []
    assert "token" not in change["before"]
    assert change["before_sensitive"] == change["after_sensitive"] == {"token": True}
    assert rc["differences"] == [
        {
            "path": ["flavor"],
            "observed": "modelarts.vm.cpu.2u",
            "desired": "modelarts.vm.cpu.8u",
            "action": "stop-update-start",
            "forces_replacement": False,
        }
    ]
    assert doc["summary"] == {
        "add": 0,
        "change": 1,
        "destroy": 0,
        "no_op": 0,
        "pending": 0,
        "errors": 0,
        "unmanaged": 0,
        "listed": None,
    }
    assert doc["errors"] == []
    assert doc["unmanaged"] == []


def test_replace_lists_replace_paths() -> None:
    """A replacement names the paths that force it, as Terraform's `replace_paths`."""
    change = _doc(samples.replace())["resource_changes"][0]["change"]
    assert change["actions"] == ["delete", "create"]
    assert change["replace_paths"] == [["volume", "category"]]


def test_token_is_flagged_sensitive_and_never_written() -> None:
    """A token in the observed notebook shows only as `before_sensitive: {"token": true}`, never its value."""
    rc = samples.update_restart().resource_changes[0]
    before = {**(rc.before or {}), "token": samples.SECRET_VALUE}
    leaky = Plan([attrs.evolve(rc, before=before, after=before)])
    written = jsonplan.render(leaky)
    assert samples.SECRET_VALUE not in written
    change = json.loads(written)["resource_changes"][0]["change"]
    assert "token" not in change["before"]
    assert change["before_sensitive"] == {"token": True}
    assert change["after_sensitive"] == {"token": True}


def test_create_has_null_before_and_false_before_sensitive() -> None:
    """A create has `before: null` and `before_sensitive: false`, as Terraform writes them."""
    change = _doc(samples.create())["resource_changes"][0]["change"]
    assert change["before"] is None
    assert change["before_sensitive"] is False
    assert change["after_sensitive"] == {}


def test_errors_and_summary() -> None:
    """Observation errors are listed with address, message and notebook id, and counted in the summary."""
    doc = _doc(samples.errors())
    assert doc["errors"] == [
        {
            "address": "huaweicloud_modelarts_notebook.bad-body",
            "message": 'notebooks/bad.json: image.size: expected int, got "big"',
            "notebook_id": None,
            "location": None,
        },
        {
            "address": "huaweicloud_modelarts_notebook.gone-box",
            "message": "GET /v1/p/notebooks/x: HTTP 503 Service Unavailable (request id 42)",
            "notebook_id": "x",
            "location": None,
        },
    ]
    assert doc["summary"]["errors"] == 2
    assert _doc(samples.pending())["summary"]["pending"] == 1
    assert _doc(samples.many())["summary"] == {
        "add": 12,
        "change": 6,
        "destroy": 6,
        "no_op": 6,
        "pending": 0,
        "errors": 3,
        "unmanaged": 0,
        "listed": None,
    }
    doc = _doc(samples.unmanaged())
    assert doc["summary"]["unmanaged"] == 2 and doc["summary"]["listed"] == 4
    assert doc["unmanaged"][0] == {
        "notebook_id": "33333333-0000-4000-8000-000000000004",
        "name": None,
        "status": None,
        "workspace_id": "ws-9",
        "ignored": None,
    }


def test_output_format_is_stable() -> None:
    """The JSON is one line ending with one newline, like `terraform show -json`, and does not depend on dict order."""
    written = jsonplan.render(samples.many())
    assert written.endswith("}\n")
    assert written.count("\n") == 1
    assert written.startswith('{"applyable": ')
    written = jsonplan.render(samples.update_restart())
    rc = samples.update_restart().resource_changes[0]
    reordered = dict(reversed(list((rc.before or {}).items())))
    assert jsonplan.render(Plan([attrs.evolve(rc, before=reordered)])) == written


def test_render_registry_picks_formats_and_rejects_unknown() -> None:
    """`render` accepts every name of FORMATS (or a Format) and rejects others with the list of formats."""
    plan = samples.update_restart()
    assert render(plan, Format.JSON) == render(plan, "json") == jsonplan.render(plan)
    assert FORMATS == ("text", "json", "markdown", "junit")
    with pytest.raises(ValueError, match="unknown format 'yaml'; choose one of text, json, markdown, junit"):
        render(plan, "yaml")


def _valid() -> dict[str, Any]:
    return _doc(samples.update_restart())


def _bad(mutate: Any) -> str:
    doc = _valid()
    mutate(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{",
            "plan.json: invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes",
        ),
        ("[]", "plan.json: expected a JSON object at the top level, got array"),
        ('{"format_version": NaN}', "plan.json: invalid JSON: NaN is not a JSON value"),
        (
            _bad(lambda d: d.update(format_version="2.0")),
            'plan.json: format_version: unsupported version "2.0"; '
            'this version of modelarts-reconcile reads "1.2"',
        ),
        (_bad(lambda d: d.pop("format_version")), "plan.json: format_version: missing"),
        (_bad(lambda d: d.pop("summary")), "plan.json: summary: missing"),
        (
            _bad(lambda d: d["summary"].update(add="1")),
            'plan.json: summary.add: expected number, got string "1"',
        ),
        (
            _bad(lambda d: d.update(resource_changes={})),
            "plan.json: resource_changes: expected array, got object",
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["change"].update(actions="update")),
            'plan.json: resource_changes[0].change.actions: expected array, got string "update"',
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["change"].update(actions=["upgrade"])),
            'plan.json: resource_changes[0].change.actions[0]: unknown value "upgrade"; '
            'expected one of "no-op", "create", "update", "delete"',
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["change"].update(actions=["update", "create"])),
            "plan.json: resource_changes[0].change.actions: "
            'not a valid combination of actions: ["update", "create"]',
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["change"].pop("before")),
            "plan.json: resource_changes[0].change.before: missing",
        ),
        (
            _bad(lambda d: d["resource_changes"][0].update(health="sick")),
            'plan.json: resource_changes[0].health: unknown value "sick"; expected one of '
            '"healthy", "pending", "failed", "missing", "unknown"',
        ),
        (
            _bad(lambda d: d["resource_changes"][0].update(address="huaweicloud_modelarts_notebook.other")),
            "plan.json: resource_changes[0].address: "
            '"huaweicloud_modelarts_notebook.other" does not match name "train-box"',
        ),
        (
            _bad(lambda d: d["resource_changes"][0].update(type="aws_instance")),
            "plan.json: resource_changes[0].type: "
            'expected "huaweicloud_modelarts_notebook", got "aws_instance"',
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["differences"][0].update(forces_replacement=True)),
            "plan.json: resource_changes[0].differences[0].forces_replacement: "
            'true contradicts action "stop-update-start"',
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["differences"][0].update(path=["flavor", 3])),
            "plan.json: resource_changes[0].differences[0].path[1]: expected string, got number 3",
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["differences"][0].pop("observed")),
            "plan.json: resource_changes[0].differences[0].observed: missing",
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["change"].update(before_sensitive={"token": False})),
            "plan.json: resource_changes[0].change.before_sensitive.token: expected true, got boolean false",
        ),
        (
            _bad(lambda d: d["resource_changes"][0]["change"]["before"].update(token="abc")),
            "plan.json: resource_changes[0].change.before.token: "
            "a secret field must not have a value in a plan",
        ),
        (
            _bad(lambda d: d["resource_changes"][0].update(notebook_id=False)),
            "plan.json: resource_changes[0].notebook_id: expected string or null, got boolean false",
        ),
        (
            _bad(
                lambda d: d["errors"].append(
                    {"address": "aws_instance.x", "message": "m", "notebook_id": None}
                )
            ),
            'plan.json: errors[0].address: expected an address starting with "huaweicloud_modelarts_notebook.", '
            'got "aws_instance.x"',
        ),
    ],
)
def test_bad_input_raises_plan_format_error_naming_file_and_field(text: str, message: str) -> None:
    """Bad input raises PlanFormatError with one line naming the file and the field path."""
    with pytest.raises(PlanFormatError) as info:
        read_plan(text, "plan.json")
    assert str(info.value) == message
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ReconcileError)
    assert isinstance(info.value, ValueError)


def test_bytes_input_and_bad_encoding() -> None:
    """Bytes are read as UTF-8 (a BOM is allowed); other bytes fail naming the file."""
    written = jsonplan.render(samples.nested())
    assert read_plan(written.encode(), "p.json") == samples.nested()
    assert read_plan(b"\xef\xbb\xbf" + written.encode(), "p.json") == samples.nested()
    with pytest.raises(PlanFormatError, match=r"^p\.json: not UTF-8 text \(byte 0\)$"):
        read_plan(b"\xff{}", "p.json")


def test_unknown_keys_are_ignored_on_read() -> None:
    """A plan another tool annotated with extra keys still reads."""
    doc = _valid()
    doc["terraform_version"] = "1.9.0"
    doc["resource_changes"][0]["change"]["after_unknown"] = {}
    assert read_plan(json.dumps(doc), "plan.json") == samples.update_restart()


@given(samples.plans())
def test_any_plan_round_trips_and_validates(plan: Plan) -> None:
    """For any plan the JSON is schema-valid, deterministic, secret-free, and reads back to equal outputs."""
    written = jsonplan.render(plan)
    assert written == jsonplan.render(plan)
    assert samples.SECRET_VALUE not in written
    assert _errors(json.loads(written)) == []
    again = read_plan(written, "plan.json")
    assert jsonplan.render(again) == written
    for fmt in FORMATS:
        assert render(again, fmt) == render(plan, fmt)


def test_plan_reads_the_old_address_prefix() -> None:
    """A plan written by 0.1.0 (`modelarts_notebook.NAME` addresses) still reads, as the same plan."""
    plan = samples.errors()
    doc = _doc(plan)
    for item in doc["resource_changes"] + doc["errors"]:
        item["address"] = item["address"].replace("huaweicloud_modelarts_notebook.", "modelarts_notebook.")
    assert read_plan(json.dumps(doc), "old.json") == plan


def test_json_is_one_line_of_utf8_without_surrogate_escapes() -> None:
    """Non-ASCII text (astral too) is written as UTF-8, never as `\\u` escapes; a lone surrogate is escaped."""
    rc = samples.update_restart().resource_changes[0]
    before = {**(rc.before or {}), "description": "开发 🚀", "tags": {"k": "x\ud800y"}}
    plan = Plan([attrs.evolve(rc, before=before)])
    written = jsonplan.render(plan)
    assert written.count("\n") == 1
    assert '"description": "开发 🚀"' in written
    assert "\\ud83d" not in written and "\\u5f00" not in written
    assert '"x\\ud800y"' in written
    written.encode("utf-8")  # no lone surrogate left raw: the text is valid UTF-8
    assert read_plan(written.encode("utf-8"), "p.json").resource_changes[0].before == before


def test_errored_plan_is_flagged_for_terraform_policies() -> None:
    """A plan with an unobservable notebook is `errored`, not `complete` and not `applyable`."""
    doc = _doc(samples.errors())
    assert (doc["errored"], doc["complete"], doc["applyable"]) == (True, False, False)
    doc = _doc(samples.update_restart())
    assert (doc["errored"], doc["complete"], doc["applyable"]) == (False, True, True)
    doc = _doc(samples.no_drift())
    assert (doc["errored"], doc["complete"], doc["applyable"]) == (False, True, False)


def test_replacement_has_reason_and_unknown_id() -> None:
    """A replacement says why (`replace_because_cannot_update`) and leaves id and url unknown until apply."""
    rc = _doc(samples.replace())["resource_changes"][0]
    assert rc["change"]["actions"] == ["delete", "create"]
    assert rc["action_reason"] == "replace_because_cannot_update"
    assert rc["change"]["after_unknown"] == {"id": True, "url": True}
    assert "id" not in rc["change"]["after"] and "url" not in rc["change"]["after"]
    assert rc["change"]["before"]["id"] == samples.NOTEBOOK_ID


def test_create_shows_no_id_of_a_gone_notebook() -> None:
    """A create's `after` has no id (even one the spec gave), and `after_unknown` flags it."""
    plan = samples.create()
    rc = plan.resource_changes[0]
    plan = Plan([attrs.evolve(rc, after={**(rc.after or {}), "id": "old-id"})])
    change = _doc(plan)["resource_changes"][0]["change"]
    assert change["after_unknown"] == {"id": True, "url": True}
    assert "id" not in change["after"]


def test_terraform_sections_hold_every_notebook() -> None:
    """planned_values lists each notebook's after, prior_state each observed one, configuration each entry."""
    plan = samples.many()
    doc = _doc(plan)
    planned = doc["planned_values"]["root_module"]["resources"]
    prior = doc["prior_state"]["values"]["root_module"]["resources"]
    config = doc["configuration"]["root_module"]["resources"]
    assert [r["address"] for r in planned] == [rc.address for rc in plan.resource_changes]
    assert [r["address"] for r in prior] == [rc.address for rc in plan.resource_changes if rc.before]
    assert {r["address"] for r in config} == {rc.address for rc in plan.resource_changes} | {
        e.address for e in plan.errors
    }
    first = planned[0]
    assert first["provider_name"] == "registry.terraform.io/huaweicloud/huaweicloud"
    assert first["sensitive_values"] == {"token": True}
    assert "token" not in first["values"]
    assert doc["prior_state"]["terraform_version"] == doc["terraform_version"] == "1.9.0"
    by_name = {r["name"]: r for r in config}
    assert by_name["box-03"]["expressions"] == {
        "flavor": {"constant_value": "modelarts.vm.cpu.2u"},
        "name": {"constant_value": "box-03"},
    }
    assert by_name["err-0"]["expressions"] == {}
    assert doc["configuration"]["provider_config"]["huaweicloud"]["full_name"] == first["provider_name"]


def test_resource_drift_goes_from_desired_to_observed() -> None:
    """resource_drift has one update per drifted notebook, from the desired view to the observed notebook."""
    doc = _doc(samples.update_restart())
    (drift,) = doc["resource_drift"]
    assert drift["address"] == "huaweicloud_modelarts_notebook.train-box"
    assert drift["change"]["actions"] == ["update"]
    assert drift["change"]["before"]["flavor"] == "modelarts.vm.cpu.8u"
    assert drift["change"]["after"]["flavor"] == "modelarts.vm.cpu.2u"
    assert _doc(samples.no_drift())["resource_drift"] == []


def test_locations_round_trip_through_the_json_plan(tmp_path: Path) -> None:
    """The spec file and line of each entry are written to the JSON plan and read back by `show`."""
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\nnotebooks:\n  a: {id: a, flavor: f}\n\n  b:\n    id: b\n    flavor: g\n")
    obs = tmp_path / "obs"
    obs.mkdir()
    (obs / "a.json").write_text('{"id": "a", "status": "RUNNING", "flavor": "f"}')
    (obs / "b.json").write_text('{"id": "b", "status": "RUNNING", "flavor": 3}')
    plan = reconcile.plan_offline([spec], obs)
    doc = json.loads(render(plan, "json"))
    assert doc["resource_changes"][0]["location"] == {"file": str(spec), "line": 3}
    assert doc["errors"][0]["location"] == {"file": str(spec), "line": 5}
    again = read_plan(render(plan, "json"), "p.json")
    assert again.resource_changes[0].location == plan.resource_changes[0].location
    assert again.errors[0].location == plan.errors[0].location


def test_a_tampered_plan_that_contradicts_itself_is_refused() -> None:
    """A key written twice, or actions edited against the differences, is one line, never a quiet plan."""
    plan = next(
        p
        for p in (f() for f in samples.SAMPLES.values())
        if any(rc.replace_paths for rc in p.resource_changes)
    )
    doc = json.loads(render(plan, "json"))
    twice = json.dumps(doc)[:-1] + ', "resource_changes": []}'
    with pytest.raises(PlanFormatError, match="key 'resource_changes' written twice"):
        read_plan(twice, "p.json")
    for rc in doc["resource_changes"]:
        if rc["change"]["replace_paths"]:
            rc["change"]["actions"] = ["no-op"]
    with pytest.raises(PlanFormatError, match="forces replacement, but the actions do not replace"):
        read_plan(json.dumps(doc), "p.json")


def _whole(plan: Plan) -> str:
    """The plan's document encoded in one call, as the JSON plan was written before streaming."""
    return jsonplan._dump(jsonplan.plan_document(plan)) + "\n"


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_streamed_pieces_are_the_document_encoded_whole(name: str) -> None:
    """`render_chunks` joined is byte for byte `plan_document` encoded in one `json.dumps` call."""
    plan = samples.SAMPLES[name]()
    assert "".join(jsonplan.render_chunks(plan)) == _whole(plan) == jsonplan.render(plan)


@given(samples.plans())
def test_any_plan_streams_as_it_encodes_whole(plan: Plan) -> None:
    """For any plan, the streamed JSON is the same bytes as the whole document encoded at once."""
    assert jsonplan.render(plan) == _whole(plan)


@pytest.mark.parametrize(
    "spelled",
    [
        "\x00reconcile:before\x00",
        "\x00reconcile:after\x00",
        "\x00reconcile:resource_changes\x00",
        "\x00reconcile:configuration\x00",
    ],
)
def test_values_spelled_like_the_streams_holes_are_written_as_themselves(spelled: str) -> None:
    """A plan value spelled like one of the streaming writer's holes is written as the value it is."""
    base = samples.update_restart()
    rc = base.resource_changes[0]
    before = {**(rc.before or {}), "description": spelled}
    plans = [
        Plan([attrs.evolve(rc, before=before)]),
        Plan([attrs.evolve(rc, notes=(spelled,))]),
        Plan([attrs.evolve(rc, notes=(spelled,), before=None, actions=(reconcile.Action.CREATE,))]),
        attrs.evolve(base, errors=(attrs.evolve(samples.errors().errors[0], message=spelled),)),
    ]
    for plan in plans:
        written = jsonplan.render(plan)
        assert written == _whole(plan)
        assert json.dumps(spelled)[1:-1] in written


def test_a_value_json_cannot_hold_fails_the_stream_before_its_piece() -> None:
    """NaN in a plan raises ValueError from the stream, as from the whole render."""
    rc = samples.update_restart().resource_changes[0]
    plan = Plan([attrs.evolve(rc, before={**(rc.before or {}), "capacity": float("nan")})])
    with pytest.raises(ValueError, match="Out of range float"):
        jsonplan.render(plan)
    with pytest.raises(ValueError, match="Out of range float"):
        "".join(jsonplan.render_chunks(plan))


def test_a_number_too_long_for_python_is_named_not_advised() -> None:
    """A 5,000-digit number in a saved plan is one line saying what is wrong, not Python's advice to
    raise its digit limit."""
    text = '{"format_version": "1.2", "x": ' + "7" * 5000 + "}"
    with pytest.raises(PlanFormatError) as info:
        read_plan(text, "plan.json")
    assert str(info.value) == "plan.json: invalid plan: a number with more than 4300 digits"
