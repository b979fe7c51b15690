"""The compliance report as one self-contained HTML file an auditor can open.

No network, no external assets, no script: the styles are inline in the file. It shows the summary
with the compliance percentage, a table per framework with each control's rules and results,
every notebook's findings, the waivers with owners and expiry dates, and the rules. Everything that
came from the spec, a waiver file or the service is escaped (`html.escape`, control characters
written as `\\uXXXX`).
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Final

from reconcile._core.report import Finding, Report, Status
from reconcile._render.common import clean_text
from reconcile._render.report_common import STATUS_LABEL, address, failures_first, waiver_label, waiver_note

__all__ = ["render"]

_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24;
background:#fff}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}.meta{color:#57606a;font-size:.9rem}
.cards{display:flex;gap:.8rem;flex-wrap:wrap;margin:1rem 0}.card{border:1px solid #d0d7de;border-radius:8px;
padding:.7rem 1rem;min-width:7rem}.card b{display:block;font-size:1.5rem}.big b{font-size:2.2rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.3rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
.s{font-weight:600;border-radius:4px;padding:0 .35rem;white-space:nowrap}
.pass{color:#1a7f37}.fail{color:#fff;background:#cf222e}.waived{color:#fff;background:#8250df}
.not_applicable{color:#57606a}.error{color:#fff;background:#953800}
.critical{color:#a40e26;font-weight:700}.high{color:#cf222e}.medium{color:#9a6700}.low{color:#0969da}.info{color:#57606a}
.verdict-ok{color:#1a7f37}.verdict-bad{color:#cf222e}code{font-size:.85rem}.j{color:#57606a}
"""


def _e(text: object) -> str:
    return html.escape(clean_text(str(text)), quote=True)


def _status(status: Status) -> str:
    return f'<span class="s {status.value}">{_e(STATUS_LABEL[status])}</span>'


def _controls(report: Report) -> list[str]:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_rule[f.rule].append(f)
    frameworks: dict[str, dict[tuple[str, str], dict[str, bool]]] = defaultdict(lambda: defaultdict(dict))
    for r in report.rules:
        for c in r.controls:
            frameworks[c.framework][c.id, c.title][r.id] = c.judgement
    out = [
        "<h2>Controls</h2>",
        '<p class="meta">* the rule\'s mapping to that control is our judgement (see docs/rules.md).</p>',
    ]
    for framework in sorted(frameworks):
        out.append(f"<h3>{_e(framework)}</h3>")
        out.append(
            "<table><tr><th>control</th><th>title</th><th>rules</th><th>pass</th><th>fail</th>"
            "<th>waived</th><th>result</th></tr>"
        )
        for (cid, title), rule_ids in sorted(frameworks[framework].items(), key=lambda kv: _key(kv[0][0])):
            results = [f for rid in rule_ids for f in by_rule.get(rid, [])]
            counts = {s: sum(f.status is s for f in results) for s in Status}
            worst = (
                Status.ERROR
                if counts[Status.ERROR]
                else Status.FAIL
                if counts[Status.FAIL]
                else Status.WAIVED
                if counts[Status.WAIVED]
                else Status.PASS
                if counts[Status.PASS]
                else Status.NOT_APPLICABLE
            )
            names = ", ".join(f"{rid}{' *' if judged else ''}" for rid, judged in sorted(rule_ids.items()))
            out.append(
                f"<tr><td>{_e(cid)}</td><td>{_e(title)}</td><td>{_e(names)}</td><td>{counts[Status.PASS]}</td>"
                f"<td>{counts[Status.FAIL]}</td><td>{counts[Status.WAIVED]}</td><td>{_status(worst)}</td></tr>"
            )
        out.append("</table>")
    return out


