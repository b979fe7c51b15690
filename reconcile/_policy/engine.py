"""Evaluation: every enabled rule on every spec entry's desired state (and observed state), waivers
applied, into one `Report`.

One notebook that cannot be observed, or one custom expression that fails on it, is an error for that
notebook (or that rule on it); every other result is still produced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    NotebookResults,
    Report,
    Row,
    RuleInfo,
    Severity,
    Status,
    Subject,
    WaiverInfo,
    WaiverState,
)
from reconcile._core.spec import Spec, SpecEntry
from reconcile._files.jsonencode import encoder
from reconcile._policy import rules as builtin
from reconcile._policy.document import (
    desired_document,
    desired_key,
    observed_document,
    observed_key,
    status_document,
    volatile_key,
)
from reconcile._policy.settings import Policy
from reconcile._policy.waivers import Waiver, Waivers, state_at

__all__ = ["Observed", "drift_matches", "evaluate", "observed_state", "rfc3339", "rule_infos"]


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


_DUMP = encoder(sort_keys=True, ensure_ascii=False, allow_nan=True)


def _short(value: Any) -> str:
    text = _DUMP(value)
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


class _Live:
    """The observed document of a notebook, made on first call, endpoints numbered as the spec's."""

    __slots__ = ("_doc", "_entry", "_notebook")

    def __init__(self, entry: SpecEntry, notebook: Notebook) -> None:
        self._entry, self._notebook = entry, notebook
        self._doc: dict[str, Any] | None = None

    def __call__(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = observed_document(self._notebook)
            _align_endpoints(self._entry, self._doc)
        return self._doc


def _made(live: _Live) -> dict[str, Any]:
    return live()


class _Where:
    """Where the spec declares a field of one entry: the field, the nearest enclosing one, or the entry."""

    __slots__ = ("_cache", "_entry", "name")

    def __init__(self, entry: SpecEntry) -> None:
        self._entry = entry
        self.name = entry.name
        self._cache: dict[str, Location] | None = None  # made on first use: most entries never ask
        # the spec's lines are read now, while the run is on: a report may be rendered much later
        # (another working directory, the file edited meanwhile)
        fields = getattr(entry, "field_locations", None)
        if fields is not None:
            len(fields)

    def __call__(self, field: str) -> Location:
        cache = self._cache
        if cache is None:
            entry = self._entry
            declared: Location | None = getattr(entry, "location", None)
            cache = self._cache = {"": declared or Location(entry.file, None, f"notebooks.{entry.name}")}
        found = cache.get(field)
        if found is None:
            found = cache[field] = self._find(field)
        return found

    def _find(self, field: str) -> Location:
        fields: Mapping[str, Location] = getattr(self._entry, "field_locations", None) or {}
        if fields:
            parts = _spec_field(self._entry, field).split(".")
            for end in range(len(parts), 0, -1):  # the field, or the nearest enclosing one declared
                hit = fields.get(".".join(parts[:end]))
                if hit is not None:
                    return hit
        return self("")


class _Waiving:
    """Applies waivers to failures one by one, keeping which waiver was used."""

    def __init__(self, waivers: Waivers | None, now: dt.datetime, warn_days: int) -> None:
        self.listed = list(waivers.waivers) if waivers else []
        self.states = [state_at(w, now, warn_days) for w in self.listed]
        self.used = [False] * len(self.listed)

    def __call__(self, f: Finding) -> Finding:
        """The failure as the first waiver that matches it leaves it: waived, or failed as expired."""
        for i, w in enumerate(self.listed):
            if not w.matches(f):
                continue
            self.used[i] = True
            if self.states[i] is WaiverState.EXPIRED:
                return attrs.evolve(
                    f, waiver=w.info(self.states[i], True), waiver_expired=w.expires.isoformat()
                )
            return attrs.evolve(f, status=Status.WAIVED, waiver=w.info(self.states[i], True))
        return f

    def infos(self, *, spec_only: bool) -> list[WaiverInfo]:
        """Every waiver with its state and use."""
        return [
            w.info(self.states[i], self.used[i], evaluated=not (spec_only and w.observed_only()))
            for i, w in enumerate(self.listed)
        ]


_QUIET = (Status.PASS, Status.NOT_APPLICABLE)


class _Run:
    """One evaluation: the policy, the time, the compiled custom rules, the results so far."""

    def __init__(self, policy: Policy, now: dt.datetime, waiving: _Waiving) -> None:
        self.policy = policy
        self.now = now
        self.waive = waiving if waiving.listed else None
        self.errors: list[tuple[str, str]] = []
        self.programs: dict[str, Any] = {}
        # worked out once per run, not once per notebook: the enabled checks with their settings
        self.checks, self.volatile = (
            {
                subject: [
                    (rule.id, rule.check, policy.severity(rule.id), policy.params(rule.id))
                    for rule in builtin.BUILTIN.values()
                    if rule.check is not None
                    and rule.volatile is volatile
                    and subject in rule.subjects
                    and policy.setting(rule.id).enabled
                ]
                for subject in Subject
            }
            for volatile in (False, True)
        )
        enabled = policy.setting("MA012").enabled
        self.drift_severity = policy.severity("MA012") if enabled else None
        self.in_sync: Row = (
            "MA012",
            Subject.OBSERVED,
            "",
            Status.PASS,
            policy.severity("MA012"),
            "matches the spec",
        )
        # the results of the non-volatile checks by (subject, key): a fleet repeats a few shapes
        self.memo: dict[tuple[Subject, Any], tuple[tuple[Row, ...], bool]] = {}
        self.volatile_memo: dict[Any, tuple[Row, ...]] = {}
        self.contexts = {subject: builtin.check_context(subject, now) for subject in Subject}
        if policy.custom:
            from reconcile._policy import cel

            for rule in policy.custom:
                self.programs[rule.id] = cel.compile_expression(rule.expression)  # checked on load

    def builtin(  # noqa: PLR0917 - the state judged, and how to name and place its results
        self,
        items: list[Finding | Row],
        where: _Where,
        subject: Subject,
        key: Any,
        doc: Callable[[Any], Mapping[str, Any]],
        arg: Any,
        nb_id: str | None,
    ) -> None:
        """The non-volatile checks on one state, judged once per distinct `key` (`doc(arg)` made on
        a miss)."""
        memo_key = (subject, key)
        known = self.memo.get(memo_key)
        if known is None:
            known = self.memo[memo_key] = self._judge(self.checks[subject], subject, doc(arg))
        rows, problems = known
        if not problems:
            items += rows
            return
        self._add(items, rows, where, nb_id)

    def volatile_checks(self, items: list[Finding | Row], where: _Where, notebook: Notebook) -> None:
        """The volatile checks on one observed state, judged once per `volatile_key` (the status,
        and the update time only where a rule reads it: a fleet's running notebooks share one)."""
        key = volatile_key(notebook)
        rows = self.volatile_memo.get(key)
        if rows is None:
            rows = self.volatile_memo[key] = self._judge(
                self.volatile[Subject.OBSERVED], Subject.OBSERVED, status_document(notebook)
            )[0]
        self._add(items, rows, where, notebook.id)

    def _add(self, items: list[Finding | Row], rows: Sequence[Row], where: _Where, nb_id: str | None) -> None:
        """Judged rows into a notebook's results: passes and not-applicable ones kept as rows, the
        others made into findings (placed, and waived where a waiver says so)."""
        for row in rows:
            if row[3] in _QUIET:
                items.append(row)
            else:
                items.append(self.finding(where, row[0], row[1], row[3], row[4], row[5], row[2], nb_id))

    def _judge(
        self,
        checks: Sequence[tuple[str, Any, Severity, Mapping[str, Any]]],
        subject: Subject,
        doc: Mapping[str, Any],
    ) -> tuple[tuple[Row, ...], bool]:
        ctx = self.contexts[subject]
        rows: list[Row] = []
        problems = False
        for rule_id, check, severity, params in checks:
            for out in check(doc, params, ctx):
                status = out.status
                rows.append((rule_id, subject, out.field, status, severity, out.message))
                problems = problems or status not in _QUIET
        return tuple(rows), problems

    def custom(
        self,
        items: list[Finding | Row],
        where: _Where,
        subject: Subject,
        doc: dict[str, Any],
        nb_id: str | None,
    ) -> None:
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
                message = f"expression failed: {exc}"
                items.append(
                    self.finding(where, rule.id, subject, Status.ERROR, rule.severity, message, "", nb_id)
                )
                continue
            if ok:
                items.append((rule.id, subject, "", Status.PASS, rule.severity, rule.title))
            else:
                items.append(
                    self.finding(where, rule.id, subject, Status.FAIL, rule.severity, rule.message, "", nb_id)
                )

    def drift(self, items: list[Finding | Row], where: _Where, rc: ResourceChange) -> None:
        if self.drift_severity is None:  # MA012 is disabled
            return
        severity = self.drift_severity
        nb_id = rc.notebook_id
        observed = Subject.OBSERVED
        if Action.CREATE in rc.actions and not rc.differences:
            note = rc.notes[0] if rc.notes else "the notebook does not exist"
            items.append(self.finding(where, "MA012", observed, Status.FAIL, severity, note, "", nb_id))
            return
        if not rc.differences:
            items.append(self.in_sync)
            return
        for d in rc.differences:
            message = f"{d.dotted_path}: observed {_short(d.observed)}, the spec says {_short(d.desired)}"
            items.append(
                self.finding(where, "MA012", observed, Status.FAIL, severity, message, d.dotted_path, nb_id)
            )

    def finding(  # noqa: PLR0917 - one finding's fields, always given in this order
        self,
        where: _Where | None,
        rule: str,
        subject: Subject,
        status: Status,
        severity: Severity,
        message: str,
        field: str,
        nb_id: str | None,
        name: str | None = None,
    ) -> Finding:
        """A failure or error as a `Finding`, its waiver applied."""
        f = Finding(
            rule,
            where.name if name is None and where is not None else name or "",
            nb_id,
            subject,
            status,
            severity,
            message,
            field,
            None if where is None else where(field),
        )
        return self.waive(f) if self.waive is not None and status is Status.FAIL else f


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
    waiving = _Waiving(waivers, now, policy.waivers.warn_days)
    run = _Run(policy, now, waiving)
    changes = {rc.name: rc for rc in observed.plan.resource_changes} if observed else {}
    plan_errors = {e.name: e for e in observed.plan.errors} if observed else {}
    ma013 = observed is not None and policy.setting("MA013").enabled
    if ma013 and observed is not None:
        listed = observed.plan.listed is not None
        managed: Row = (
            "MA013",
            Subject.OBSERVED,
            "",
            Status.PASS if listed else Status.NOT_APPLICABLE,
            policy.severity("MA013"),
            "managed by this spec" if listed else "no listing of the project was observed",
        )
    results: list[NotebookResults] = []
    for entry in spec.entries:
        items: list[Finding | Row] = []
        where = _Where(entry)
        spec_nb = entry.notebook
        run.builtin(
            items,
            where,
            Subject.DESIRED,
            desired_key(spec_nb),
            desired_document,
            spec_nb,
            spec_nb.id,
        )
        if policy.custom:
            run.custom(items, where, Subject.DESIRED, desired_document(spec_nb), spec_nb.id)
        notebook = None
        if observed is not None:
            if entry.name in plan_errors:
                run.errors.append((entry.name, plan_errors[entry.name].message))
            else:
                notebook = observed.notebooks.get(entry.name)
                if notebook is not None:
                    services = tuple([ep.dev_service._value_ for ep in spec_nb.endpoints or ()])
                    live = _Live(entry, notebook)
                    run.builtin(
                        items,
                        where,
                        Subject.OBSERVED,
                        observed_key(notebook, services),
                        _made,
                        live,
                        notebook.id,
                    )
                    if run.volatile[Subject.OBSERVED]:
                        run.volatile_checks(items, where, notebook)
                    if policy.custom:
                        run.custom(items, where, Subject.OBSERVED, live(), notebook.id)
                    if ma013:
                        items.append(managed)
                rc = changes.get(entry.name)
                if rc is not None:
                    run.drift(items, where, rc)
        results.append(
            NotebookResults(
                entry.name, entry.notebook.id, None if notebook is None else notebook.id, tuple(items), where
            )
        )
    if ma013 and observed is not None:
        for u in observed.plan.unmanaged:
            if u.counts:  # one the spec's unmanaged.ignore rules names is known, not a finding
                name = u.name if u.name is not None else u.notebook_id
                f = run.finding(
                    None,
                    "MA013",
                    Subject.OBSERVED,
                    Status.FAIL,
                    policy.severity("MA013"),
                    f"notebook {u.notebook_id} ({u.status or 'no status'}) is listed, "
                    "but no spec entry manages it",
                    "",
                    u.notebook_id,
                    name=name,
                )
                results.append(NotebookResults(name, None, u.notebook_id, (f,)))
    return Report(
        now=rfc3339(now),
        rules=rule_infos(policy),
        results=tuple(results),
        waivers=tuple(waiving.infos(spec_only=observed is None)),
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
    waiving = _Waiving(waivers, now, warn_days)
    out = [waiving(f) if f.status is Status.FAIL else f for f in findings]
    return out, waiving.infos(spec_only=spec_only)


def drift_matches(
    rc: ResourceChange, waivers: Waivers, now: dt.datetime, warn_days: int
) -> list[tuple[str, Waiver, WaiverState]]:
    """The differences of one planned change that a `drift:` waiver covers, by path, each with the
    first waiver that covers it and its state (an expired one acknowledges nothing: the caller
    counts that drift again)."""
    out: list[tuple[str, Waiver, WaiverState]] = []
    for d in rc.differences:
        for w in waivers.waivers:
            if w.drift is None or w.subject is Subject.DESIRED or not w.names(rc.name, rc.notebook_id):
                continue
            if w.covers_drift(d.dotted_path):
                out.append((d.dotted_path, w, state_at(w, now, warn_days)))
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
