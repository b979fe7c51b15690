"""The codec's own error: `StructureError`, a `DecodeError` that keeps each problem's path as a tuple.

No cattrs error leaves the codec: `reconcile._codec.translate` turns them into `Issue`s, and the
entry points raise `DecodeError` (observed bodies) or `StructureError` (specs, whose loader needs the
path as parts to find the line).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from reconcile._codec.wording import dotted
from reconcile._core.errors import DecodeError, FieldProblem

__all__ = ["Issue", "StructureError"]


@attrs.frozen
class Issue:
    """One bad field: its path as parts (`("endpoints", 0, "ssh_keys")`) and what is wrong."""

    path: tuple[str | int, ...]
    message: str

    def problem(self) -> FieldProblem:
        """The same, with the path dotted, as `DecodeError` carries it."""
        return FieldProblem(dotted(self.path), self.message)


class StructureError(DecodeError):
    """A document that does not fit its class; `issues` lists every bad field, in document order."""

    def __init__(self, issues: Sequence[Issue], source: str | None = None) -> None:
        self.issues = tuple(issues)
        super().__init__([i.problem() for i in self.issues], source)
