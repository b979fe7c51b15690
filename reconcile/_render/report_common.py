"""What the compliance report renderers share, and `render_report`, which picks one by name.

Every report renderer is a pure function of a `reconcile._core.report.Report`: the same report gives
the same bytes. Text from a spec, a waiver file or the service is escaped by each renderer for its
medium (`clean_text` for terminals and XML, Markdown and HTML escaping in theirs).
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Final

from reconcile._core.plan import ADDRESS_PREFIX
from reconcile._core.report import Finding, Report, Status, WaiverInfo, WaiverState

__all__ = [
    "REPORT_FORMATS",
    "STATUS_LABEL",
    "address",
    "failures_first",
    "fingerprint",
    "render_report",
    "waiver_note",
]

#: The formats of `reconcile check --format`, in the order the CLI lists them.
REPORT_FORMATS: Final = ("text", "json", "sarif", "junit", "markdown", "html")

#: How each status is written in text, Markdown and HTML.
STATUS_LABEL: Final = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.WAIVED: "waived",
    Status.NOT_APPLICABLE: "n/a",
    Status.ERROR: "ERROR",
}


def address(name: str) -> str:
    """The plan address of a spec entry."""
    return f"{ADDRESS_PREFIX}.{name}"


def fingerprint(f: Finding) -> str:
    """A stable hash of rule, notebook (its id, else its address) and field: edits elsewhere in the
    spec (lines moving, other fields) never change it, so code scanning does not reopen alerts."""
    who = f.notebook_id or address(f.name)
    return hashlib.sha256(f"{f.rule}\x1f{who}\x1f{f.field}\x1f{f.subject.value}".encode()).hexdigest()[:32]


def failures_first(findings: tuple[Finding, ...]) -> list[Finding]:
    """Errors, then failures by severity (critical first), then waived, then the rest; stable."""
    order = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2, Status.PASS: 3, Status.NOT_APPLICABLE: 4}
    return sorted(findings, key=lambda f: (order[f.status], -f.severity.rank, f.sort_key))


def waiver_note(f: Finding) -> str:
    """One line on the waiver of a finding: who waived it, until when, why; or when it expired."""
    w = f.waiver
    if w is None:
        return ""
    if f.waiver_expired is not None:
        return f"waiver expired on {f.waiver_expired} (owner {w.owner}: {w.reason})"
    soon = " [expires soon]" if w.state is WaiverState.EXPIRING else ""
    return f"waived by {w.owner} until {w.expires}{soon}: {w.reason}"


def waiver_label(w: WaiverInfo) -> str:
    """`active`, `expiring`, `expired` or `unused`, as the waiver tables say it."""
    if not w.evaluated and not w.used:
        return "not evaluated"
    if not w.used and w.state is not WaiverState.EXPIRED:
        return "unused"
    return w.state.value


def render_report(report: Report, fmt: str, *, color: bool = False, suppressed: bool = True) -> str:
    """Render a compliance report in one of `REPORT_FORMATS`.

    Args:
        color: ANSI colours in the text format.
        suppressed: whether SARIF includes waived results (with `suppressions`).

    Raises:
        ValueError: `fmt` is not one of `REPORT_FORMATS`.
    """
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(REPORT_FORMATS)}")
    module = importlib.import_module(f"reconcile._render.report_{fmt}")
    if fmt == "text":
        return module.render(report, color=color)  # type: ignore[no-any-return]
    if fmt == "sarif":
        return module.render(report, suppressed=suppressed)  # type: ignore[no-any-return]
    return module.render(report)  # type: ignore[no-any-return]
