"""The compliance report: rules, results and waivers, as pure data.

`reconcile._policy` evaluates rules and produces a `Report`; the report renderers
(`reconcile._render.report_*`) read a `Report` and nothing else. It lives in the core, not in the
policy package, so the renderers depend on plain data only (the same arrangement as `Plan`): a
renderer never needs the rule engine, CEL or the spec loader, and `reconcile show`-like readers could
rebuild a Report from its JSON without them.

Every text here (messages, reasons, names) may come from a spec, a waiver file or the service:
renderers escape it for their medium. No secret is ever stored in a report.
"""

from __future__ import annotations

import enum
import functools
import operator
from collections.abc import Callable, Iterable, Iterator

import attrs

from reconcile._core.location import Location

__all__ = [
    "REPORT_VERSION",
    "Control",
    "Finding",
    "NotebookResults",
    "Report",
    "ReportSummary",
    "RuleInfo",
    "Severity",
    "Status",
    "Subject",
    "WaiverInfo",
    "WaiverState",
]

#: Version of the JSON report format (`schemas/report.schema.json`).
REPORT_VERSION = "1.0"


class Severity(enum.StrEnum):
    """How bad a failure of a rule is, from `info` to `critical`."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return _RANK[self]


_RANK = {s: i for i, s in enumerate(Severity)}


class Status(enum.StrEnum):
    """The outcome of one rule on one notebook's desired or observed state."""

    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Subject(enum.StrEnum):
    """Which state of a notebook a result is about: the spec entry or the live notebook."""

    DESIRED = "desired"
    OBSERVED = "observed"


class WaiverState(enum.StrEnum):
    """Where a waiver stands at evaluation time."""

    ACTIVE = "active"
    EXPIRING = "expiring"  # active, but expires within `warn_days`
    EXPIRED = "expired"


@attrs.frozen
class Control:
    """A control of a framework a rule maps to.

    Attributes:
        framework: `ISO/IEC 27001:2022`, `CIS Controls v8` or `NIST SP 800-53 Rev. 5`.
        id: the control's id in that framework (`A.8.20`, `4.4`, `AC-17`).
        title: the control's name.
        judgement: True where the mapping is our judgement rather than a published mapping.
    """

    framework: str
    id: str
    title: str
    judgement: bool = False


@attrs.frozen
class RuleInfo:
    """What a rule is, as reports describe it.

    Attributes:
        id: `MA001`..`MA013` for built-in rules, the policy's id (`ORG001`) for custom ones.
        title: one line.
        severity: the effective severity (the policy may override the default).
        rationale: why the rule exists.
        remediation: what to change to pass.
        help_uri: where the rule is documented.
        controls: the framework controls it supports.
        custom: whether it is a custom (CEL) rule from a policy file.
        enabled: whether the policy runs it (disabled rules are listed, never evaluated).
    """

    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    help_uri: str
    controls: tuple[Control, ...] = ()
    custom: bool = False
    enabled: bool = True


@attrs.frozen
class WaiverInfo:
    """One waiver from a waiver file, as a report shows it.

    Attributes:
        key: what it waives: a rule id (`MA004`) or `drift:PATH` (`drift:lease.duration`).
        notebook: the spec address name it names, or None when it names a notebook id.
        notebook_id: the notebook id it names, or None.
        subject: desired or observed when it is narrowed to one, else None (both).
        reason: why, as written.
        owner: who answers for it.
        expires: the last day it is valid (`YYYY-MM-DD`, through the end of that day, UTC).
        state: active, expiring or expired at evaluation time.
        location: where the waiver file declares it.
        used: whether it matched a failure (an unused waiver is reported as a warning).
        evaluated: False when the run could not have used it (a drift or observed-only waiver in a
            `--spec-only` run): it is then not reported as unused.
    """

    key: str
    notebook: str | None
    notebook_id: str | None
    subject: Subject | None
    reason: str
    owner: str
    expires: str
    state: WaiverState
    location: Location | None = None
    used: bool = False
    evaluated: bool = True

    @property
    def target(self) -> str:
        """The notebook it names, as written: the address name or `id:<id>`."""
        return self.notebook if self.notebook is not None else f"id:{self.notebook_id}"


@attrs.frozen(slots=False)  # a dict-based frozen init is ~30% faster: fleets make millions of these
class Finding:
    """The result of one rule on one state of one notebook (one per drifted field for MA012).

    Attributes:
        rule: the rule id.
        name: the spec entry's local name (the plan address is `huaweicloud_modelarts_notebook.NAME`).
        notebook_id: the notebook id (observed, or from the spec), when known.
        subject: desired or observed.
        status: pass, fail, waived, not_applicable or error.
        severity: the rule's effective severity.
        message: one line saying what was found.
        field: the spec path the finding is about (`lease.enable`, `endpoints[0].allowed_access_ips`),
            or "" for the notebook as a whole.
        location: the spec file and line of that field (or of the entry), when known.
        waiver: the waiver that covers (or covered, when expired) this failure.
        waiver_expired: the expiry date when a waiver covered this failure but has expired.
    """

    rule: str
    name: str
    notebook_id: str | None
    subject: Subject
    status: Status
    severity: Severity
    message: str
    field: str = ""
    location: Location | None = None
    waiver: WaiverInfo | None = None
    waiver_expired: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        """Notebook, rule, subject, field: the order every renderer lists results in."""
        return (self.name, self.rule, self.subject, self.field)  # a StrEnum sorts as its text


