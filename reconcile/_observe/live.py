"""Live observation: turn spec targets into observations by asking the ModelArts API, concurrently.

`observe_live` observes many notebooks with at most `parallelism` requests in flight: a target with
an id is read with `GET .../notebooks/{id}`; a target with only a name is looked up in the list API
(one lookup per distinct name, all pages, resolved by `resolve_by_name` exactly as offline). Every
target gets an observation (`Found`, `Missing` or `Failed`): one notebook that cannot be read never
stops the others, and neither does an unexpected error in a worker (it is `Failed` for its targets).

`client_from_options` builds the `ModelArtsClient` from command-line options and the environment;
`observe_for_cli` does both for `reconcile plan`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import datetime
from typing import Any, Protocol

from reconcile._core.errors import ConfigError, NotFoundError, ReconcileError
from reconcile._core.observation import (
    Failed,
    Found,
    Missing,
    Observation,
    Target,
    missing_by_id,
    resolve_by_name,
)
from reconcile._modelarts.auth import credentials_from_env, endpoint_for_region
from reconcile._modelarts.client import ModelArtsClient, RetryPolicy, Timeouts

__all__ = ["NotebookSource", "Progress", "client_from_options", "observe_for_cli", "observe_live"]

#: Called once per target, in the calling thread, as soon as its observation is known.
Progress = Callable[[Target, Observation], None]


class NotebookSource(Protocol):
    """What `observe_live` needs from a client (`ModelArtsClient` is one)."""

    def get_notebook(self, notebook_id: str) -> bytes:
        """The raw body of one notebook."""
        ...

    def list_notebooks(self, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Every list entry whose name fuzzily matches `name`."""
        ...

    def notebook_url(self, notebook_id: str) -> str:
        """Where `get_notebook` reads from."""
        ...

    def list_url(self, name: str | None = None) -> str:
        """Where `list_notebooks` reads from."""
        ...


def observe_live(
    targets: Sequence[Target],
    client: NotebookSource,
    parallelism: int = 10,
    progress: Progress | None = None,
) -> dict[str, Observation]:
    """Observe every target through the API, with at most `parallelism` requests in flight.

    Args:
        targets: what to observe; a target's `notebook_id` is its identity when given, else its
            `notebook_name`.
        client: the API client.
        parallelism: most requests in flight at once (default 10, like Terraform).
        progress: called with each target and its observation as it completes.

    Returns:
        One observation per target, keyed by `Target.name`, in the order of `targets`:
        `Found(body=bytes)` for a GET, `Found(body=dict)` for the notebook with the name,
        `Missing` when the service says there is no such notebook or no notebook has that name,
        `Failed` for any other error, an empty id, or several notebooks with the name.

    Raises:
        ConfigError: `parallelism` is below 1.
    """
    if parallelism < 1:
        raise ConfigError(f"parallelism must be at least 1, not {parallelism}")
    results: dict[str, Observation] = {}
    by_job: dict[tuple[str, str], list[Target]] = {}
    for target in targets:
        failure: Failed | None = None
        if target.notebook_id is not None:  # the id is the identity, even when a name is given too
            if target.notebook_id:
                by_job.setdefault(("id", target.notebook_id), []).append(target)
            else:
                failure = Failed(f"{target.name}: the notebook id is empty")
        elif target.notebook_name:
            by_job.setdefault(("name", target.notebook_name), []).append(target)
        else:
            failure = Failed(f"{target.name}: no notebook id and no name to look it up by")
        if failure is not None:
            results[target.name] = failure
            if progress is not None:
                progress(target, failure)
    if by_job:
        with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="observe") as executor:
            futures: dict[Future[Observation], tuple[str, str]] = {
                executor.submit(_guarded, client, kind, key): (kind, key) for kind, key in by_job
            }
            for future in as_completed(futures):
                observation = future.result()
                for target in by_job[futures[future]]:
                    results[target.name] = observation
                    if progress is not None:
                        progress(target, observation)
    return {target.name: results[target.name] for target in targets}


def _guarded(client: NotebookSource, kind: str, key: str) -> Observation:
    """Observe one id or name; any error at all becomes `Failed`, so no worker can end the run."""
    try:
        return _observe_id(client, key) if kind == "id" else _observe_name(client, key)
    except Exception as exc:  # a bug must cost one notebook, not the whole plan
        subject = f"notebook {key!r}" if kind == "id" else f"notebooks named {key!r}"
        # Only the type: the text of an exception we did not build might hold a secret.
        return Failed(f"{subject}: unexpected error ({type(exc).__name__}); please report this")


