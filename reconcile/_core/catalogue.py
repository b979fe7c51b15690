"""The field catalogue: every spec path that can be managed, how it is compared, how a change is applied.

One table (`CATALOGUE`) in code (docs/design.md, "The ModelArts API facts"). The facts come from the Terraform
provider's `huaweicloud_modelarts_notebook` resource, which is tested against the real service
(the provider's documented behaviour): name and description are PUT while RUNNING; flavor, image and the
SSH allow-list need stop, PUT, start; storage grows in place; key pairs, pool, workspace, feature and
the volume's category, ownership and mount path force replacement. Tags are set through the
notebook tags API (`.../notebooks/{id}/tags`), in place, whatever the notebook's state.
"""

from __future__ import annotations

import enum

import attrs

from reconcile._core.enums import DevService

__all__ = ["CATALOGUE", "IGNORABLE_PATHS", "SERVICES", "Change", "FieldRule", "is_ignored", "rule_for"]


class Change(enum.Enum):
    """How a change to a field is applied, before the observed state refines it."""

    RUNNING_UPDATE = "update in place while RUNNING"
    RESTART_UPDATE = "update in place; stop, update, start"
    GROW_ONLY = "grow in place while RUNNING; a shrink forces replacement"
    LEASE = "update in place through the lease API"
    STATUS = "start or stop"
    TAGS = "update in place through the notebook tags API; no restart"
    REPLACE = "forces replacement"


@attrs.frozen
class FieldRule:
    """One row of the catalogue.

    Attributes:
        path: the spec path (`lease.duration`; `endpoints.SSH.ssh_keys` for each dev service).
        compared_as: how values are compared, in words (for documentation and `--help`).
        change: how a change is applied.
        observed_default: what an absent observed value means (the API's documented default), so
            a spec that states the default does not drift when the service leaves the field out.
    """

    path: str
    compared_as: str
    change: Change
    observed_default: object = None


#: The dev services an endpoint can have (`endpoints.<SERVICE>` paths).
SERVICES: tuple[str, ...] = tuple(s.value for s in DevService)


def _endpoint_rules() -> list[FieldRule]:
    rules = []
    for svc in SERVICES:
        rules += [
            FieldRule(f"endpoints.{svc}", "present or absent", Change.REPLACE),
            FieldRule(
                f"endpoints.{svc}.allowed_access_ips",
                "set of canonical CIDRs; empty or absent means everyone (0.0.0.0/0)",
                Change.RESTART_UPDATE,
            ),
            FieldRule(f"endpoints.{svc}.ssh_keys", "set of key pair names", Change.REPLACE),
        ]
    return rules


CATALOGUE: tuple[FieldRule, ...] = (
    FieldRule("name", "exact text (managed when `id` is the identity)", Change.RUNNING_UPDATE),
    FieldRule("description", "exact text; absent is empty", Change.RUNNING_UPDATE, ""),
    FieldRule("flavor", "exact text", Change.RESTART_UPDATE),
    FieldRule("image.id", "exact text", Change.RESTART_UPDATE),
    FieldRule("image.name", "exact text", Change.RESTART_UPDATE),
    FieldRule(
        "image.tag",
        "exact text; the `:TAG` of `swr_path` when the service sends no tag",
        Change.RESTART_UPDATE,
    ),
    FieldRule(
        "image.swr_path", "exact text; `:TAG` from `tag` when the path has none", Change.RESTART_UPDATE
    ),
    FieldRule("volume.capacity", "integer GB (only EVS grows in place)", Change.GROW_ONLY),
    FieldRule("volume.category", "exact (case-insensitive in the spec)", Change.REPLACE),
    FieldRule("volume.ownership", "exact (case-insensitive in the spec)", Change.REPLACE, "MANAGED"),
    FieldRule("volume.mount_path", "text, ignoring a trailing /", Change.REPLACE),
    *_endpoint_rules(),
    FieldRule("lease.enable", "bool", Change.LEASE),
    FieldRule("lease.duration", "milliseconds (2h == 7200000)", Change.LEASE),
    FieldRule("lease.type", "exact (TIMING or IDLE)", Change.LEASE, "TIMING"),
    FieldRule("status", "RUNNING or STOPPED", Change.STATUS),
    FieldRule("feature", "exact (DEFAULT or NOTEBOOK)", Change.REPLACE, "NOTEBOOK"),
    FieldRule("pool.id", "exact text", Change.REPLACE),
    FieldRule("pool.name", "exact text", Change.REPLACE),
    FieldRule("workspace_id", "exact text", Change.REPLACE, "0"),
    FieldRule("tags", "set of key/value pairs; absent is none", Change.TAGS, ()),
)

_BY_PATH = {rule.path: rule for rule in CATALOGUE}


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


#: Paths `ignore_changes` accepts: every catalogue path and every group above one (`lease`, `endpoints.SSH`).
IGNORABLE_PATHS: frozenset[str] = frozenset(p for rule in CATALOGUE for p in _prefixes(rule.path))


def rule_for(path: str) -> FieldRule:
    """The catalogue row of a spec path.

    Raises:
        KeyError: the path is not in the catalogue.
    """
    return _BY_PATH[path]


def is_ignored(path: str, ignored: frozenset[str]) -> bool:
    """Whether `path` or any group above it is in `ignored`."""
    return any(p in ignored for p in _prefixes(path))
