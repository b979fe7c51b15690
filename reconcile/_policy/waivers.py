"""Waivers: which failure a waiver covers, and where it stands on a given day.

A waiver names a rule (`rule: MA004`) or a drifted field (`drift: lease.duration`), a notebook (its
spec address name, or `id:`), and optionally one subject. It is valid through the end of its
`expires` day, UTC. A waiver never covers a result it does not match: `matches` is the only test.
"""

from __future__ import annotations

import datetime as dt

import attrs

from reconcile._core.location import Location
from reconcile._core.report import Finding, Subject, WaiverInfo, WaiverState

__all__ = ["DRIFT_RULE", "Waiver", "Waivers", "expiry_end", "state_at"]

#: The rule whose results `drift:` waivers cover.
DRIFT_RULE = "MA012"


@attrs.frozen
class Waiver:
    """One waiver from a waiver file (validated)."""

    reason: str
    owner: str
    expires: dt.date
    rule: str | None = None
    drift: str | None = None
    notebook: str | None = None
    notebook_id: str | None = None
    subject: Subject | None = None
    location: Location | None = attrs.field(default=None, eq=False)

    @property
    def key(self) -> str:
        """The rule id, or `drift:PATH`."""
        return self.rule if self.rule is not None else f"drift:{self.drift}"

    def names(self, name: str, notebook_id: str | None) -> bool:
        """Whether the waiver names this notebook (by address name or by id)."""
        if self.notebook is not None:
            return self.notebook == name
        return notebook_id is not None and self.notebook_id == notebook_id

    def covers_drift(self, path: str) -> bool:
        """Whether a `drift:` waiver covers this drifted spec path (the path itself or one below it)."""
        return self.drift is not None and (path == self.drift or path.startswith(self.drift + "."))

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver is about this result: same rule (or drifted field), notebook, subject."""
        if not self.names(finding.name, finding.notebook_id):
            return False
        if self.subject is not None and self.subject is not finding.subject:
            return False
        if self.rule is not None:
            return self.rule == finding.rule
        return finding.rule == DRIFT_RULE and self.covers_drift(finding.field)

    def observed_only(self) -> bool:
        """Whether only an observed-state run can use it (drift, `subject: observed`, MA010-MA013)."""
        return (
            self.drift is not None
            or self.subject is Subject.OBSERVED
            or self.rule in {"MA010", "MA011", "MA012", "MA013"}
        )

    def info(self, state: WaiverState, used: bool = False, evaluated: bool = True) -> WaiverInfo:
        """The waiver as a report shows it."""
        return WaiverInfo(
            self.key,
            self.notebook,
            self.notebook_id,
            self.subject,
            self.reason,
            self.owner,
            self.expires.isoformat(),
            state,
            self.location,
            used,
            evaluated,
        )


def expiry_end(expires: dt.date) -> dt.datetime:
    """The first instant a waiver is no longer valid: the day after `expires`, 00:00 UTC.

    A waiver that expires on the last day a date can hold (9999-12-31) ends at the last instant of it.
    """
    if expires >= dt.date.max:
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(expires + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def state_at(waiver: Waiver, now: dt.datetime, warn_days: int) -> WaiverState:
    """Active, expiring (within `warn_days` of its end) or expired, at `now`."""
    end = expiry_end(waiver.expires)
    if now >= end:
        return WaiverState.EXPIRED
    if end - now <= dt.timedelta(days=warn_days):
        return WaiverState.EXPIRING
    return WaiverState.ACTIVE


@attrs.frozen
class Waivers:
    """The waivers of a waiver file, in file order."""

    waivers: tuple[Waiver, ...] = ()
    file: str | None = None
