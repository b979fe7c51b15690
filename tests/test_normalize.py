"""Normalisation (`reconcile._core.normalize`): when two written values mean the same thing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile._core.normalize import image_reference, join_image_reference

DIGEST = "sha256:" + "0f" * 32


@pytest.mark.parametrize(
    ("reference", "parts"),
    [
        ("swr.example.com/org/serve:1.4.2", ("swr.example.com/org/serve", "1.4.2", None)),
        (f"swr.example.com/org/serve:1.4.2@{DIGEST}", ("swr.example.com/org/serve", "1.4.2", DIGEST)),
        (f"swr.example.com/org/serve@{DIGEST}", ("swr.example.com/org/serve", None, DIGEST)),
        ("registry:5000/org/img", ("registry:5000/org/img", None, None)),
        (f"registry:5000/org/img:7@{DIGEST}", ("registry:5000/org/img", "7", DIGEST)),
        ("img:", ("img", None, None)),
    ],
)
def test_image_reference_reads_the_tag_before_the_digest(reference: str, parts: tuple[str, ...]) -> None:
    """The tag is the `:TAG` of the last segment before `@`; a port or a digest is never the tag."""
    assert image_reference(reference) == parts


@given(
    st.from_regex(r"[a-z0-9.-]{1,12}(:[0-9]{2,5})?(/[a-z0-9_.-]{1,10}){1,3}", fullmatch=True),
    st.none() | st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True),
    st.none() | st.just(DIGEST),
)
def test_image_reference_and_join_round_trip(repository: str, tag: str | None, digest: str | None) -> None:
    """Splitting a joined reference gives back its repository, tag and digest."""
    assert image_reference(join_image_reference(repository, tag, digest)) == (repository, tag, digest)


@given(st.lists(st.sampled_from(["10.0.0.1", "10.0.0.1/32", " 10.0.0.0/24", "2001:db8::1", "not-an-ip"])))
def test_observed_allow_lists_compare_as_sets_of_canonical_cidrs(values: list[str]) -> None:
    """An observed allow-list reads as the sorted set of its canonical CIDRs (unparsable text kept,
    an empty or absent list as everyone), whatever its order, repeats or container, however often
    the same list is read."""
    from reconcile._core.normalize import EVERYONE, observed_cidrs

    canonical = {"10.0.0.1": "10.0.0.1/32", "10.0.0.1/32": "10.0.0.1/32", " 10.0.0.0/24": "10.0.0.0/24"}
    canonical |= {"2001:db8::1": "2001:db8::1/128", "not-an-ip": "not-an-ip"}
    expected = tuple(sorted({canonical[v] for v in values})) or (EVERYONE,)
    assert observed_cidrs(values) == observed_cidrs(tuple(reversed(values))) == expected
    assert observed_cidrs(tuple(values)) == expected
    assert observed_cidrs(None) == (EVERYONE,)


def test_every_status_has_the_health_of_its_state_set() -> None:
    """Pending, failed and gone statuses by their sets, every other documented one healthy, and an
    undocumented status or none unknown."""
    from reconcile._core.enums import NotebookStatus
    from reconcile._core.lifecycle import FAILED_STATES, GONE_STATES, PENDING_STATES, health_of
    from reconcile._core.plan import Health

    for status in NotebookStatus:
        expected = (
            Health.PENDING
            if status in PENDING_STATES
            else Health.FAILED
            if status in FAILED_STATES
            else Health.MISSING
            if status in GONE_STATES
            else Health.HEALTHY
        )
        assert health_of(status) is expected, status
    assert health_of(NotebookStatus("HIBERNATING")) is Health.UNKNOWN
    assert health_of(None) is Health.UNKNOWN
    assert health_of(NotebookStatus.RUNNING) is Health.HEALTHY
