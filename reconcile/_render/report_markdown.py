"""The compliance report as Markdown, for pull-request comments and CI job summaries.

A summary table, then failures first by severity (critical first), then waived failures with owner,
expiry and reason, then the waivers. Capped at `MAX_CHARS` characters (GitHub comments hold 65,536):
when the failures do not fit, the last ones are left out with a line saying how many.
Everything from the spec, the waiver file or the service is escaped.
"""

from __future__ import annotations

from typing import Final

from reconcile._core.report import Finding, Report, Status
from reconcile._render.markdown import code
from reconcile._render.report_common import address, failures_first, waiver_label, waiver_note

__all__ = ["MAX_CHARS", "render"]

#: The longest document written, in characters.
MAX_CHARS: Final = 65_000
_CELL: Final = 300


def _cell(text: str, *, in_table: bool = True) -> str:
    """Untrusted text in a code span (as the plan's Markdown does): GitHub then links, mentions and
    formats nothing in it (`https://...`, `www....`, `@team`, `**`); long text is shortened first."""
    if len(text) > _CELL:
        text = text[: _CELL - 1] + "…"
    return code(text, in_table=in_table)


def _row(f: Finding) -> str:
    where = _cell(str(f.location)) if f.location else ""
    status = (
        "**FAIL**"
        if f.status is Status.FAIL
        else f.status.value.upper()
        if f.status is Status.ERROR
        else "waived"
    )
    note = waiver_note(f)
    message = f.message + (f" ({note})" if note else "")
    return (
        f"| {status} | {f.severity.value} | {_cell(f.rule)} | {_cell(address(f.name))} | {f.subject.value} "
        f"| {_cell(message)} | {where} |"
    )


def render(report: Report) -> str:
    """Render a report as Markdown no longer than `MAX_CHARS` characters."""
    s = report.summary
    pct = "n/a" if s.compliance is None else f"{s.compliance:.1f}%"
    verdict = (
        "❌ errors"
        if report.has_errors
        else f"❌ {len(report.blocking)} blocking"
        if report.blocking
        else "✅ passed"
    )
    head = [
        "## Compliance report",
        "",
        f"{verdict}: compliance **{pct}** (pass / (pass + fail)), fail on {report.fail_on.value} and above, "
        f"evaluated at {report.now}{' (desired state only)' if report.spec_only else ''}.",
        "",
        "| pass | fail | waived | not applicable | error |",
        "|---:|---:|---:|---:|---:|",
        f"| {s.passed} | {s.failed} | {s.waived} | {s.not_applicable} | {s.errors} |",
        "",
    ]
    tail: list[str] = []
    if report.errors:
        tail += (
            ["### Errors", ""]
            + [f"- {_cell(address(n), in_table=False)}: {_cell(m, in_table=False)}" for n, m in report.errors]
            + [""]
        )
    if report.waivers:
        tail += [
            "### Waivers",
            "",
            "| state | waives | notebook | owner | expires | reason |",
            "|---|---|---|---|---|---|",
        ]
        tail += [
            f"| {waiver_label(w)} | {_cell(w.key)} | {_cell(w.target)} | {_cell(w.owner)} "
            f"| {w.expires} | {_cell(w.reason)} |"
            for w in report.waivers
        ] + [""]
    rows = [
        _row(f)
        for f in failures_first(tuple(report.problems()))
        if f.status in (Status.ERROR, Status.FAIL, Status.WAIVED)
    ]
    table = [
        "### Findings",
        "",
        "| status | severity | rule | notebook | state | finding | where |",
        "|---|---|---|---|---|---|---|",
    ]
    budget = MAX_CHARS - len("\n".join(head + tail)) - len("\n".join(table)) - 200
    kept: list[str] = []
    used = 0
    for row in rows:
        if used + len(row) + 1 > budget:
            break
        kept.append(row)
        used += len(row) + 1
    body = table + kept if rows else ["### Findings", "", "No failures."]
    if len(kept) < len(rows):
        body.append("")
        body.append(
            f"_{len(rows) - len(kept)} more findings left out to stay under {MAX_CHARS} characters; "
            "see the JSON report._"
        )
    return "\n".join([*head, *body, "", *tail]).rstrip("\n") + "\n"
