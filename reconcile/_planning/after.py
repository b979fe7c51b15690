"""Terraform's `after`: the observed notebook as JSON with the desired values written at their paths.

`before` is shared, never copied whole: only the objects on a written path are copied, and when
nothing is written `after` is `before` itself (plans are never modified once built).
"""

from __future__ import annotations

from typing import Any

from reconcile._core.plan import Difference

__all__ = ["after", "json_value", "merge"]


def json_value(value: Any) -> Any:
    """A projected value as JSON: a tuple (a set, sorted) becomes a list; a set of (key, value)
    pairs (`tags`) becomes the API's list of `{key, value}` objects."""
    if not isinstance(value, tuple):
        return value
    if value and isinstance(value[0], tuple):
        return [{"key": k, "value": v} for k, v in value]
    return list(value)


def merge(before: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """`before` with the desired values written at their spec paths.

    Copy on write: only the objects on a written path are copied; the rest is shared with `before`.
    An endpoint path set to False removes that endpoint; set to True, adds it when absent.
    """
    out = dict(before)
    for path, value in desired.items():
        head, _, rest = path.partition(".")
        if head == "endpoints":
            svc, _, key = rest.partition(".")
            endpoints = [
                dict(ep)
                for ep in out.get("endpoints", [])
                if ep.get("dev_service") != svc or value is not False
            ]
            out["endpoints"] = endpoints
            if value is False:
                continue
            ep = next((e for e in endpoints if e.get("dev_service") == svc), None)
            if ep is None:
                ep = {"dev_service": svc}
                endpoints.append(ep)
            if key:
                ep[key] = json_value(value)
        elif rest:
            out[head] = {**out.get(head, {}), rest: json_value(value)}
        else:
            out[head] = json_value(value)
    return out


def after(before: dict[str, Any], diffs: list[Difference], desired: dict[str, Any]) -> dict[str, Any]:
    """Terraform's `after`: `before` itself when nothing is written (shared, never mutated).

    An endpoint being added brings every setting the spec gives it (its keys, its allow-list),
    not only the fact that it exists. A failed notebook's `status` is the one it is recovered to.
    """
    writes = {d.dotted_path: d.desired for d in diffs}
    for d in diffs:
        if d.path[0] == "endpoints" and len(d.path) == 2 and d.desired is True:
            prefix = d.dotted_path + "."
            writes.update({p: json_value(v) for p, v in desired.items() if p.startswith(prefix)})
    return merge(before, writes) if writes else before
