"""Live observation: turn spec targets into observations by asking the ModelArts API, concurrently.

`observe_live` observes many notebooks with at most `parallelism` requests in flight: a target with
an id is read with `GET .../notebooks/{id}`; a target with only a name is looked up in the list API
(one lookup per distinct name, all pages, resolved by `resolve_by_name` exactly as offline). Every
target gets an observation (`Found`, `Missing` or `Failed`): one notebook that cannot be read never
stops the others, and neither does an unexpected error in a worker (it is `Failed` for its targets).

An interrupt (Ctrl-C) while observing cancels the queued requests, cuts off the ones in flight
(`ModelArtsClient.close`) and is raised again at once, without waiting for them.

`observe_with_settings` builds the client from a `ClientSettings` value (made from the command line
and the environment by `reconcile._modelarts.settings`) and observes with it; this module reads no
environment and no command line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
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
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.defaults import MAX_PARALLELISM
from reconcile._modelarts.settings import DEFAULT_PARALLELISM, ClientSettings

__all__ = [
    "Listed",
    "NotebookSource",
    "Progress",
    "Trust",
    "list_project",
    "observe_listed",
    "observe_live",
    "observe_with_settings",
]

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

    def close(self) -> None:
        """Cut off every request in flight (called when the observation is interrupted)."""
        ...


def observe_live(
    targets: Sequence[Target],
    client: NotebookSource,
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Progress | None = None,
) -> dict[str, Observation]:
    """Observe every target through the API, with at most `parallelism` requests in flight.

    Args:
        targets: what to observe; a target's `notebook_id` is its identity when given, else its
            `notebook_name`.
        client: the API client.
        parallelism: most requests in flight at once (default `DEFAULT_PARALLELISM`, 10, as
            Terraform).
        progress: called with each target and its observation as it completes.

    Returns:
        One observation per target, keyed by `Target.name`, in the order of `targets`:
        `Found(body=bytes)` for a GET, `Found(body=dict)` for the notebook with the name,
        `Missing` when the service says there is no such notebook or no notebook has that name,
        `Failed` for any other error, an empty id, or several notebooks with the name.

    Raises:
        ConfigError: `parallelism` is below 1 or above `MAX_PARALLELISM` (256).
        KeyboardInterrupt: when interrupted: queued requests are cancelled and the client is
            closed (cutting off those in flight) before it is raised again.
    """
    if not 1 <= parallelism <= MAX_PARALLELISM:
        raise ConfigError(f"parallelism must be from 1 to {MAX_PARALLELISM}, not {parallelism}")
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
        executor = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="observe")
        try:
            futures: dict[Future[Observation], tuple[str, str]] = {
                executor.submit(_guarded, client, kind, key): (kind, key) for kind, key in by_job
            }
            for future in as_completed(futures):
                observation = future.result()
                for target in by_job[futures[future]]:
                    results[target.name] = observation
                    if progress is not None:
                        progress(target, observation)
        except BaseException:  # Ctrl-C above all: stop now, not after every queued request
            executor.shutdown(wait=False, cancel_futures=True)
            client.close()
            raise
        executor.shutdown(wait=True)
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


#: The project's listing: its entries, or `Failed` saying why it could not be read.
Listed = tuple[dict[str, Any], ...] | Failed


def list_project(client: NotebookSource, parallelism: int = 1) -> Listed:
    """Every notebook of the project, through the list API (all pages, bounded by the client); a
    `ModelArtsClient` fetches the pages after the first concurrently, `parallelism` at a time."""
    try:
        if isinstance(client, ModelArtsClient):
            return tuple(client.list_all_notebooks(parallelism))
        return tuple(client.list_notebooks())
    except ReconcileError as exc:
        return Failed(message=f"the project's listing: {exc}")
    except Exception as exc:  # a bug must cost the listing, not the plan
        return Failed(
            message=f"the project's listing: unexpected error ({type(exc).__name__}); please report this"
        )


#: Whether a target may be planned from its list entry alone (no drift, every managed field there).
Trust = Callable[[Target, Mapping[str, Any]], bool]


def observe_listed(
    targets: Sequence[Target],
    client: NotebookSource,
    listing: Sequence[Mapping[str, Any]],
    trust: Trust,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Progress | None = None,
) -> dict[str, Observation]:
    """Observe through a listing already read: list mode (`--refresh list`).

    A target with an id whose list entry `trust` accepts is `Found` from the entry; every other
    target with an id (not listed, listed twice with different contents, or not trusted: it would
    show drift, or lacks a managed field) is confirmed with a GET, exactly as get mode reads it. A
    target with only a name is resolved in the same listing, as get mode resolves it in its
    listing by name. So list mode decides what get mode decides.
    """
    by_id: dict[str, list[Mapping[str, Any]]] = {}
    by_name: dict[str, list[Mapping[str, Any]]] = {}  # only exact names count (`resolve_by_name`)
    for item in listing:
        notebook_id, name = item.get("id"), item.get("name")
        if isinstance(notebook_id, str):
            by_id.setdefault(notebook_id.lower(), []).append(item)
        if isinstance(name, str):
            by_name.setdefault(name, []).append(item)
    source = client.list_url()
    results: dict[str, Observation] = {}
    confirm: list[Target] = []
    for target in targets:
        observation: Observation | None = None
        if target.notebook_id:
            copies = by_id.get(target.notebook_id.lower(), [])
            if copies and all(c == copies[0] for c in copies[1:]) and trust(target, copies[0]):
                observation = Found(body=dict(copies[0]), source=source)
            else:
                confirm.append(target)
        elif target.notebook_id is None and target.notebook_name:
            named_source = client.list_url(target.notebook_name)
            named = [
                Found(body=dict(item), source=named_source) for item in by_name.get(target.notebook_name, [])
            ]
            observation = resolve_by_name(target.notebook_name, named)
        else:
            confirm.append(target)  # an empty identity: observe_live words the failure
        if observation is not None:
            results[target.name] = observation
            if progress is not None:
                progress(target, observation)
    results.update(observe_live(confirm, client, parallelism=parallelism, progress=progress))
    return {target.name: results[target.name] for target in targets}


def observe_with_settings(
    settings: ClientSettings,
    targets: Sequence[Target],
    progress: Progress | None = None,
    *,
    listing: list[Listed] | None = None,
    trust: Trust | None = None,
) -> dict[str, Observation]:
    """Observe `targets` live with a client built from `settings` (closed afterwards).

    Args:
        settings: where and how to connect (`ClientSettings.from_options` builds them from the
            command line and the environment; this function reads neither).
        targets: what to observe.
        progress: called with each target and its observation as it completes.
        listing: when given, the project's listing (`list_project`) is appended to it, read with
            the same client after the targets (unmanaged notebooks need it).
        trust: list mode: the listing is read first and the targets are observed through it
            (`observe_listed`); when the listing fails, every target is read as in get mode.
    """
    with ModelArtsClient.from_settings(settings) as client:
        if trust is not None:
            listed = list_project(client, settings.parallelism)
            if listing is not None:
                listing.append(listed)
            if not isinstance(listed, Failed):
                return observe_listed(
                    targets, client, listed, trust, parallelism=settings.parallelism, progress=progress
                )
            return observe_live(targets, client, parallelism=settings.parallelism, progress=progress)
        found = observe_live(targets, client, parallelism=settings.parallelism, progress=progress)
        if listing is not None:
            listing.append(list_project(client, settings.parallelism))
        return found
