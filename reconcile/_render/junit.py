"""The plan as JUnit XML, so CI systems show drift as failed tests.

One `<testsuites>` holding one `<testsuite name="modelarts-reconcile">`, and in it one `<testcase>`
per spec entry (classname `huaweicloud_modelarts_notebook`, name the local name, `file` and `line`
the place in the spec that declares the entry when the plan knows it), in address order:

- a notebook with a planned change (drift): `<failure type="update">` (the actions joined by `-`:
  `create`, `update`, `delete-create`), its `message` the differences on one line, its text one
  difference per line followed by the notes;
- a notebook that could not be observed (`Plan.errors`): `<error type="observation">`;
- a notebook without changes passes, also when pending: a pending notebook was compared and did
  not drift, so it is not "skipped"; its health and notes go to `<system-out>`.

After them, when a listing was made, one `<testcase classname="unmanaged">` per unmanaged notebook
(named `NAME (ID)`), in the plan's order: `<failure type="unmanaged">`, or `<skipped>` with the
reason when a spec ignore rule matches it (`--unmanaged ignore` leaves them all out).

No timestamps and `time="0"` throughout, so equal plans give identical bytes. Only attributes the
Jenkins xUnit plugin's schema (`junit-10.xsd`) allows are written: `<testsuites>` carries no
`skipped` count (the suite counts the ignored unmanaged notebooks as skipped). Text is escaped by
`xml.etree`; characters XML 1.0 cannot hold at all (control characters) and the bidi controls are
written as `\\uXXXX`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Final

from reconcile._core.location import Location
from reconcile._core.plan import ADDRESS_PREFIX, Health, Plan, PlanError, ResourceChange, Unmanaged
from reconcile._render.common import (
    METHOD_LABEL,
    action_label,
    clean_text,
    compact_json,
    notes_of,
    redacted,
    secret_keys,
)
from reconcile._render.text import unmanaged_line

__all__ = ["SUITE_NAME", "render"]

#: The name of the test suite.
SUITE_NAME: Final = "modelarts-reconcile"


def render(plan: Plan) -> str:
    """Render a plan as a JUnit XML document (UTF-8 declaration, 2-space indent, trailing newline)."""
    cases: list[tuple[str, ET.Element]] = [(rc.address, _change_case(rc)) for rc in plan.resource_changes]
    cases += [(e.address, _error_case(e)) for e in plan.errors]
    cases.sort(key=lambda item: item[0])
    cases += [("", _unmanaged_case(u)) for u in plan.unmanaged]

    failures = sum(1 for rc in plan.resource_changes if rc.is_change) + plan.summary.unmanaged
    skipped = len(plan.unmanaged) - plan.summary.unmanaged
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(len(plan.errors)),
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts, "time": "0"})
    suite = ET.SubElement(
        root, "testsuite", {"name": SUITE_NAME, **counts, "skipped": str(skipped), "time": "0"}
    )
    suite.extend(case for _, case in cases)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _case(name: str, location: Location | None) -> ET.Element:
    """A test case for one spec entry, naming the spec file (and line) that declares it when known."""
    attributes = {"classname": ADDRESS_PREFIX, "name": clean_text(name)}
    if location is not None:
        attributes["file"] = clean_text(location.file)
        if location.line is not None:
            attributes["line"] = str(location.line)
    return ET.Element("testcase", {**attributes, "time": "0"})


def _change_case(rc: ResourceChange) -> ET.Element:
    """The test case of one planned notebook: a failure when anything would change."""
    case = _case(rc.name, rc.location)
    notes = [clean_text(n) for n in notes_of(rc)]
    if rc.is_change:
        lines = [
            f"{clean_text(d.dotted_path)}: {compact_json(d.observed)} -> {compact_json(d.desired)} "
            f"({METHOD_LABEL[d.method]})"
            for d in (redacted(d, secret_keys(rc)) for d in rc.differences)
        ]
        label = action_label(rc.actions)
        message = f"{label}: " + "; ".join(lines) if lines else label
        kind = "-".join(a.value for a in rc.actions)
        failure = ET.SubElement(case, "failure", {"message": message, "type": kind})
        failure.text = "\n".join([label, *lines, *(f"note: {n}" for n in notes)])
        notes = []  # already in the failure
    out = []
    if rc.health is not Health.HEALTHY:
        status = f" (status {clean_text(rc.status)})" if rc.status is not None else ""
        out.append(f"health: {rc.health.value}{status}")
    out += notes
    if out:
        ET.SubElement(case, "system-out").text = "\n".join(out)
    return case


def _error_case(error: PlanError) -> ET.Element:
    """The test case of a notebook that could not be observed: an error."""
    case = _case(error.name, error.location)
    message = clean_text(error.message)
    node = ET.SubElement(case, "error", {"message": message, "type": "observation"})
    node.text = message
    return case


def _unmanaged_case(u: Unmanaged) -> ET.Element:
    """The test case of an unmanaged notebook: a failure, or skipped when an ignore rule matches it."""
    name = f"{u.name if u.name is not None else '(no name)'} ({u.notebook_id})"
    case = ET.Element("testcase", {"classname": "unmanaged", "name": clean_text(name), "time": "0"})
    if u.ignored is not None:
        ET.SubElement(case, "skipped", {"message": clean_text(f"ignored: {u.ignored}")})
        return case
    message = clean_text(f"unmanaged: {unmanaged_line(u)}")
    ET.SubElement(case, "failure", {"message": message, "type": "unmanaged"}).text = message
    return case
