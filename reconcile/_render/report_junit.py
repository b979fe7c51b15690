"""The compliance report as JUnit XML: one test case per notebook and rule.

Within a `<testsuite name="modelarts-reconcile check">`, each case is named `RULE title` with
classname the notebook's plan address and a `file` (and `line`) attribute pointing at the spec entry.
A case takes the worst of its results (over the desired and observed state, and the fields):

- error -> `<error>`; fail -> `<failure type="SEVERITY">`; waived or not applicable -> `<skipped>`
  (with the waiver's owner, expiry and reason); pass -> an empty case.

No timestamps, `time="0"`: equal reports give identical bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Final

from reconcile._core.report import Finding, Report, Status
from reconcile._render.common import clean_text
from reconcile._render.report_common import address, waiver_note

__all__ = ["SUITE_NAME", "render"]

SUITE_NAME: Final = "modelarts-reconcile check"
_WORST: Final = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2, Status.NOT_APPLICABLE: 3, Status.PASS: 4}


def _text(f: Finding) -> str:
    where = f" at {f.location}" if f.location else ""
    note = waiver_note(f)
    return f"[{f.subject.value}] {f.status.value}: {f.message}{where}" + (f" ({note})" if note else "")


def render(report: Report) -> str:
    """Render a report as a JUnit XML document (UTF-8 declaration, 2-space indent, trailing newline)."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[f.name, f.rule].append(f)
    cases: list[ET.Element] = []
    counts = dict.fromkeys(("failures", "errors", "skipped"), 0)
    for (name, rule_id), findings in sorted(groups.items()):
        rule = report.rule(rule_id)
        case = ET.Element(
            "testcase",
            {
                "classname": clean_text(address(name)),
                "name": clean_text(f"{rule_id} {rule.title if rule else ''}".strip()),
            },
        )
        loc = findings[0].location
        if loc is not None:
            case.set("file", clean_text(loc.file))
            if loc.line is not None:
                case.set("line", str(loc.line))
        case.set("time", "0")
        worst = min(findings, key=lambda f: _WORST[f.status]).status
        bad = [f for f in findings if f.status is worst]
        body = clean_text("\n".join(_text(f) for f in findings))
        message = clean_text("; ".join(f"[{f.subject.value}] {f.message}" for f in bad))
        if worst is Status.ERROR:
            counts["errors"] += 1
            ET.SubElement(case, "error", {"type": "evaluation", "message": message}).text = body
        elif worst is Status.FAIL:
            counts["failures"] += 1
            ET.SubElement(case, "failure", {"type": bad[0].severity.value, "message": message}).text = body
        elif worst in (Status.WAIVED, Status.NOT_APPLICABLE):
            counts["skipped"] += 1
            label = "waived" if worst is Status.WAIVED else "not applicable"
            notes = "; ".join(dict.fromkeys(waiver_note(f) or f.message for f in bad))
            ET.SubElement(case, "skipped", {"message": clean_text(f"{label}: {notes}")})
        cases.append(case)
    for name, message in report.errors:
        counts["errors"] += 1
        case = ET.Element(
            "testcase", {"classname": clean_text(address(name)), "name": "evaluation", "time": "0"}
        )
        ET.SubElement(case, "error", {"type": "observation", "message": clean_text(message)})
        cases.append(case)
    attrs_ = {
        "name": SUITE_NAME,
        "tests": str(len(cases)),
        **{k: str(v) for k, v in counts.items()},
        "time": "0",
    }
    # The Jenkins xUnit schema allows `skipped` on <testsuite> only, as the plan's JUnit writes it.
    root = ET.Element("testsuites", {k: v for k, v in attrs_.items() if k != "skipped"})
    suite = ET.SubElement(root, "testsuite", attrs_)
    suite.extend(cases)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