@attrs.frozen
class ReportSummary:
    """Counts over a report's results, and the compliance percentage."""

    passed: int
    failed: int
    waived: int
    not_applicable: int
    errors: int

    @property
    def compliance(self) -> float | None:
        """pass / (pass + fail), in percent (waived shown apart); None when nothing was judged."""
        judged = self.passed + self.failed
        return None if judged == 0 else round(100.0 * self.passed / judged, 1)


#: A pass or not-applicable result before it is made a `Finding`: rule, subject, field, status,
#: severity, message. A fleet has hundreds of thousands of them and most formats only count them.
Row = tuple[str, Subject, str, Status, Severity, str]

#: The order of the results of one notebook: rule, subject, field (a StrEnum sorts as its text).
_IN_NOTEBOOK = operator.attrgetter("rule", "subject", "field")


@attrs.frozen
class NotebookResults:
    """The results of one notebook (a spec entry, or an unmanaged notebook), in the order produced.

    Failures, errors and waived results are `Finding`s; passes and not-applicable results are kept
    as `Row`s, made `Finding`s only when a renderer asks for every result (`Report.findings`).

    Attributes:
        name: the spec entry's local name (or the unmanaged notebook's name or id).
        desired_id: the notebook id the spec states, when it does.
        observed_id: the observed notebook's id, when it was observed.
        items: the results, each a `Finding` or a `Row`.
        locate: where the spec declares a field of this entry (None for an unmanaged notebook).
    """

    name: str
    desired_id: str | None
    observed_id: str | None
    items: tuple[Finding | Row, ...]
    locate: Callable[[str], Location] | None = attrs.field(default=None, eq=False, repr=False)

    def findings(self) -> list[Finding]:
        """Every result as a `Finding`, in production order."""
        name, locate, ids = self.name, self.locate, (self.desired_id, self.observed_id)
        return [
            item
            if isinstance(item, Finding)
            else Finding(
                item[0],
                name,
                ids[item[1] is Subject.OBSERVED],
                item[1],
                item[3],
                item[4],
                item[5],
                item[2],
                None if locate is None else locate(item[2]),
            )
            for item in self.items
        ]

    def problems(self) -> Iterator[Finding]:
        """The failures, errors and waived results (never a pass or a not-applicable one)."""
        return (item for item in self.items if isinstance(item, Finding))


def _by_name(results: Iterable[NotebookResults]) -> tuple[NotebookResults, ...]:
    return tuple(sorted(results, key=operator.attrgetter("name")))  # stable: same names keep their order


@attrs.frozen
class Report:
    """A compliance report: every rule, every result, every waiver, the errors.

    Attributes:
        now: the evaluation time, RFC 3339 UTC (`2026-12-01T00:00:00Z`).
        rules: every known rule (built-in and custom, enabled or not), sorted by id.
        results: every notebook's results, sorted by notebook name (see `findings`).
        waivers: every waiver of the waiver file, in file order, with state and use.
        errors: notebooks or rules that could not be evaluated, as (name, message), sorted.
        fail_on: the lowest severity whose unwaived failures fail the run.
        spec_only: whether only the desired state was evaluated.
        project_id: the project the spec names, when it does.
        files: the spec files read.
    """

    now: str
    rules: tuple[RuleInfo, ...]
    results: tuple[NotebookResults, ...] = attrs.field(converter=_by_name)
    waivers: tuple[WaiverInfo, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    fail_on: Severity = Severity.LOW
    spec_only: bool = True
    project_id: str | None = None
    files: tuple[str, ...] = ()

    @functools.cached_property
    def findings(self) -> tuple[Finding, ...]:
        """Every result, sorted by notebook, rule, subject and field (made on first use)."""
        return tuple(self._in_order(NotebookResults.findings))

    def problems(self) -> Iterator[Finding]:
        """The failures, errors and waived results, in the order of `findings` (no pass or n/a is made)."""
        return self._in_order(lambda results: list(results.problems()))

    def _in_order(self, take: Callable[[NotebookResults], list[Finding]]) -> Iterator[Finding]:
        group: list[Finding] = []
        name: str | None = None
        for results in self.results:  # sorted by name: each notebook's results are sorted alone
            if results.name != name:
                group.sort(key=_IN_NOTEBOOK)
                yield from group
                group, name = [], results.name
            group += take(results)
        group.sort(key=_IN_NOTEBOOK)
        yield from group

    @property
    def summary(self) -> ReportSummary:
        """Counts of pass, fail, waived, not applicable and error results."""
        counts = dict.fromkeys(Status, 0)
        for results in self.results:
            for item in results.items:
                counts[item.status if isinstance(item, Finding) else item[3]] += 1
        return ReportSummary(
            counts[Status.PASS],
            counts[Status.FAIL],
            counts[Status.WAIVED],
            counts[Status.NOT_APPLICABLE],
            counts[Status.ERROR] + len(self.errors),
        )

    def rule(self, rule_id: str) -> RuleInfo | None:
        """The rule with this id, or None."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The unwaived failures at or above `fail_on`: these make the exit status 2."""
        return tuple(
            f for f in self.problems() if f.status is Status.FAIL and f.severity.rank >= self.fail_on.rank
        )

    @property
    def has_errors(self) -> bool:
        """Whether a notebook or a rule could not be evaluated (exit status 1)."""
        return bool(self.errors) or any(f.status is Status.ERROR for f in self.problems())

    @property
    def unused_waivers(self) -> tuple[WaiverInfo, ...]:
        """Waivers that matched no failure (expired ones excepted: they are reported as expired)."""
        return tuple(
            w for w in self.waivers if not w.used and w.evaluated and w.state is not WaiverState.EXPIRED
        )
