"""The errors modelarts-reconcile raises.

Every error the package raises on purpose derives from `ReconcileError`, and where one resembles a
builtin it inherits that too, so callers may catch either::

    ReconcileError
    ├── DecodeError(ValueError)        an API response body does not match the observed model
    ├── SpecError(ValueError)          one or more problems in spec files (each with file, line, path)
    ├── PlanFormatError(ValueError)    a saved JSON plan that `reconcile show` cannot read
    ├── ObservedInputError(ValueError) an offline `--observed` file or directory that cannot be used
    ├── ConfigError(ValueError)        missing or contradictory settings (credentials, endpoint, ...)
    └── ApiError                       the ModelArts API answered with an error
        ├── NotFoundError              HTTP 404, or HTTP 400 with ModelArts.6309 / 6357 / 6404
        ├── AuthError                  HTTP 401 / 403
        └── TransportError(OSError)    no usable answer: connection, timeout, truncated or oversized body

Messages are built before the error is raised and never contain a secret (the notebook token, the
AK/SK, the X-Auth-Token): where a bad value sits in a secret field, the message says `<redacted>`.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "DecodeError",
    "FieldProblem",
    "NotFoundError",
    "ObservedInputError",
    "PlanFormatError",
    "ReconcileError",
    "SpecError",
    "SpecProblem",
    "TransportError",
]


class ReconcileError(Exception):
    """Base class of every error modelarts-reconcile raises on purpose."""


@attrs.frozen
class FieldProblem:
    """One bad field in a decoded document.

    Attributes:
        path: dotted path of the field, with list indexes in brackets (`endpoints[0].ssh_keys`);
            empty for the document itself.
        message: what is wrong and what was expected (`expected int, got "abc"`).
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DecodeError(ReconcileError, ValueError):
    """An API response body does not match the observed model.

    Attributes:
        problems: every bad field found, in document order.
        source: where the body came from (a file name or URL), or None.
    """

    def __init__(self, problems: Sequence[FieldProblem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(str(p) for p in self.problems))


@attrs.frozen
class SpecProblem:
    """One problem in a spec file, printed as `FILE:LINE: dotted.path: message`.

    Attributes:
        file: the spec file's name as given on the command line.
        line: 1-based line of the offending key, or None where the format cannot tell.
        path: dotted path inside the document (`notebooks.train-box.lease.duration`), or "".
        message: what is wrong, and what was expected.
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(ReconcileError, ValueError):
    """One or more problems in spec files; `str()` gives one problem per line."""

    def __init__(self, problems: Sequence[SpecProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PlanFormatError(ReconcileError, ValueError):
    """A saved JSON plan that cannot be read back."""


class ObservedInputError(ReconcileError, ValueError):
    """An offline observation file or directory that cannot be used."""


class ConfigError(ReconcileError, ValueError):
    """Missing or contradictory settings: credentials, endpoint, project id, options."""


class ApiError(ReconcileError):
    """The ModelArts API answered with an error, or did not answer usefully.

    Attributes:
        status: HTTP status, or None when there was no response.
        error_code: ModelArts `error_code` (`ModelArts.6309`), or None.
        error_msg: ModelArts `error_msg`, or None.
        request_id: the `X-Request-Id` response header, or None.
        url: the URL requested (never carries a credential).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.url = url
        super().__init__(message)


class NotFoundError(ApiError):
    """The notebook does not exist: HTTP 404, or HTTP 400 with ModelArts.6309, 6357 or 6404."""


class AuthError(ApiError):
    """The credentials were refused (HTTP 401) or lack permission (HTTP 403)."""


class TransportError(ApiError, OSError):
    """No usable answer: connection refused or reset, timeout, truncated or oversized body."""
