"""Tests for `reconcile._render.junit`: drift as JUnit XML test results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from lxml import etree

from reconcile._core.location import Location
from reconcile._core.plan import Plan, PlanError
from reconcile._render import junit
from tests import plan_samples as samples

ERRORS = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="modelarts-reconcile" tests="3" failures="1" errors="2" time="0">
  <testsuite name="modelarts-reconcile" tests="3" failures="1" errors="2" skipped="0" time="0">
    <testcase classname="huaweicloud_modelarts_notebook" name="bad-body" time="0">
      <error message="notebooks/bad.json: image.size: expected int, got &quot;big&quot;" type="observation">\
notebooks/bad.json: image.size: expected int, got "big"</error>
    </testcase>
    <testcase classname="huaweicloud_modelarts_notebook" name="gone-box" time="0">
      <error message="GET /v1/p/notebooks/x: HTTP 503 Service Unavailable (request id 42)" \
type="observation">\
GET /v1/p/notebooks/x: HTTP 503 Service Unavailable (request id 42)</error>
    </testcase>
    <testcase classname="huaweicloud_modelarts_notebook" name="train-box" time="0">
      <failure message="update in place: flavor: &quot;modelarts.vm.cpu.2u&quot; \
-&gt; &quot;modelarts.vm.cpu.8u&quot; \
(stop, update, start)" type="update">update in place
flavor: "modelarts.vm.cpu.2u" -&gt; "modelarts.vm.cpu.8u" (stop, update, start)
note: the notebook is RUNNING: it is stopped for the update and started again afterwards</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


#: The Jenkins xUnit plugin's JUnit schema (tests/data/junit-10.xsd names its source).
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "junit-10.xsd")))


def _xsd_errors(xml: str) -> list[str]:
    document = etree.fromstring(xml.encode("utf-8"))
    return [] if XSD.validate(document) else [str(e) for e in XSD.error_log]


def _suite(plan: Plan) -> ET.Element:
    root = ET.fromstring(junit.render(plan))
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.tag == "testsuite"
    return suite


def _counts(element: ET.Element) -> dict[str, str]:
    return {k: element.attrib[k] for k in ("tests", "failures", "errors")}


def test_errors_plan_renders_exactly() -> None:
    """Drift is a failure carrying the differences, an observation error an error; cases by address."""
    assert junit.render(samples.errors()) == ERRORS


def test_counts_match_the_cases() -> None:
    """The tests/failures/errors/skipped attributes count the test cases of each kind, on suite and root."""
    plan = samples.many()
    root = ET.fromstring(junit.render(plan))
    suite = _suite(plan)
    cases = suite.findall("testcase")
    assert len(cases) == 27
    assert (
        _counts(suite)
        == _counts(root)
        == {
            "tests": "27",
            "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
            "errors": str(sum(1 for c in cases if c.find("error") is not None)),
        }
    )
    assert suite.attrib["skipped"] == "0"
    assert "skipped" not in root.attrib  # the Jenkins xUnit schema has no such attribute there
    assert suite.attrib["failures"] == "18"
    assert suite.attrib["errors"] == "3"
    assert all(c.attrib["classname"] == "huaweicloud_modelarts_notebook" for c in cases)
    names = [c.attrib["name"] for c in cases]
    assert names == sorted(names)


def test_no_drift_passes() -> None:
    """A notebook without changes is a passing test case with no children."""
    suite = _suite(samples.no_drift())
    (case,) = suite
    assert case.attrib["name"] == "train-box"
    assert list(case) == []
    assert _counts(suite) == {"tests": "1", "failures": "0", "errors": "0"}


def test_pending_passes_with_a_system_out_note() -> None:
    """A pending notebook without changes passes, with its health and notes in system-out."""
    (case,) = _suite(samples.pending())
    assert [child.tag for child in case] == ["system-out"]
    assert case[0].text == (
        "health: pending (status STARTING)\nSTARTING is a transitional state; plan again once it settles"
    )


def test_replace_and_create_are_failures_typed_by_action() -> None:
    """A replacement and a create are failures whose type names the actions."""
    (case,) = _suite(samples.replace())
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "delete-create"
    assert 'volume.category: "EFS" -> "EVS" (forces replacement)' in failure.attrib["message"]
    (case,) = _suite(samples.create())
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib == {"message": "create", "type": "create"}
    assert failure.text == "create\nnote: no notebook named new-box exists"
    system_out = case.find("system-out")
    assert system_out is not None
    assert system_out.text == "health: missing"


def test_special_characters_survive_as_text() -> None:
    """Markup in names, values and messages is escaped: the XML parses and gives the text back."""
    suite = _suite(samples.special_characters())
    by_name = {c.attrib["name"]: c for c in suite}
    assert set(by_name) == {"weird|<name>`", "err<&>"}
    error = by_name["err<&>"].find("error")
    assert error is not None
    assert error.attrib["message"].startswith('a|b <script>alert("x")</script> `code`')
    assert "\\u000anext line\\u001b[31m" in error.attrib["message"]
    failure = by_name["weird|<name>`"].find("failure")
    assert failure is not None
    assert failure.text is not None
    assert 'tags: {"odd key|<>": "v`"} -> {"odd key|<>": "w]]>"}' in failure.text


@given(samples.plans())
def test_any_plan_gives_well_formed_deterministic_xml(plan: Plan) -> None:
    """Any plan gives well-formed XML, identical on a second render, counting its cases right."""
    xml = junit.render(plan)
    assert xml == junit.render(plan)
    assert samples.SECRET_VALUE not in xml
    suite = _suite(plan)
    cases = suite.findall("testcase")
    planned = len(plan.resource_changes) + len(plan.errors) + len(plan.unmanaged)
    assert int(suite.attrib["tests"]) == len(cases) == planned
    assert int(suite.attrib["skipped"]) == sum(1 for c in cases if c.find("skipped") is not None)
    assert int(suite.attrib["failures"]) == sum(1 for c in cases if c.find("failure") is not None)
    assert (
        int(suite.attrib["errors"])
        == len(plan.errors)
        == sum(1 for c in cases if c.find("error") is not None)
    )


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_every_sample_is_valid_against_the_jenkins_xunit_schema(name: str) -> None:
    """The JUnit of every sample plan validates against the Jenkins xUnit plugin's junit-10.xsd."""
    assert _xsd_errors(junit.render(samples.SAMPLES[name]())) == []


