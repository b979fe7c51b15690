"""Evaluation: every enabled rule on every spec entry's desired state (and observed state), waivers
applied, into one `Report`.

One notebook that cannot be observed, or one custom expression that fails on it, is an error for that
notebook (or that rule on it); every other result is still produced.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from reconcile._codec import decode_notebook
from reconcile._core.errors import DecodeError
from reconcile._core.location import Location
from reconcile._core.model import Notebook
from reconcile._core.observation import Found, Observation
from reconcile._core.plan import Action, Plan, ResourceChange
from reconcile._core.report import (
    Finding,
    Report,
    RuleInfo,
    Severity,
    Status,
    Subject,
    WaiverInfo,
    WaiverState,
)
from reconcile._core.spec import Spec, SpecEntry
from reconcile._policy import rules as builtin
from reconcile._policy.document import desired_document, observed_document
from reconcile._policy.settings import Policy
from reconcile._policy.waivers import Waiver, Waivers, state_at

__all__ = ["Observed", "acknowledged_drift", "evaluate", "observed_state", "rfc3339", "rule_infos"]


@attrs.frozen
class Observed:
    """The observed state: decoded notebooks by spec local name, and the plan (for MA012 and errors)."""

    notebooks: Mapping[str, Notebook] = attrs.field(hash=False)
    plan: Plan


def rfc3339(now: dt.datetime) -> str:
    """`now` as RFC 3339 UTC with a `Z` (seconds precision, microseconds when present)."""
    text = now.astimezone(dt.UTC).isoformat()
    return text.replace("+00:00", "Z")


def rule_infos(policy: Policy) -> tuple[RuleInfo, ...]:
    """Every built-in and custom rule as reports describe it, sorted by id."""
    infos = [
        RuleInfo(
            r.id,
            r.title,
            policy.severity(r.id),
            r.rationale,
            r.remediation,
            r.help_uri,
            r.controls,
            enabled=policy.setting(r.id).enabled,
        )
        for r in builtin.BUILTIN.values()
    ]
    infos += [
        RuleInfo(
            c.id,
            c.title,
            c.severity,
            c.rationale or c.message,
            c.remediation or c.message,
            c.help or "custom rule of the policy file",
            custom=True,
        )
        for c in policy.custom
    ]
    return tuple(sorted(infos, key=lambda r: r.id))


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _spec_field(entry: SpecEntry, field: str) -> str:
    """A plan path (`endpoints.SSH.allowed_access_ips`) as the spec writes it (`endpoints[0]....`)."""
    parts = field.split(".")
    if len(parts) >= 2 and parts[0] == "endpoints" and not parts[1].startswith("["):
        for index, ep in enumerate(entry.notebook.endpoints or ()):
            if str(ep.dev_service) == parts[1]:
                return ".".join([f"endpoints[{index}]", *parts[2:]])
    return field


def _align_endpoints(entry: SpecEntry, live: dict[str, Any]) -> None:
    """Number the observed endpoints as the spec does (by service), so fields and waivers line up."""
    spec_index = {str(ep.dev_service): i for i, ep in enumerate(entry.notebook.endpoints or ())}
    for ep in live.get("endpoints", ()):
        ep["index"] = spec_index.get(ep.get("dev_service", ""), ep["index"])


class _Where:
    """Where the spec declares a field of one entry: the field, the nearest enclosing one, or the entry."""

    __slots__ = ("_cache", "_entry", "_fields")

    def __init__(self, entry: SpecEntry) -> None:
        self._entry = entry
        self._fields: Mapping[str, Location] = getattr(entry, "field_locations", None) or {}
        declared: Location | None = getattr(entry, "location", None)
        self._cache: dict[str, Location] = {
            "": declared or Location(entry.file, None, f"notebooks.{entry.name}")
        }

    def __call__(self, field: str) -> Location:
        found = self._cache.get(field)
        if found is None:
            found = self._cache[field] = self._find(field)
        return found

    def _find(self, field: str) -> Location:
        if self._fields:
            parts = _spec_field(self._entry, field).split(".")
            for end in range(len(parts), 0, -1):  # the field, or the nearest enclosing one declared
                hit = self._fields.get(".".join(parts[:end]))
                if hit is not None:
                    return hit
        return self._cache[""]


def _location(entry: SpecEntry, field: str) -> Location:
    """Where the spec declares `field` of `entry` (see `_Where`)."""
    return _Where(entry)(field)


class _Run:
    """One evaluation: the policy, the time, the compiled custom rules, the findings so far."""

    def __init__(self, policy: Policy, now: dt.datetime) -> None:
        self.policy = policy
        self.now = now
        self.findings: list[Finding] = []
        self.errors: list[tuple[str, str]] = []
        self.programs: dict[str, Any] = {}
        # worked out once per run, not once per notebook: the enabled checks with their settings
        self.checks = {
            subject: [
                (rule.id, rule.check, policy.severity(rule.id), policy.params(rule.id))
                for rule in builtin.BUILTIN.values()
                if rule.check is not None and subject in rule.subjects and policy.setting(rule.id).enabled
            ]
            for subject in Subject
        }
        self.contexts = {subject: builtin.check_context(subject, now) for subject in Subject}
        self._where: tuple[SpecEntry | None, _Where | None] = (None, None)
        if policy.custom:
            from reconcile._policy import cel

            for rule in policy.custom:
                self.programs[rule.id] = cel.compile_expression(rule.expression)  # checked on load

    def where(self, entry: SpecEntry) -> _Where:
        """The location finder of `entry` (kept while the run stays on the same entry)."""
        last, finder = self._where
        if last is not entry or finder is None:
            finder = _Where(entry)
            self._where = (entry, finder)
        return finder

    def builtin(self, entry: SpecEntry, subject: Subject, doc: Mapping[str, Any], nb_id: str | None) -> None:
        ctx = self.contexts[subject]
        where = self.where(entry)
        append = self.findings.append
        name = entry.name
        for rule_id, check, severity, params in self.checks[subject]:
            for out in check(doc, params, ctx):
                append(
                    Finding(
                        rule_id,
                        name,
                        nb_id,
                        subject,
                        out.status,
                        severity,
                        out.message,
                        out.field,
                        where(out.field),
                    )
                )

    def custom(self, entry: SpecEntry, subject: Subject, doc: dict[str, Any], nb_id: str | None) -> None:
        if not self.policy.custom:
            return
        from reconcile._policy import cel

        variables = None
        for rule in self.policy.custom:
            if subject not in rule.subjects:
                continue
            try:
                variables = variables if variables is not None else cel.activation(doc)
                ok = cel.evaluate(self.programs[rule.id], doc, variables)
            except cel.CelError as exc:
                self.add(
                    entry,
                    rule.id,
                    subject,
                    Status.ERROR,
                    rule.severity,
                    f"expression failed: {exc}",
                    "",
                    nb_id,
                )
                continue
            status, message = (Status.PASS, rule.title) if ok else (Status.FAIL, rule.message)
            self.add(entry, rule.id, subject, status, rule.severity, message, "", nb_id)

    def drift(self, entry: SpecEntry, rc: ResourceChange) -> None:
        if not self.policy.setting("MA012").enabled:
            return
        severity = self.policy.severity("MA012")
        nb_id = rc.notebook_id
        if Action.CREATE in rc.actions and not rc.differences:
            note = rc.notes[0] if rc.notes else "the notebook does not exist"
            self.add(entry, "MA012", Subject.OBSERVED, Status.FAIL, severity, note, "", nb_id)
            return
        if not rc.differences:
            self.add(entry, "MA012", Subject.OBSERVED, Status.PASS, severity, "matches the spec", "", nb_id)
            return
        for d in rc.differences:
            message = f"{d.dotted_path}: observed {_short(d.observed)}, the spec says {_short(d.desired)}"
            self.add(entry, "MA012", Subject.OBSERVED, Status.FAIL, severity, message, d.dotted_path, nb_id)

    def add(  # noqa: PLR0917 - one finding's fields, always given in this order
        self,
        entry: SpecEntry,
        rule: str,
        subject: Subject,
        status: Status,
        severity: Severity,
        message: str,
        field: str,
        nb_id: str | None,
    ) -> None:
        self.findings.append(
            Finding(
                rule, entry.name, nb_id, subject, status, severity, message, field, _location(entry, field)
            )
        )


def evaluate(
    spec: Spec,
    policy: Policy | None = None,
    waivers: Waivers | None = None,
    *,
    now: dt.datetime,
    observed: Observed | None = None,
    fail_on: Severity = Severity.LOW,
) -> Report:
    """Evaluate every enabled rule on the spec (and the observed state, when given) and apply waivers.

    Args:
        spec: the desired state.
        policy: rule settings and custom rules (the default policy when None).
        waivers: the waivers to apply.
        now: the evaluation time (waiver expiry, MA011).
        observed: the observed notebooks and the plan; None evaluates the desired state only.
        fail_on: the lowest severity whose unwaived failures fail the run (kept in the report).

    Raises:
        CelError: a custom expression does not compile (the policy loader checks this first).
    """
    policy = policy or Policy()
    run = _Run(policy, now)
    changes = {rc.name: rc for rc in observed.plan.resource_changes} if observed else {}
    plan_errors = {e.name: e for e in observed.plan.errors} if observed else {}
    for entry in spec.entries:
        doc = desired_document(entry.notebook)
        run.builtin(entry, Subject.DESIRED, doc, entry.notebook.id)
        run.custom(entry, Subject.DESIRED, doc, entry.notebook.id)
        if observed is None:
            continue
        if entry.name in plan_errors:
            run.errors.append((entry.name, plan_errors[entry.name].message))
            continue
        notebook = observed.notebooks.get(entry.name)
        if notebook is not None:
            live = observed_document(notebook)
            _align_endpoints(entry, live)
            run.builtin(entry, Subject.OBSERVED, live, notebook.id)
            run.custom(entry, Subject.OBSERVED, live, notebook.id)
            if policy.setting("MA013").enabled:
                listed = observed.plan.listed is not None
                run.add(
                    entry,
                    "MA013",
                    Subject.OBSERVED,
                    Status.PASS if listed else Status.NOT_APPLICABLE,
                    policy.severity("MA013"),
                    "managed by this spec" if listed else "no listing of the project was observed",
                    "",
                    notebook.id,
                )
        rc = changes.get(entry.name)
        if rc is not None:
            run.drift(entry, rc)
    if observed is not None and policy.setting("MA013").enabled:
        for u in observed.plan.unmanaged:
            if u.counts:  # one the spec's unmanaged.ignore rules names is known, not a finding
                run.findings.append(
                    Finding(
                        "MA013",
                        u.name if u.name is not None else u.notebook_id,
                        u.notebook_id,
                        Subject.OBSERVED,
                        Status.FAIL,
                        policy.severity("MA013"),
                        f"notebook {u.notebook_id} ({u.status or 'no status'}) is listed, "
                        "but no spec entry manages it",
                    )
                )
    findings, infos = apply_waivers(
        run.findings, waivers, now, policy.waivers.warn_days, spec_only=observed is None
    )
    return Report(
        now=rfc3339(now),
        rules=rule_infos(policy),
        findings=tuple(findings),
        waivers=tuple(infos),
        errors=tuple(sorted(run.errors)),
        fail_on=fail_on,
        spec_only=observed is None,
        project_id=spec.project_id,
        files=spec.files,
    )


def apply_waivers(
    findings: Iterable[Finding],
    waivers: Waivers | None,
    now: dt.datetime,
    warn_days: int,
    *,
    spec_only: bool = False,
) -> tuple[list[Finding], list[WaiverInfo]]:
    """Each failure covered by the first waiver that matches it: waived while the waiver is valid,
    failed with `waiver_expired` after. Returns the findings and every waiver with state and use."""
    listed = list(waivers.waivers) if waivers else []
    states = [state_at(w, now, warn_days) for w in listed]
    used = [False] * len(listed)
    out: list[Finding] = []
    for finding in findings:
        f = finding
        if f.status is Status.FAIL:
            for i, w in enumerate(listed):
                if not w.matches(f):
                    continue
                used[i] = True
                if states[i] is WaiverState.EXPIRED:
                    f = attrs.evolve(f, waiver=w.info(states[i], True), waiver_expired=w.expires.isoformat())
                else:
                    f = attrs.evolve(f, status=Status.WAIVED, waiver=w.info(states[i], True))
                break
        out.append(f)
    infos = [
        w.info(states[i], used[i], evaluated=not (spec_only and w.observed_only()))
        for i, w in enumerate(listed)
    ]
    return out, infos


def acknowledged_drift(
    rc: ResourceChange, waivers: Waivers, now: dt.datetime, warn_days: int
) -> list[tuple[str, Waiver, WaiverState]]:
    """The differences of one planned change that a valid `drift:` waiver acknowledges, by path."""
    out: list[tuple[str, Waiver, WaiverState]] = []
    for d in rc.differences:
        for w in waivers.waivers:
            if w.drift is None or w.subject is Subject.DESIRED or not w.names(rc.name, rc.notebook_id):
                continue
            if w.covers_drift(d.dotted_path):
                state = state_at(w, now, warn_days)
                if state is not WaiverState.EXPIRED:
                    out.append((d.dotted_path, w, state))
                break
    return out


def observed_state(plan: Plan, observations: Mapping[str, Observation]) -> Observed:
    """The observed state for `evaluate`: each found notebook decoded (the plan already holds the
    errors of those that could not be), with the plan the same observations gave."""
    notebooks: dict[str, Notebook] = {}
    failed = {e.name for e in plan.errors}
    for name, observation in observations.items():
        if isinstance(observation, Found) and name not in failed:
            try:
                notebooks[name] = decode_notebook(observation.body, source=observation.source)
            except DecodeError:  # pragma: no cover - the plan reports it as an error first
                continue
    return Observed(notebooks, plan)