def _key(cid: str) -> tuple[object, ...]:
    parts = cid.replace("-", ".").split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def _notebooks(report: Report) -> list[str]:
    by_name: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_name[f.name].append(f)
    errors = dict(report.errors)
    out = ["<h2>Notebooks</h2>"]
    for name in sorted(set(by_name) | set(errors)):
        findings = failures_first(tuple(by_name.get(name, [])))
        ids = sorted({f.notebook_id for f in findings if f.notebook_id})
        out.append(f"<h3>{_e(address(name))}{' <code>' + _e(', '.join(ids)) + '</code>' if ids else ''}</h3>")
        if name in errors:
            out.append(f"<p>{_status(Status.ERROR)} could not be evaluated: {_e(errors[name])}</p>")
        if not findings:
            continue
        out.append(
            "<table><tr><th>result</th><th>severity</th><th>rule</th><th>state</th><th>finding</th>"
            "<th>where</th><th>waiver</th></tr>"
        )
        for f in findings:
            out.append(
                f'<tr><td>{_status(f.status)}</td><td class="{f.severity.value}">{_e(f.severity.value)}</td>'
                f"<td>{_e(f.rule)}</td><td>{_e(f.subject.value)}</td><td>{_e(f.message)}</td>"
                f"<td><code>{_e(f.location) if f.location else ''}</code></td>"
                f"<td>{_e(waiver_note(f))}</td></tr>"
            )
        out.append("</table>")
    return out


def render(report: Report) -> str:
    """Render a report as a self-contained HTML document."""
    s = report.summary
    pct = "n/a" if s.compliance is None else f"{s.compliance:.1f}%"
    bad = report.has_errors or bool(report.blocking)
    verdict = (
        "errors: some notebooks or rules could not be evaluated"
        if report.has_errors
        else f"{len(report.blocking)} unwaived failures at or above {report.fail_on.value}"
        if report.blocking
        else f"no unwaived failures at or above {report.fail_on.value}"
    )
    scope = "desired state only" if report.spec_only else "desired and observed state"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>Compliance report: modelarts-reconcile</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>ModelArts notebook compliance report</h1>",
        f'<p class="meta">Evaluated at {_e(report.now)} ({_e(scope)})'
        f"{' for project <code>' + _e(report.project_id) + '</code>' if report.project_id else ''}; "
        f"specs: {_e(', '.join(report.files))}</p>",
        f'<p class="{"verdict-bad" if bad else "verdict-ok"}"><strong>{_e(verdict)}</strong></p>',
        '<div class="cards">',
        f'<div class="card big">compliance<b>{_e(pct)}</b>pass / (pass + fail)</div>',
        f'<div class="card">pass<b class="pass">{s.passed}</b></div>',
        f'<div class="card">fail<b class="critical">{s.failed}</b></div>',
        f'<div class="card">waived<b>{s.waived}</b></div>',
        f'<div class="card">not applicable<b>{s.not_applicable}</b></div>',
        f'<div class="card">errors<b>{s.errors}</b></div>',
        "</div>",
        *_controls(report),
        "<h2>Waivers</h2>",
    ]
    if report.waivers:
        out.append(
            "<table><tr><th>state</th><th>waives</th><th>notebook</th><th>owner</th><th>expires</th>"
            "<th>reason</th><th>declared at</th></tr>"
        )
        for w in report.waivers:
            out.append(
                f"<tr><td>{_e(waiver_label(w))}</td><td>{_e(w.key)}</td><td>{_e(w.target)}</td><td>{_e(w.owner)}</td>"
                f"<td>{_e(w.expires)}</td><td>{_e(w.reason)}</td>"
                f"<td><code>{_e(w.location or '')}</code></td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No waivers.</p>")
    out += _notebooks(report)
    out.append(
        "<h2>Rules</h2><table><tr><th>rule</th><th>title</th><th>severity</th><th>why</th><th>remediation</th></tr>"
    )
    for r in report.rules:
        off = " (disabled)" if not r.enabled else ""
        out.append(
            f'<tr><td>{_e(r.id)}{_e(off)}</td><td>{_e(r.title)}</td><td class="{r.severity.value}">'
            f"{_e(r.severity.value)}</td><td>{_e(r.rationale)}</td><td>{_e(r.remediation)}</td></tr>"
        )
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"