@given(samples.plans())
def test_any_plan_is_valid_against_the_jenkins_xunit_schema(plan: Plan) -> None:
    """Any plan, with any text in it, gives JUnit that junit-10.xsd accepts."""
    assert _xsd_errors(junit.render(plan)) == []


def test_schema_rejects_what_it_should() -> None:
    """The vendored schema is really applied: `skipped` on `<testsuites>` is refused, as Jenkins does."""
    xml = junit.render(samples.no_drift()).replace("<testsuites ", '<testsuites skipped="0" ', 1)
    assert any("skipped" in e for e in _xsd_errors(xml))


def test_cases_name_the_spec_file_that_declares_them() -> None:
    """A planned notebook and an error with a location carry `file` (and `line`); without one, neither."""
    plan = samples.errors()
    rc = attrs.evolve(plan.resource_changes[0], location=Location("specs/team\u202e.yaml", 12, "notebooks.x"))
    bad, gone = plan.errors
    assert (bad.name, gone.name) == ("bad-body", "gone-box")
    located = Plan([rc], [attrs.evolve(gone, location=Location("specs/other.toml")), bad])
    xml = junit.render(located)
    assert _xsd_errors(xml) == []
    by_name = {c.attrib["name"]: c.attrib for c in _suite(located)}
    assert by_name["train-box"]["file"] == "specs/team\\u202e.yaml"
    assert by_name["train-box"]["line"] == "12"
    assert by_name["gone-box"]["file"] == "specs/other.toml"
    assert "line" not in by_name["gone-box"]
    assert "file" not in by_name["bad-body"]
    assert all("file" not in c.attrib for c in _suite(samples.many()))


def test_bidi_controls_are_escaped() -> None:
    """Bidi controls and other invisible controls in service text are written as escapes in the XML."""
    evil = "a\u202eb\u2066c\u2069d\u200fe\u061cf\u200eg"
    plan = Plan([], [PlanError("x", evil)])
    xml = junit.render(plan)
    assert not set(xml) & set("\u202e\u2066\u2069\u200f\u061c\u200e")
    assert "a\\u202eb\\u2066c\\u2069d\\u200fe\\u061cf\\u200eg" in xml
