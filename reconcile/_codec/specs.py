"""Structuring spec entries (already parsed from YAML, JSON or TOML) into `NotebookSpec` and friends.

Spec mode is strict about shape and types: an unknown key is an error, `"100"` is not an int, and
YAML 1.1's `yes`/`no`/`on`/`off` are not booleans. The fast converter tries first; only when it
fails does the detailed one run, to name every bad field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from reconcile._codec.errors import StructureError

__all__ = ["structure_spec"]

T = TypeVar("T")


def structure_spec(raw: Any, cls: type[T]) -> T:
    """Structure `raw` into the spec class `cls`, refusing unknown keys and wrong types.

    Raises:
        StructureError: every bad field, each with its path as parts relative to `raw`.
    """
    from reconcile._codec.converters import spec_detailed, spec_fast

    try:
        return spec_fast().structure(raw, cls)
    except Exception:
        pass
    from reconcile._codec.translate import issues

    try:
        value: T = spec_detailed().structure(raw, cls)
    except Exception as exc:
        raise StructureError(issues(exc)) from None
    return value  # pragma: no cover (the fast pass fails exactly when the detailed one does)
