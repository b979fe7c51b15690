"""Reading waiver files (`--waivers`): who accepted which failure or drift, why, and until when.

Every problem is reported at once as `FILE:LINE: path: what is wrong`. A waiver's `expires` may not
lie further ahead of `--now` than the policy's `max_lifetime`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from reconcile._core.catalogue import IGNORABLE_PATHS
from reconcile._core.errors import SpecError
from reconcile._core.report import Subject
from reconcile._policy.settings import WaiverLimits
from reconcile._policy.waivers import Waiver, Waivers, expiry_end
from reconcile._specfile.rulefile import Collector, Path_, read_document

__all__ = ["WAIVERS_VERSION", "load_waivers"]

#: The waiver file format version this release reads.
WAIVERS_VERSION = 1
_KEYS = {"rule", "drift", "notebook", "id", "subject", "reason", "owner", "expires"}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None  # a date, not a time: validity runs through the end of the day, UTC
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
        except ValueError:
            return None
    return None


def _waiver(  # noqa: PLR0917 - private, called once
    body: Any,
    path: Path_,
    col: Collector,
    rules: Collection[str],
    now: dt.datetime,
    limits: WaiverLimits,
    location: Any,
) -> Waiver | None:
    if not isinstance(body, dict):
        col.add(path, "expected a mapping (rule or drift, notebook or id, reason, owner, expires)")
        return None
    before = len(col.found)
    for key in body:
        if key not in _KEYS:
            col.add((*path, str(key)), f"unknown key (expected one of {', '.join(sorted(_KEYS))})")
    texts: dict[str, str] = {}
    for key in ("rule", "drift", "notebook", "id", "reason", "owner"):
        if key in body:
            value = body[key]
            if not isinstance(value, str) or not value.strip():
                col.add((*path, key), "expected non-empty text")
            else:
                texts[key] = value.strip()
    if ("rule" in body) == ("drift" in body):
        col.add(path, "give exactly one of `rule` (a rule id) or `drift` (a spec path)")
    if "rule" in texts and texts["rule"] not in rules:
        col.add((*path, "rule"), f"unknown rule {texts['rule']!r} (expected a built-in or custom rule id)")
    if "drift" in texts and texts["drift"] not in IGNORABLE_PATHS:
        close = difflib.get_close_matches(texts["drift"], sorted(IGNORABLE_PATHS), n=1)
        hint = (
            f"did you mean {close[0]}?" if close else "expected a managed field path such as lease.duration"
        )
        col.add((*path, "drift"), f"{texts['drift']!r} names no managed field ({hint})")
    if ("notebook" in body) == ("id" in body):
        col.add(path, "give exactly one of `notebook` (the spec name) or `id` (the notebook id)")
    for key in ("reason", "owner"):
        if key not in body:
            col.add(path, f"`{key}` is required")
    subject = None
    if "subject" in body:
        try:
            subject = Subject(body["subject"])
        except ValueError:
            col.add((*path, "subject"), f"expected desired or observed, got {body['subject']!r}")
        if subject is Subject.DESIRED and "drift" in body:
            col.add(
                (*path, "subject"),
                "a drift waiver acknowledges what was observed: `subject: desired` would never match "
                "(drop subject, or say observed)",
            )
    expires = None
    if "expires" not in body:
        col.add(path, "`expires` is required (a date, YYYY-MM-DD)")
    else:
        expires = _date(body["expires"])
        if expires is None:
            col.add((*path, "expires"), f"expected a date YYYY-MM-DD, got {body['expires']!r}")
        elif expiry_end(expires) - now > limits.max_lifetime + dt.timedelta(days=1):
            days = limits.max_lifetime.days
            col.add(
                (*path, "expires"),
                f"{expires.isoformat()} is more than max_lifetime ({days} days) after "
                f"{now.date().isoformat()}",
            )
    if len(col.found) != before or expires is None:
        return None
    return Waiver(
        texts["reason"],
        texts["owner"],
        expires,
        texts.get("rule"),
        texts.get("drift"),
        texts.get("notebook"),
        texts.get("id"),
        subject,
        location,
    )


def load_waivers(
    path: str | Path, *, rules: Collection[str], now: dt.datetime, limits: WaiverLimits | None = None
) -> Waivers:
    """Read and validate a waiver file.

    Args:
        rules: the rule ids a `rule:` waiver may name (built-in and custom).
        now: the evaluation time `max_lifetime` is judged against.
        limits: the policy's waiver limits.

    Raises:
        SpecError: every problem found, each with file, line and path.
    """
    limits = limits or WaiverLimits()
    doc, problems = read_document(path, "waiver")
    if doc is None:
        raise SpecError(problems)
    col = Collector(doc.file, doc.line_of)
    data = doc.data
    for key in data:
        if key not in {"version", "waivers", "$schema"}:
            col.add((str(key),), "unknown key (expected version, waivers)")
    if data.get("version") != WAIVERS_VERSION or isinstance(data.get("version"), bool):
        col.add(("version",), f"expected version {WAIVERS_VERSION}, got {data.get('version')!r}")
    raw = data.get("waivers", [])
    out: list[Waiver] = []
    if not isinstance(raw, list):
        col.add(("waivers",), "expected a list of waivers")
    else:
        for i, body in enumerate(raw):
            w = _waiver(body, ("waivers", i), col, rules, now, limits, doc.location(("waivers", i)))
            if w is not None:
                out.append(w)
    if col.found:
        raise SpecError(col.problems)
    return Waivers(tuple(out), doc.file)
