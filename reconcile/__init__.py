"""modelarts-reconcile: `terraform plan` for Huawei Cloud ModelArts notebooks.

Read live notebooks (or saved API responses), compare them with a declarative spec, report the drift
as a plan. From spec files to a rendered plan::

    import reconcile

    spec = reconcile.load_spec("examples/cpu-notebook.yaml")
    plan = reconcile.plan(spec, reconcile.observe_offline(spec, "examples/observed"))
    print(reconcile.render(plan, "text"))

The public API is exactly `__all__`; every underscored module and package is private and may change
in any release. Names are imported on first use, so `import reconcile` loads almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one version number: hatch builds the wheel's metadata from this module, so they never differ.
from reconcile._version import __version__

if TYPE_CHECKING:
    from reconcile._api import (
        DEFAULT_PARALLELISM,
        load_spec,
        observe_live,
        observe_offline,
        plan,
        plan_offline,
        read_plan,
        render,
    )
    from reconcile._codec import decode_notebook, decode_notebook_list, unstructure
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
        SpecProblem,
        TransportError,
    )
    from reconcile._core.location import Location
    from reconcile._core.model import Notebook, NotebookList
    from reconcile._core.observation import Failed, Found, Missing, Observation
    from reconcile._core.plan import (
        Acknowledgement,
        Action,
        ApplyMethod,
        Difference,
        Health,
        Plan,
        PlanError,
        ResourceChange,
        Step,
        Summary,
    )
    from reconcile._core.secrets import Secret
    from reconcile._core.spec import NotebookSpec, Spec, SpecEntry
    from reconcile._render import FORMATS

__all__ = [
    "DEFAULT_PARALLELISM",
    "FORMATS",
    "Acknowledgement",
    "Action",
    "ApiError",
    "ApplyMethod",
    "AuthError",
    "ConfigError",
    "DecodeError",
    "Difference",
    "Failed",
    "Found",
    "Health",
    "Location",
    "Missing",
    "NotFoundError",
    "Notebook",
    "NotebookList",
    "NotebookSpec",
    "Observation",
    "ObservedInputError",
    "Plan",
    "PlanError",
    "PlanFormatError",
    "ReconcileError",
    "ResourceChange",
    "Secret",
    "Spec",
    "SpecEntry",
    "SpecError",
    "SpecProblem",
    "Step",
    "Summary",
    "TransportError",
    "__version__",
    "decode_notebook",
    "decode_notebook_list",
    "load_spec",
    "observe_live",
    "observe_offline",
    "plan",
    "plan_offline",
    "read_plan",
    "render",
    "unstructure",
]

#: Where each public name lives (a private module); resolved by `__getattr__` on first use.
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        [
            "DEFAULT_PARALLELISM",
            "load_spec",
            "observe_live",
            "observe_offline",
            "plan",
            "plan_offline",
            "read_plan",
            "render",
        ],
        "reconcile._api",
    ),
    **dict.fromkeys(["decode_notebook", "decode_notebook_list", "unstructure"], "reconcile._codec"),
    **dict.fromkeys(
        [
            "ApiError",
            "AuthError",
            "ConfigError",
            "DecodeError",
            "NotFoundError",
            "ObservedInputError",
            "PlanFormatError",
            "ReconcileError",
            "SpecError",
            "SpecProblem",
            "TransportError",
        ],
        "reconcile._core.errors",
    ),
    "Location": "reconcile._core.location",
    **dict.fromkeys(["Notebook", "NotebookList"], "reconcile._core.model"),
    **dict.fromkeys(["Failed", "Found", "Missing", "Observation"], "reconcile._core.observation"),
    **dict.fromkeys(
        [
            "Acknowledgement",
            "Action",
            "ApplyMethod",
            "Difference",
            "Health",
            "Plan",
            "PlanError",
            "ResourceChange",
            "Step",
            "Summary",
        ],
        "reconcile._core.plan",
    ),
    "Secret": "reconcile._core.secrets",
    **dict.fromkeys(["NotebookSpec", "Spec", "SpecEntry"], "reconcile._core.spec"),
    "FORMATS": "reconcile._render",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reconcile' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