def _observe_id(client: NotebookSource, notebook_id: str) -> Observation:
    try:
        return Found(body=client.get_notebook(notebook_id), source=client.notebook_url(notebook_id))
    except NotFoundError:  # the same words as offline, so both paths give byte-identical plans
        return Missing(reason=missing_by_id(notebook_id))
    except ReconcileError as exc:
        return Failed(message=str(exc))


def _observe_name(client: NotebookSource, name: str) -> Observation:
    try:
        entries = client.list_notebooks(name=name)
    except ReconcileError as exc:
        return Failed(message=str(exc))
    source = client.list_url(name)
    # The same rules as offline: exact names only, DELETED passed over, several ids are Failed.
    return resolve_by_name(name, [Found(body=entry, source=source) for entry in entries])


def client_from_options(
    *,
    endpoint: str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    env: Mapping[str, str],
    ca_bundle: str | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    retry: RetryPolicy | None = None,
    parallelism: int = 10,
    clock: Callable[[], datetime] | None = None,
) -> ModelArtsClient:
    """Build the API client from command-line options, falling back on the environment.

    Args:
        endpoint: `--endpoint`; wins over any region.
        region: `--region`, else `HW_REGION_NAME`; gives the endpoint (`endpoint_for_region`,
            or the SDK's `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` override).
        project_id: `--project-id` (or the spec's), else `HUAWEICLOUD_SDK_PROJECT_ID`, else
            `HW_PROJECT_ID`.
        env: the environment (`os.environ`), read by `credentials_from_env`.
        ca_bundle: PEM CA bundle for TLS verification.
        connect_timeout: seconds; default `Timeouts().connect`.
        read_timeout: seconds; default `Timeouts().read`.
        retry: the retry policy; default `RetryPolicy()`.
        parallelism: sizes the connection pool.
        clock: current time for request signing; default the system clock.

    Raises:
        ConfigError: no endpoint or region, no project id, no credentials, or a bad value; the
            message is one line and names the option or variables to set.
    """
    creds = credentials_from_env(env)
    if endpoint is None:
        chosen_region = region or creds.region
        if chosen_region is None:
            raise ConfigError("no endpoint: give --endpoint URL or --region REGION, or set HW_REGION_NAME")
        endpoint = endpoint_for_region(chosen_region, env)
    project = project_id or creds.project_id
    if not project:
        raise ConfigError(
            "no project id: give --project-id, or set HUAWEICLOUD_SDK_PROJECT_ID (or HW_PROJECT_ID)"
        )
    if creds.auth is None:
        raise ConfigError(
            "no credentials: set MODELARTS_AUTH_TOKEN (an IAM token), or HUAWEICLOUD_SDK_AK and "
            "HUAWEICLOUD_SDK_SK (or HW_ACCESS_KEY and HW_SECRET_KEY)"
        )
    defaults = Timeouts()
    timeouts = Timeouts(
        connect=defaults.connect if connect_timeout is None else connect_timeout,
        read=defaults.read if read_timeout is None else read_timeout,
    )
    if timeouts.connect <= 0 or timeouts.read <= 0:
        raise ConfigError("timeouts must be positive numbers of seconds")
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    return ModelArtsClient(
        endpoint,
        project,
        creds.auth,
        timeouts=timeouts,
        retry=retry if retry is not None else RetryPolicy(),
        ca_bundle=ca_bundle,
        pool_maxsize=max(parallelism, 1),
        **extra,
    )


class _HasProjectId(Protocol):
    @property
    def project_id(self) -> str | None: ...


def observe_for_cli(
    args: argparse.Namespace,
    spec: _HasProjectId,
    targets: Sequence[Target],
    env: Mapping[str, str] | None = None,
    progress: Callable[[Target, Observation], None] | None = None,
) -> dict[str, Observation]:
    """Observe `targets` live for `reconcile plan`, configured by its options and the environment.

    Reads `args.endpoint`, `args.region`, `args.project_id` (else the spec's `project_id`),
    `args.ca_bundle` and `args.parallelism`; any missing attribute counts as unset.

    Raises:
        ConfigError: as `client_from_options`.
    """
    parallelism = getattr(args, "parallelism", None) or 10
    client = client_from_options(
        endpoint=getattr(args, "endpoint", None),
        region=getattr(args, "region", None),
        project_id=getattr(args, "project_id", None) or spec.project_id,
        env=os.environ if env is None else env,
        ca_bundle=getattr(args, "ca_bundle", None),
        parallelism=parallelism,
    )
    with client:
        return observe_live(targets, client, parallelism=parallelism, progress=progress)
