"""Reading policy files (`--policy`): built-in rule settings, custom CEL rules, waiver limits.

Every problem in every file is reported at once, as `FILE:LINE: path: what is wrong`, through the
same `SpecError` as spec problems. Custom expressions are compiled here, so a bad expression is a
policy file problem, not a crash later.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconcile._core.errors import SpecError, SpecProblem
from reconcile._core.normalize import parse_duration
from reconcile._core.report import Severity, Subject
from reconcile._files import HugeNumber
from reconcile._policy.rules import BUILTIN, Param, ParamKind
from reconcile._policy.settings import (
    POLICY_VERSION,
    CustomRule,
    Policy,
    RuleSetting,
    WaiverLimits,
    merge_policies,
)
from reconcile._specfile.rulefile import Collector, Document, Path_, read_document

__all__ = ["load_policies", "load_policy", "parse_days", "policy_from_document"]

_CUSTOM_ID = re.compile(r"[A-Za-z]+[0-9]+")
_DAYS = re.compile(r"(\d+)\s*d")
_SEVERITIES = ", ".join(s.value for s in Severity)
_SUBJECTS = {
    "desired": frozenset({Subject.DESIRED}),
    "observed": frozenset({Subject.OBSERVED}),
    "both": frozenset(Subject),
}


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, HugeNumber):
        return value.problem
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def parse_days(value: Any) -> int | None:
    """Days as an integer or text such as `30d`; None when it is neither."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (m := _DAYS.fullmatch(value.strip())):
        return int(m.group(1))
    return None


def _param(p: Param, value: Any, path: Path_, col: Collector) -> Any:
    if p.kind is ParamKind.DURATION:
        if isinstance(value, bool) or not isinstance(value, int | str):
            col.add(path, f"expected a duration (ms, or text such as 8h), got {_type(value)}")
            return None
        try:
            out: Any = parse_duration(value)
        except ValueError as exc:
            col.add(path, str(exc))
            return None
    elif p.kind is ParamKind.DAYS:
        out = parse_days(value)
        if out is None:
            col.add(path, f"expected days (an integer, or text such as 30d), got {_type(value)}")
            return None
    elif p.kind is ParamKind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            col.add(path, f"expected an integer, got {_type(value)}")
            return None
        out = value
    else:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            col.add(path, f"expected a list of non-empty text, got {_type(value)}")
            return None
        if p.kind is ParamKind.CIDRS:
            import ipaddress

            for i, v in enumerate(value):
                try:
                    ipaddress.ip_network(v.strip(), strict=False)
                except ValueError:
                    col.add((*path, i), f"expected an IP address or network, got {v!r}")
                    return None
        return tuple(v.strip() for v in value)
    if p.minimum is not None and out < p.minimum:
        col.add(path, f"must be at least {p.minimum}, got {out}")
    if p.maximum is not None and out > p.maximum:
        col.add(path, f"must be at most {p.maximum}, got {out}")
    return out


def _severity(value: Any, path: Path_, col: Collector) -> Severity | None:
    try:
        return Severity(value)
    except ValueError:
        col.add(path, f"expected one of {_SEVERITIES}, got {value!r}")
        return None


def _rules(raw: Any, col: Collector) -> dict[str, RuleSetting]:
    out: dict[str, RuleSetting] = {}
    if not isinstance(raw, dict):
        col.add(("rules",), f"expected a mapping of rule ids (MA001..MA013), got {_type(raw)}")
        return out
    for rule_id, body in raw.items():
        path: Path_ = ("rules", str(rule_id))
        rule = BUILTIN.get(str(rule_id))
        if rule is None:
            col.add(path, f"unknown built-in rule (expected one of {', '.join(BUILTIN)})")
            continue
        if not isinstance(body, dict):
            col.add(path, f"expected a mapping (enabled, severity, parameters), got {_type(body)}")
            continue
        enabled, severity, params = True, None, {}
        for key, value in body.items():
            if key == "enabled":
                if not isinstance(value, bool):
                    col.add((*path, key), f"expected true or false, got {_type(value)}")
                enabled = value is not False
            elif key == "severity":
                severity = _severity(value, (*path, key), col)
            elif key in rule.params:
                params[key] = _param(rule.params[key], value, (*path, key), col)
            else:
                known = ", ".join(["enabled", "severity", *rule.params])
                col.add((*path, str(key)), f"unknown setting for {rule_id} (expected one of {known})")
        out[rule.id] = RuleSetting(enabled, severity, params)
    return out


