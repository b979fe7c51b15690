"""modelarts-reconcile: `terraform plan` for Huawei Cloud ModelArts notebooks.

Read live notebooks (or saved API responses), compare them with a declarative spec, report the drift
as a plan. The public API is listed in `__all__`; everything in underscored modules is private.
"""

from __future__ import annotations

from typing import Any

from reconcile._codec.convert import decode_notebook, decode_notebook_list, unstructure
from reconcile._core.errors import (
    ApiError,
    AuthError,
    ConfigError,
    DecodeError,
    NotFoundError,
    ObservedInputError,
    PlanFormatError,
    ReconcileError,
    SpecError,
    TransportError,
)
from reconcile._core.model import Notebook, NotebookList
from reconcile._core.secrets import Secret

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "DecodeError",
    "NotFoundError",
    "Notebook",
    "NotebookList",
    "ObservedInputError",
    "PlanFormatError",
    "ReconcileError",
    "Secret",
    "SpecError",
    "TransportError",
    "__version__",
    "decode_notebook",
    "decode_notebook_list",
    "unstructure",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("modelarts-reconcile")
        except PackageNotFoundError:  # running from a source tree that was never installed
            from reconcile._version import __version__

            return __version__
    raise AttributeError(f"module 'reconcile' has no attribute {name!r}")
