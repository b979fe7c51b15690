"""The compliance report as text: findings grouped by notebook, severity-coloured on a terminal.

Each notebook lists its errors, failures and waived failures (failures first by severity) with the
spec location; passes and not-applicable results are counted on one line. A summary line gives the
counts and the compliance percentage, pass / (pass + fail), waived shown apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Final

from reconcile._core.report import Finding, Report, Severity, Status
from reconcile._render.common import clean_text
from reconcile._render.report_common import address, failures_first, waiver_label, waiver_note

__all__ = ["render", "summary_line"]

_RESET: Final = "\x1b[0m"
_COLORS: Final = {
    Severity.CRITICAL: "\x1b[1;31m",
    Severity.HIGH: "\x1b[31m",
    Severity.MEDIUM: "\x1b[33m",
    Severity.LOW: "\x1b[36m",
    Severity.INFO: "\x1b[2m",
}
_WAIVED: Final = "\x1b[35m"
_ERROR: Final = "\x1b[1;31m"
_BOLD: Final = "\x1b[1m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def summary_line(report: Report) -> str:
    """`Summary: 3 pass, 2 fail, 1 waived, 4 not applicable, 0 errors; compliance 60.0%`."""
    s = report.summary
    pct = "n/a" if s.compliance is None else f"{s.compliance:.1f}%"
    return (
        f"{s.passed} pass, {s.failed} fail, {s.waived} waived, {s.not_applicable} not applicable, "
        f"{s.errors} error{'s' if s.errors != 1 else ''}; compliance {pct} (pass / (pass + fail))"
    )


def _line(f: Finding, color: bool) -> list[str]:
    if f.status is Status.ERROR:
        head = _paint("ERROR ", _ERROR, color)
    elif f.status is Status.WAIVED:
        head = _paint("WAIVED", _WAIVED, color)
    else:
        head = _paint("FAIL  ", _COLORS[f.severity], color)
    sev = _paint(f"{f.severity.value:<8}", _COLORS[f.severity], color)
    lines = [f"  {head} {sev} {f.rule:<7} [{f.subject.value}] {clean_text(f.message)}"]
    if f.location is not None:
        lines.append(f"         at {clean_text(str(f.location))}")
    note = waiver_note(f)
    if note:
        lines.append(f"         {clean_text(note)}")
    return lines


def render(report: Report, *, color: bool = False) -> str:
    """Render a report as text (ANSI colours only when `color`)."""
    scope = "desired state only (--spec-only)" if report.spec_only else "desired and observed state"
    out = [f"Compliance report at {report.now}: {scope}; fail on {report.fail_on.value} and above", ""]
    by_name: dict[str, list[Finding]] = defaultdict(list)
    for f in report.problems():
        by_name[f.name].append(f)
    quiet: dict[str, Counter[Status]] = defaultdict(Counter)
    for results in report.results:
        if results.items:  # every notebook with a result gets its paragraph, problems or not
            by_name.setdefault(results.name, [])
        quiet[results.name].update(item[3] for item in results.items if not isinstance(item, Finding))
    errors = dict(report.errors)
    for name in sorted(set(by_name) | set(errors)):
        findings = by_name.get(name, [])
        out.append(_paint(clean_text(address(name)), _BOLD, color))
        if name in errors:
            out.append(
                f"  {_paint('ERROR ', _ERROR, color)} could not be evaluated: {clean_text(errors[name])}"
            )
        shown = [
            f
            for f in failures_first(tuple(findings))
            if f.status in (Status.ERROR, Status.FAIL, Status.WAIVED)
        ]
        for f in shown:
            out += _line(f, color)
        passed, na = quiet[name][Status.PASS], quiet[name][Status.NOT_APPLICABLE]
        out.append(f"  {passed} passed, {na} not applicable")
        out.append("")
    if report.waivers:
        out.append("Waivers:")
        for w in report.waivers:
            where = f" ({clean_text(str(w.location))})" if w.location else ""
            out.append(
                f"  {waiver_label(w):<8} {clean_text(w.key)} on {clean_text(w.target)}, owner "
                f"{clean_text(w.owner)}, expires {w.expires}: {clean_text(w.reason)}{where}"
            )
        out.append("")
    blocking = len(report.blocking)
    verdict = (
        "errors: some notebooks or rules could not be evaluated"
        if report.has_errors
        else f"{blocking} failure{'s' if blocking != 1 else ''} at or above {report.fail_on.value}"
        if blocking
        else f"no failures at or above {report.fail_on.value}"
    )
    out.append(f"Summary: {summary_line(report)}")
    out.append(f"Result: {verdict}")
    return "\n".join(out) + "\n"