def _custom(raw: Any, col: Collector, doc: Document) -> list[CustomRule]:
    out: list[CustomRule] = []
    if not isinstance(raw, list):
        col.add(("custom",), f"expected a list of rules, got {_type(raw)}")
        return out
    seen: set[str] = set()
    for i, body in enumerate(raw):
        path: Path_ = ("custom", i)
        if not isinstance(body, dict):
            col.add(path, f"expected a mapping (id, title, severity, expression, message), got {_type(body)}")
            continue
        problems = len(col.found)
        allowed = {
            "id",
            "title",
            "severity",
            "subject",
            "expression",
            "message",
            "rationale",
            "remediation",
            "help",
        }
        for key in body:
            if key not in allowed:
                col.add((*path, str(key)), f"unknown key (expected one of {', '.join(sorted(allowed))})")
        texts: dict[str, str] = {}
        for key in ("id", "title", "expression", "message", "rationale", "remediation", "help"):
            value = body.get(key)
            if value is None:
                if key in {"id", "title", "expression", "message"}:
                    col.add((*path, key) if key != "id" else path, f"`{key}` is required")
                continue
            if not isinstance(value, str) or not value.strip():
                col.add((*path, key), f"expected non-empty text, got {_type(value)}")
                continue
            texts[key] = value
        rule_id = texts.get("id")
        if rule_id is not None:
            if not _CUSTOM_ID.fullmatch(rule_id):
                col.add((*path, "id"), f"expected letters then digits (ORG001), got {rule_id!r}")
            elif rule_id.upper().startswith("MA"):
                col.add((*path, "id"), f"{rule_id!r} clashes with the built-in MA ids")
            elif rule_id in seen:
                col.add((*path, "id"), f"{rule_id!r} is defined twice")
            seen.add(rule_id)
        severity = _severity(body.get("severity", "medium"), (*path, "severity"), col)
        subject = body.get("subject", "both")
        if subject not in _SUBJECTS:
            col.add((*path, "subject"), f"expected desired, observed or both, got {subject!r}")
        if "expression" in texts:
            from reconcile._policy import cel

            try:
                cel.compile_expression(texts["expression"])
            except cel.CelUnavailable as exc:
                col.add((*path, "expression"), str(exc))
            except cel.CelError as exc:
                col.add((*path, "expression"), f"invalid CEL: {exc}")
        if len(col.found) == problems and severity is not None:
            out.append(
                CustomRule(
                    texts["id"],
                    texts["title"],
                    severity,
                    texts["expression"],
                    texts["message"],
                    _SUBJECTS[subject],
                    texts.get("rationale", ""),
                    texts.get("remediation", ""),
                    texts.get("help", ""),
                    doc.location(path),
                )
            )
    return out


def _limits(raw: Any, col: Collector) -> WaiverLimits:
    if not isinstance(raw, dict):
        col.add(("waivers",), f"expected a mapping (max_lifetime, warn_days), got {_type(raw)}")
        return WaiverLimits()
    lifetime, warn = 180, 14
    for key, value in raw.items():
        if key == "max_lifetime":
            days = parse_days(value)
            if days is None or days < 1 or days > MAX_WAIVER_DAYS:
                col.add(
                    ("waivers", key),
                    f"expected days from 1 to {MAX_WAIVER_DAYS} (180 or 180d), got {value!r}",
                )
            else:
                lifetime = days
        elif key == "warn_days":
            days = parse_days(value)
            if days is None or days < 0 or days > MAX_WAIVER_DAYS:
                col.add(("waivers", key), f"expected days from 0 to {MAX_WAIVER_DAYS}, got {value!r}")
            else:
                warn = days
        else:
            col.add(("waivers", str(key)), "unknown key (expected max_lifetime or warn_days)")
    return WaiverLimits(dt.timedelta(days=lifetime), warn)


#: The longest waiver lifetime or warning a policy may set: ten years (a date can hold no more than
#: 9999-12-31, and no audit accepts a waiver for longer).
MAX_WAIVER_DAYS = 3653


def policy_from_document(doc: Document) -> tuple[Policy | None, list[SpecProblem]]:
    """Validate a parsed policy file."""
    col = Collector(doc.file, doc.line_of)
    data = doc.data
    for key in data:
        if key not in {"version", "rules", "custom", "waivers", "$schema"}:
            col.add((str(key),), "unknown key (expected version, rules, custom, waivers)")
    version = data.get("version")
    if version != POLICY_VERSION or isinstance(version, bool):
        col.add(
            ("version",),
            f"expected version {POLICY_VERSION}, got {version!r}"
            if "version" in data
            else f"`version: {POLICY_VERSION}` is required",
        )
    rules = _rules(data["rules"], col) if "rules" in data else {}
    custom = _custom(data["custom"], col, doc) if "custom" in data else []
    limits = _limits(data["waivers"], col) if "waivers" in data else WaiverLimits()
    if col.found:
        return None, col.problems
    return Policy(rules, tuple(custom), limits, (doc.file,)), []


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file.

    Raises:
        SpecError: every problem found, each with file, line and path.
    """
    return load_policies([path])


def load_policies(paths: Sequence[str | Path]) -> Policy:
    """Read and validate policy files and merge them (later files override earlier settings).

    Raises:
        SpecError: every problem in every file, each with file, line and path.
    """
    problems: list[SpecProblem] = []
    policies: list[Policy] = []
    for path in paths:
        doc, found = read_document(path, "policy")
        problems += found
        if doc is None:
            continue
        policy, found = policy_from_document(doc)
        problems += found
        if policy is not None:
            policies.append(policy)
    ids = [c.id for p in policies for c in p.custom]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(
            SpecProblem(
                str(paths[-1]), None, "custom", f"custom rule {dup!r} is defined in more than one file"
            )
        )
    if problems:
        raise SpecError(problems)
    return merge_policies(policies)
