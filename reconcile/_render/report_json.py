"""The compliance report as JSON, versioned and pinned by `schemas/report.schema.json`.

Stable rule ids; every result with its notebook, subject, status, severity, location and waiver.
Keys are written in a fixed order with two-space indentation, so equal reports give equal bytes.
"""

from __future__ import annotations

import json
from typing import Any

from reconcile._core.location import Location
from reconcile._core.report import REPORT_VERSION, Finding, Report, RuleInfo, WaiverInfo
from reconcile._render.report_common import address, fingerprint
from reconcile._version import __version__

__all__ = ["document", "render"]


def _location(loc: Location | None) -> dict[str, Any] | None:
    return None if loc is None else {"file": loc.file, "line": loc.line, "path": loc.path}


def _rule(r: RuleInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "severity": r.severity.value,
        "enabled": r.enabled,
        "custom": r.custom,
        "rationale": r.rationale,
        "remediation": r.remediation,
        "help_uri": r.help_uri,
        "controls": [
            {"framework": c.framework, "id": c.id, "title": c.title, "judgement": c.judgement}
            for c in r.controls
        ],
    }


def _waiver(w: WaiverInfo) -> dict[str, Any]:
    return {
        "key": w.key,
        "notebook": w.notebook,
        "id": w.notebook_id,
        "subject": None if w.subject is None else w.subject.value,
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires,
        "state": w.state.value,
        "used": w.used,
        "location": _location(w.location),
    }


def _result(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "notebook": {"name": f.name, "address": address(f.name), "id": f.notebook_id},
        "subject": f.subject.value,
        "status": f.status.value,
        "severity": f.severity.value,
        "message": f.message,
        "field": f.field,
        "location": _location(f.location),
        "fingerprint": fingerprint(f),
        "waiver": None if f.waiver is None else _waiver(f.waiver),
        "waiver_expired": f.waiver_expired,
    }


def document(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready mapping."""
    s = report.summary
    return {
        "format_version": REPORT_VERSION,
        "tool": {"name": "modelarts-reconcile", "version": __version__},
        "evaluated_at": report.now,
        "spec_only": report.spec_only,
        "fail_on": report.fail_on.value,
        "project_id": report.project_id,
        "files": list(report.files),
        "summary": {
            "pass": s.passed,
            "fail": s.failed,
            "waived": s.waived,
            "not_applicable": s.not_applicable,
            "error": s.errors,
            "compliance_percent": s.compliance,
            "blocking": len(report.blocking),
        },
        "rules": [_rule(r) for r in report.rules],
        "results": [_result(f) for f in report.findings],
        "waivers": [_waiver(w) for w in report.waivers],
        "errors": [
            {"notebook": name, "address": address(name), "message": msg} for name, msg in report.errors
        ],
    }


def render(report: Report) -> str:
    """Render a report as JSON text with a trailing newline."""
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
