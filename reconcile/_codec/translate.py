"""From cattrs' errors to our `Issue`s: the one place that reads cattrs' error types.

Every leaf problem under a validation error becomes an `Issue(path, message)`, in document order. A
value inside a secret field (`model.SECRET_FIELDS`) is never quoted, and every message goes through
the caller's `Scrubber`, so a secret echoed in another field (the notebook's own token in
`lease.duration`, URL-encoded in a description) prints as `<redacted>` too.
"""

from __future__ import annotations

import difflib

import attrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from reconcile._codec.errors import Issue
from reconcile._codec.wording import Mismatch, describe_value
from reconcile._core.model import SECRET_FIELDS
from reconcile._core.secrets import REDACTED, Scrubber

__all__ = ["issues"]

Path = tuple[str | int, ...]


def _note_step(exc: BaseException) -> str | int | None:
    """The attribute name or list index cattrs noted on a sub-error, if any."""
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return note.name
        if isinstance(note, IterableValidationNote):
            return note.index
    return None


def _leaves(exc: BaseException, path: Path) -> list[tuple[Path, str]]:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        out: list[tuple[Path, str]] = []
        for sub in exc.exceptions:
            step = _note_step(sub)
            out.extend(_leaves(sub, (*path, step) if step is not None else path))
        return out
    if isinstance(exc, ForbiddenExtraKeysError):
        known = sorted(a.name for a in attrs.fields(exc.cl)) if attrs.has(exc.cl) else []
        out = []
        for key in sorted(exc.extra_fields, key=str):
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]}?" if close else "expected one of " + ", ".join(known)
            out.append(((*path, key), f"unknown field ({hint})"))
        return out
    if isinstance(exc, Mismatch):
        if bool(path) and path[-1] in SECRET_FIELDS:
            return [(path, f"expected {exc.expected}, got {REDACTED}")]
        return [(path, exc.message or f"expected {exc.expected}, got {describe_value(exc.value)}")]
    if isinstance(exc, KeyError):
        missing: str | int | None = exc.args[0] if exc.args else None
        at = path if missing is None or (path and path[-1] == missing) else (*path, missing)
        return [(at, "required field is missing")]
    message = str(exc) or type(exc).__name__
    return [(path, message)]


def issues(exc: BaseException, scrubber: Scrubber | None = None) -> list[Issue]:
    """Every leaf problem under `exc` (a cattrs error or one of our hooks'), scrubbed of secrets."""
    if not scrubber:
        return [Issue(path, message) for path, message in _leaves(exc, ())]
    return [
        Issue(tuple(scrubber.text(p) if isinstance(p, str) else p for p in path), scrubber.text(message))
        for path, message in _leaves(exc, ())
    ]
