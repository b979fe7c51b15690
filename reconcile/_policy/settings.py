"""A policy, as a policy file states it: built-in rule settings, custom rules, waiver limits.

Reading and validating the file is `reconcile._specfile.policy`'s job; these classes hold values
already checked and normalised (durations in ms, days as integers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from reconcile._core.location import Location
from reconcile._core.report import Severity, Subject
from reconcile._policy.rules import BUILTIN

__all__ = ["POLICY_VERSION", "CustomRule", "Policy", "RuleSetting", "WaiverLimits", "merge_policies"]

#: The policy file format version this release reads.
POLICY_VERSION = 1


@attrs.frozen
class RuleSetting:
    """A built-in rule as a policy sets it: on or off, its severity, its parameters (normalised)."""

    enabled: bool = True
    severity: Severity | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class CustomRule:
    """A custom rule: a CEL expression that is true when the notebook complies.

    Attributes:
        subjects: the states it judges (`subject: both` is both).
        location: where the policy file declares it.
    """

    id: str
    title: str
    severity: Severity
    expression: str
    message: str
    subjects: frozenset[Subject] = frozenset(Subject)
    rationale: str = ""
    remediation: str = ""
    help: str = ""
    location: Location | None = attrs.field(default=None, eq=False)


@attrs.frozen
class WaiverLimits:
    """How far ahead a waiver may expire, and how early an expiring one is flagged."""

    max_lifetime: dt.timedelta = dt.timedelta(days=180)
    warn_days: int = 14


@attrs.frozen
class Policy:
    """Everything a policy file says; `Policy()` is the default policy (every built-in rule, defaults)."""

    rules: Mapping[str, RuleSetting] = attrs.field(factory=dict, hash=False)
    custom: tuple[CustomRule, ...] = ()
    waivers: WaiverLimits = WaiverLimits()
    files: tuple[str, ...] = ()

    def setting(self, rule_id: str) -> RuleSetting:
        """The setting of a built-in rule (the default when the policy does not name it)."""
        return self.rules.get(rule_id, RuleSetting())

    def params(self, rule_id: str) -> dict[str, Any]:
        """A built-in rule's parameters: its defaults overridden by the policy."""
        values = {name: p.default for name, p in BUILTIN[rule_id].params.items()}
        values.update(self.setting(rule_id).params)
        return values

    def severity(self, rule_id: str) -> Severity:
        """A built-in rule's effective severity."""
        return self.setting(rule_id).severity or BUILTIN[rule_id].severity


def merge_policies(policies: list[Policy]) -> Policy:
    """Several `--policy` files as one: later files override rule settings key by key, custom rules add up."""
    rules: dict[str, RuleSetting] = {}
    for p in policies:
        for rule_id, s in p.rules.items():
            old = rules.get(rule_id)
            if old is None:
                rules[rule_id] = s
            else:
                rules[rule_id] = RuleSetting(
                    s.enabled, s.severity or old.severity, {**old.params, **s.params}
                )
    custom = tuple(c for p in policies for c in p.custom)
    limits = policies[-1].waivers if policies else WaiverLimits()
    return Policy(rules, custom, limits, tuple(f for p in policies for f in p.files))
