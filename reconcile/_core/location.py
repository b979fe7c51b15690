"""`Location`: where something was declared, as `FILE:LINE: path`.

Spec loading keeps one for every entry and for every field it read, so a finding, a plan entry or an
error can point back at the line that declared it (SARIF regions, JUnit `file` attributes, messages).
"""

from __future__ import annotations

import attrs

__all__ = ["Location"]


@attrs.frozen
class Location:
    """A place in a spec (or policy, or waiver) file.

    Attributes:
        file: the file as the user named it.
        line: the 1-based line, when known (TOML keeps no positions, for example).
        path: the dotted path inside the document, such as `notebooks.train-box.lease.duration`.
    """

    file: str
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}" if self.path else where
