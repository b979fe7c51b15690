"""The field catalogue: every managed spec field has a row, and `ignore_changes` paths follow it."""

from __future__ import annotations

import attrs
import pytest

from reconcile._core.catalogue import CATALOGUE, IGNORABLE_PATHS, SERVICES, Change, is_ignored, rule_for
from reconcile._core.spec import EndpointSpec, ImageSpec, LeaseSpec, NotebookSpec, PoolSpec, VolumeSpec

#: NotebookSpec fields that are not managed values: the identity and the comparison's own settings.
_NOT_MANAGED = {"id", "ignore_changes", "endpoints"}
_GROUPS = {"image": ImageSpec, "volume": VolumeSpec, "lease": LeaseSpec, "pool": PoolSpec}


def test_every_spec_field_has_a_catalogue_row() -> None:
    """A field added to the spec model without a catalogue row (how it compares and applies) fails here."""
    paths = {rule.path for rule in CATALOGUE}
    for field in attrs.fields(NotebookSpec):
        if field.name in _NOT_MANAGED:
            continue
        if field.name in _GROUPS:
            for sub in attrs.fields(_GROUPS[field.name]):
                assert f"{field.name}.{sub.name}" in paths, f"{field.name}.{sub.name} has no catalogue row"
        else:
            assert field.name in paths, f"{field.name} has no catalogue row"
    for svc in SERVICES:
        for sub in attrs.fields(EndpointSpec):
            if sub.name != "dev_service":
                assert f"endpoints.{svc}.{sub.name}" in paths


def test_rows_are_unique_and_looked_up_by_path() -> None:
    """Each path has exactly one row; an unknown path is a KeyError, never a default row."""
    paths = [rule.path for rule in CATALOGUE]
    assert len(paths) == len(set(paths))
    assert rule_for("lease.duration").change is Change.LEASE
    with pytest.raises(KeyError):
        rule_for("lease.durration")


def test_ignore_changes_accepts_every_path_and_every_group_above_one() -> None:
    """`lease`, `endpoints.SSH` and `volume.capacity` are ignorable; a group covers what is under it."""
    assert {"lease", "endpoints", "endpoints.SSH", "volume.capacity", "tags"} <= IGNORABLE_PATHS
    assert is_ignored("lease.duration", frozenset({"lease"}))
    assert is_ignored("endpoints.SSH.allowed_access_ips", frozenset({"endpoints.SSH"}))
    assert not is_ignored("lease.duration", frozenset({"lease.enable"}))
    assert not is_ignored("volume", frozenset({"volume.capacity"}))  # a child does not cover its group


def test_documented_defaults_are_the_services() -> None:
    """The defaults an absent observed value reads as are the API's documented ones."""
    defaults = {rule.path: rule.observed_default for rule in CATALOGUE if rule.observed_default is not None}
    assert defaults == {
        "description": "",
        "volume.ownership": "MANAGED",
        "lease.type": "TIMING",
        "feature": "NOTEBOOK",
        "workspace_id": "0",
        "tags": (),
    }
