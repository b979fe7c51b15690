"""The compliance report as SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.

- one `reportingDescriptor` per rule, with `help` (text and Markdown), `helpUri`,
  `properties.security-severity` (GitHub's 0-10 scale) and the framework controls as tags;
- one `result` per failure (and per waived failure, with `suppressions` carrying the waiver's
  justification, unless left out); passes and not-applicable results are not alerts;
- every result has a physical location (the spec file, and the line of the field or of the entry when
  known) and a logical location naming the notebook (`huaweicloud_modelarts_notebook.NAME`, and its id);
- `partialFingerprints` hash rule, notebook id and field only, so edits elsewhere in the spec (lines
  moving) do not reopen alerts; `automationDetails.id` is per project, so runs of different projects
  are kept apart;
- notebooks or rules that could not be evaluated are `toolExecutionNotifications`.

No time stamps: equal reports give equal bytes.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Final
from urllib.parse import quote

from reconcile._core.report import Finding, Report, RuleInfo, Severity, Status
from reconcile._render.report_common import address, fingerprint, waiver_note
from reconcile._version import __version__

__all__ = ["FINGERPRINT_KEY", "SECURITY_SEVERITY", "render"]

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://github.com/modelarts-reconcile/modelarts-reconcile"
#: The key of our fingerprint in `partialFingerprints` (versioned: a new scheme gets a new key).
FINGERPRINT_KEY: Final = "modelartsReconcile/v1"
#: GitHub's security-severity scale: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY: Final = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_LEVEL: Final = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def _uri(file: str) -> str:
    """A spec file name as a SARIF artifact URI: relative paths stay relative, with `/` separators."""
    posix = PureWindowsPath(file).as_posix() if "\\" in file else file
    path = PurePosixPath(posix)
    text = quote(str(path), safe="/")
    return f"file://{text}" if path.is_absolute() else text.removeprefix("./")


def _rule(r: RuleInfo) -> dict[str, Any]:
    controls = [f"{c.framework} {c.id}" for c in r.controls]
    md_controls = "".join(
        f"\n- {c.framework} {c.id} {c.title}{' (judgement)' if c.judgement else ''}" for c in r.controls
    )
    text = f"{r.rationale}\n\nRemediation: {r.remediation}"
    return {
        "id": r.id,
        "name": "".join(w.capitalize() for w in r.title.replace("-", " ").split() if w.isalnum()) or r.id,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.rationale},
        "help": {
            "text": text + ("\n\nControls: " + "; ".join(controls) if controls else ""),
            "markdown": f"**{_md(r.title)}**\n\n{_md(r.rationale)}\n\n**Remediation:** {_md(r.remediation)}"
            + (f"\n\n**Controls:**{_md(md_controls)}" if md_controls else ""),
        },
        "helpUri": r.help_uri if r.help_uri.startswith("http") else INFORMATION_URI,
        "defaultConfiguration": {"level": _LEVEL[r.severity], "enabled": r.enabled},
        "properties": {
            "security-severity": SECURITY_SEVERITY[r.severity],
            "precision": "very-high",
            "problem.severity": "error" if r.severity.rank >= Severity.HIGH.rank else "warning",
            "tags": ["security", "modelarts", *(["custom"] if r.custom else []), *controls],
        },
    }


def _md(text: str) -> str:
    return "".join(f"\\{c}" if c in "\\`*_{}[]<>()#+!|~" else c for c in text)


def _result(f: Finding, index: int, suppressed: bool) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.location.file if f.location else "")}}
    if f.location is not None and f.location.line is not None:
        physical["region"] = {"startLine": f.location.line}
    logical: dict[str, Any] = {
        "name": f.name,
        "fullyQualifiedName": address(f.name) + (f"/{f.field}" if f.field else ""),
        "kind": "resource",
    }
    message = f"{address(f.name)} ({f.subject.value}): {f.message}"
    note = waiver_note(f)
    if f.waiver_expired is not None:
        message += f" [{note}]"
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "kind": "fail",
        "level": _LEVEL[f.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": physical, "logicalLocations": [logical]}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
        "properties": {
            "notebook": address(f.name),
            "notebookId": f.notebook_id,
            "subject": f.subject.value,
            "field": f.field,
            "severity": f.severity.value,
            "status": f.status.value,
        },
    }
    if f.status is Status.WAIVED and f.waiver is not None and suppressed:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{f.waiver.reason} (owner {f.waiver.owner}, expires {f.waiver.expires})",
                "properties": {"owner": f.waiver.owner, "expires": f.waiver.expires},
            }
        ]
        if f.waiver.location is not None:
            out["suppressions"][0]["location"] = {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.waiver.location.file)},
                    **({"region": {"startLine": f.waiver.location.line}} if f.waiver.location.line else {}),
                }
            }
    return out


def document(report: Report, *, suppressed: bool = True) -> dict[str, Any]:
    """The SARIF log as a JSON-ready mapping."""
    rules = list(report.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    results = [
        _result(f, index[f.rule], suppressed)
        for f in report.problems()
        if f.status is Status.FAIL or (f.status is Status.WAIVED and suppressed)
    ]
    notes = [
        {"level": "error", "message": {"text": f"{address(name)}: {message}"}}
        for name, message in report.errors
    ] + [
        {
            "level": "error",
            "message": {"text": f"{address(f.name)}: {f.rule} ({f.subject.value}): {f.message}"},
            "associatedRule": {"id": f.rule, "index": index[f.rule]},
        }
        for f in report.problems()
        if f.status is Status.ERROR
    ]
    project = report.project_id or "default"
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "modelarts-reconcile",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "automationDetails": {"id": f"modelarts-reconcile/{project}/"},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {"executionSuccessful": not report.has_errors, "toolExecutionNotifications": notes}
                ],
                "results": results,
                "properties": {"evaluatedAt": report.now, "specOnly": report.spec_only},
            }
        ],
    }


def render(report: Report, *, suppressed: bool = True) -> str:
    """Render a report as SARIF 2.1.0 JSON text with a trailing newline."""
    return json.dumps(document(report, suppressed=suppressed), indent=2, ensure_ascii=False) + "\n"
