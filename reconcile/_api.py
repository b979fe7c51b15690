"""The one-call helpers of the public API: spec files in, a rendered plan out.

Each helper is a thin, documented entry over the layers (see docs/design.md); `reconcile/__init__.py`
exports them lazily so that `import reconcile` stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

# The one default (shared with the command line); this module loads nothing else, so it stays cheap.
from reconcile._modelarts.defaults import DEFAULT_PARALLELISM

if TYPE_CHECKING:
    from reconcile._core.observation import Observation
    from reconcile._core.plan import Plan
    from reconcile._core.spec import Spec

#: The largest saved plan `read_plan` (and `reconcile show`) reads: about 150,000 notebooks.
MAX_PLAN_BYTES = 512 * 1024 * 1024

__all__ = [
    "DEFAULT_PARALLELISM",
    "load_spec",
    "observe_live",
    "observe_offline",
    "plan",
    "plan_offline",
    "read_plan",
    "render",
]

#: Observations keyed by the spec entry's local name, as `plan` takes them.
Observations = Mapping[str, "Observation"]


def load_spec(*paths: str | os.PathLike[str]) -> Spec:
    """Read, validate and merge spec files (YAML, JSON or TOML, chosen by extension).

    Args:
        *paths: one or more spec files; their notebooks are merged into one `Spec`.

    Returns:
        The desired state of every notebook, sorted by local name, with the file and line that
        declares each entry (`SpecEntry.location`).

    Raises:
        SpecError: listing every problem in every file (`exc.problems`, each with file, line, path).
    """
    from reconcile._specfile.load import load_spec as load

    return load([os.fspath(p) for p in paths])


def observe_offline(spec: Spec, observed: str | os.PathLike[str]) -> dict[str, Observation]:
    """Observe every entry of `spec` from saved API responses (a JSON file or a directory of them).

    Raises:
        ObservedInputError: `observed` does not exist or holds no `*.json` file.
    """
    from reconcile._observe.offline import load_observed
    from reconcile._observe.offline import observe_offline as observe
    from reconcile._planning.planner import targets

    return observe(targets(spec), load_observed(os.fspath(observed)))


def observe_live(
    spec: Spec,
    *,
    endpoint: str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    env: Mapping[str, str] | None = None,
    parallelism: int = DEFAULT_PARALLELISM,
    ca_bundle: str | None = None,
    request_timeout: float | None = None,
) -> dict[str, Observation]:
    """Observe every entry of `spec` through the ModelArts API.

    Settings not given fall back on the environment (`env`, default `os.environ`) exactly as the
    command line does: the endpoint from the region, the project id from the spec or
    `HUAWEICLOUD_SDK_PROJECT_ID`, credentials from `MODELARTS_AUTH_TOKEN` or the AK/SK variables.
    `request_timeout` is `--request-timeout`: the longest one API call may take, retries included,
    in seconds (default 120, at most one day); a server that drips its answer or never ends its
    headers costs that long, then the notebook is `Failed`.

    Raises:
        ConfigError: no endpoint or region, no project id, no credentials, or a bad value.
    """
    from reconcile._modelarts.settings import ClientSettings
    from reconcile._observe.live import observe_with_settings
    from reconcile._planning.planner import targets

    settings = ClientSettings.from_options(
        endpoint=endpoint,
        region=region,
        project_id=project_id or spec.project_id,
        env=os.environ if env is None else env,
        ca_bundle=ca_bundle,
        request_timeout=request_timeout,
        parallelism=parallelism,
    )
    return observe_with_settings(settings, targets(spec))


def plan(spec: Spec, observations: Observations) -> Plan:
    """Compare each spec entry with its observation: the plan, with an error entry per failure."""
    from reconcile._planning.planner import build_plan

    return build_plan(spec, observations)


def plan_offline(specs: Iterable[str | os.PathLike[str]], observed: str | os.PathLike[str]) -> Plan:
    """Load spec files, observe them from saved responses and plan, in one call.

    As `reconcile plan --observed` does, a saved list response stands for the project's listing:
    the plan then holds the unmanaged notebooks (`Plan.unmanaged`) and the coverage.

    Raises:
        SpecError: as `load_spec`.
        ObservedInputError: as `observe_offline`.
    """
    from reconcile._observe.offline import load_observed
    from reconcile._observe.offline import observe_offline as observe
    from reconcile._planning.planner import build_plan, targets

    spec = load_spec(*specs)
    index = load_observed(os.fspath(observed))
    return build_plan(spec, observe(targets(spec), index), listing=index.listing)


def render(plan: Plan, fmt: str = "text", *, color: bool = False) -> str:
    """Render a plan: `text` (Terraform's look), `json`, `markdown` or `junit`.

    Raises:
        ValueError: `fmt` is not one of those.
    """
    from reconcile._render import render as render_plan

    return render_plan(plan, fmt, color=color)


def read_plan(source: str | os.PathLike[str] | bytes) -> Plan:
    """Read a JSON plan back, from a file path or from the JSON bytes themselves.

    A path is read as `reconcile show` reads it: a regular file only (never a FIFO or a device), of
    at most 512 MiB.

    Raises:
        PlanFormatError: the file cannot be read, or is not a JSON plan this version can read.
    """
    from reconcile._core.errors import PlanFormatError
    from reconcile._files import FileRefused, read_bytes
    from reconcile._render import read_plan as read

    if isinstance(source, bytes):
        return read(source, "<bytes>")
    file = os.fspath(source)
    try:
        data = read_bytes(file, what="a JSON plan file", limit=MAX_PLAN_BYTES)
    except FileRefused as exc:
        raise PlanFormatError(str(exc)) from None
    return read(data, file)
