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
