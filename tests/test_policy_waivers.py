"""Waivers: matching, expiry, and the property that a waiver never hides a finding it does not match."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from reconcile._core.report import Finding, Severity, Status, Subject, WaiverState
from reconcile._policy.engine import apply_waivers, evaluate
from reconcile._policy.waivers import Waiver, Waivers, expiry_end, state_at
from reconcile._specfile.load import spec_from_data

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
NAMES = st.sampled_from(["a", "b", "c"])
IDS = st.sampled_from([None, "id-a", "id-b"])
RULES = st.sampled_from(["MA001", "MA004", "MA012", "ORG001"])
FIELDS = st.sampled_from(["", "lease", "lease.duration", "lease.enable", "volume.capacity", "leased"])

findings = st.builds(
    Finding,
    rule=RULES,
    name=NAMES,
    notebook_id=IDS,
    subject=st.sampled_from(Subject),
    status=st.sampled_from(Status),
    severity=st.sampled_from(Severity),
    message=st.just("m"),
    field=FIELDS,
)


@st.composite
def waivers(draw: st.DrawFn) -> Waiver:
    by_rule = draw(st.booleans())
    by_name = draw(st.booleans())
    return Waiver(
        reason="r",
        owner="o",
        expires=NOW.date() + dt.timedelta(days=draw(st.integers(-5, 30))),
        rule=draw(RULES) if by_rule else None,
        drift=None if by_rule else draw(st.sampled_from(["lease", "lease.duration", "volume"])),
        notebook=draw(NAMES) if by_name else None,
        notebook_id=None if by_name else draw(st.sampled_from(["id-a", "id-b"])),
        subject=draw(st.sampled_from([None, *Subject])),
    )


@given(st.lists(findings, max_size=12), st.lists(waivers(), max_size=6))
def test_a_waiver_never_hides_a_finding_it_does_not_match(fs: list[Finding], ws: list[Waiver]) -> None:
    """Only failures change; each waived one is matched by a valid waiver; each other failure by none."""
    out, infos = apply_waivers(fs, Waivers(tuple(ws)), NOW, 14)
    assert len(out) == len(fs)
    for before, after in zip(fs, out, strict=True):
        valid = [w for w in ws if w.matches(before) and state_at(w, NOW, 14) is not WaiverState.EXPIRED]
        if before.status is not Status.FAIL:
            assert after == before
        elif after.status is Status.WAIVED:
            assert valid and after.waiver is not None
            assert after.waiver.key in {w.key for w in valid}
        else:
            assert after.status is Status.FAIL
            first = next((w for w in ws if w.matches(before)), None)
            assert first is None or state_at(first, NOW, 14) is WaiverState.EXPIRED
            assert (after.waiver_expired is not None) == (first is not None)
    # a waiver is used when it is the first to match some failure (file order decides)
    firsts = {
        next(i for i, w in enumerate(ws) if w.matches(f))
        for f in fs
        if f.status is Status.FAIL and any(w.matches(f) for w in ws)
    }
    assert [info.used for info in infos] == [i in firsts for i in range(len(ws))]


def test_drift_waiver_covers_its_field_and_the_fields_below_only() -> None:
    """`drift: lease` covers lease.duration but not `leased` (a prefix of text is not a parent path)."""
    w = Waiver("r", "o", NOW.date(), drift="lease", notebook="a")
    fail = Finding("MA012", "a", None, Subject.OBSERVED, Status.FAIL, Severity.MEDIUM, "m", "lease.duration")
    assert w.matches(fail)
    assert not w.matches(
        Finding("MA012", "a", None, Subject.OBSERVED, Status.FAIL, Severity.MEDIUM, "m", "leased")
    )
    assert not w.matches(
        Finding("MA004", "a", None, Subject.OBSERVED, Status.FAIL, Severity.MEDIUM, "m", "lease")
    )
    assert not w.matches(
        Finding("MA012", "b", None, Subject.OBSERVED, Status.FAIL, Severity.MEDIUM, "m", "lease")
    )


def test_expiry_is_the_end_of_the_day_utc() -> None:
    """A waiver expiring on a day is valid through 23:59:59.999 UTC of that day and expired at midnight."""
    w = Waiver("r", "o", dt.date(2026, 12, 1), rule="MA004", notebook="a")
    assert expiry_end(w.expires) == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert state_at(w, dt.datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=dt.UTC), 0) is WaiverState.ACTIVE
    assert state_at(w, dt.datetime(2026, 12, 2, tzinfo=dt.UTC), 0) is WaiverState.EXPIRED
    assert state_at(w, dt.datetime(2026, 11, 20, tzinfo=dt.UTC), 14) is WaiverState.EXPIRING
    assert state_at(w, dt.datetime(2026, 11, 1, tzinfo=dt.UTC), 14) is WaiverState.ACTIVE


def test_waiver_by_id_and_subject_through_the_engine() -> None:
    """A waiver naming the notebook id and the desired subject waives that one result only."""
    spec = spec_from_data(
        {
            "version": 1,
            "notebooks": {
                "x": {"id": "id-x", "lease": {"enable": False}},
                "y": {"id": "id-y", "lease": {"enable": False}},
            },
        }
    )
    w = Waiver("r", "o", dt.date(2026, 12, 31), rule="MA004", notebook_id="id-x", subject=Subject.DESIRED)
    report = evaluate(spec, waivers=Waivers((w,)), now=NOW)
    got = {(f.name, f.rule): f.status for f in report.findings if f.rule == "MA004"}
    assert got == {("x", "MA004"): Status.WAIVED, ("y", "MA004"): Status.FAIL}
    assert report.waivers[0].used and not report.unused_waivers
