"""`reconcile plan SPEC...`: compare notebooks with the spec and show the drift."""

from __future__ import annotations

import argparse
import contextlib
import gc
import signal
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from reconcile._cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    add_live_options,
    add_output_options,
    diagnose,
    emit,
    live_settings,
    path_text,
    print_spec_problems,
    rfc3339_text,
    source_date_epoch,
)
from reconcile._core.errors import SpecError

if TYPE_CHECKING:
    from reconcile._core.observation import Observation
    from reconcile._core.spec import Spec

__all__ = ["add", "observe"]


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `plan` command."""
    p = commands.add_parser(
        "plan",
        help="compare notebooks with the spec and show the drift",
        description="Compare each notebook of the spec with what is observed and show what would change.\n"
        "Offline with --observed (saved API responses); live against the ModelArts API otherwise.",
        epilog="exit status: 0 success (with --detailed-exitcode: no changes), 1 error, "
        "2 changes present (--detailed-exitcode only).\n"
        "An error for one notebook gives 1, and the plan for the others is still written.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.yaml, .yml, .json, .toml); merged")
    p.add_argument(
        "--observed",
        metavar="PATH",
        type=path_text,
        help="offline: a JSON file or a directory of saved GET or list responses",
    )
    add_output_options(p)
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes, 0 when there are none (as terraform plan)",
    )
    p.add_argument(
        "--unmanaged",
        choices=("report", "fail", "ignore"),
        default="report",
        help="notebooks of the project's listing that no spec entry manages: report them (default), "
        "fail (they count as changes for --detailed-exitcode), or ignore them; offline, only a saved "
        "list response is a listing",
    )
    live = p.add_argument_group("live observation (without --observed)")
    add_refresh_option(live)
    add_live_options(live)
    from reconcile._cli.check import add_plan_options

    add_plan_options(p)
    p.set_defaults(func=run)


Listing = tuple[Mapping[str, Any], ...] | None


def observe(
    args: argparse.Namespace,
    spec: Spec,
    decided: dict[str, Any] | None = None,
    paused: _Paused | None = None,
) -> tuple[dict[str, Observation], tuple[str, ...], Listing]:
    """Observe every entry of `spec`: offline from `--observed`, or live from the API.

    In list mode, the entries planned from their list entries are put in `decided` (by local name,
    `reconcile._planning.planner.Decided`), so `build_plan` need not decode and compare them again.

    Returns:
        The observations, the observed inputs that could not be used (files under `--observed`),
        and the project's listing when one was observed (offline: the saved list responses; live:
        the list API, unless `--unmanaged ignore`). A live listing that fails is an unusable input.
        With `paused` (the plan's collector pause), live observation runs with the collector on.
    """
    from reconcile._planning.planner import targets

    if args.observed:
        from reconcile._observe.offline import load_observed, observe_offline

        index = load_observed(args.observed)
        return observe_offline(targets(spec), index), index.unreadable, index.listing
    with paused.resumed() if paused is not None else contextlib.nullcontext():
        return _observe_live(args, spec, decided)


def _observe_live(
    args: argparse.Namespace, spec: Spec, decided: dict[str, Any] | None
) -> tuple[dict[str, Observation], tuple[str, ...], Listing]:
    from reconcile._core.observation import Failed
    from reconcile._observe import live
    from reconcile._planning.planner import targets

    settings = live_settings(args, spec.project_id)
    wanted = targets(spec)
    progress = _Progress(len(wanted)) if sys.stderr.isatty() else None
    try:
        needs_listing = getattr(args, "unmanaged", "report") != "ignore"
        trust = _trust(spec, decided) if refresh_mode(args, len(wanted), needs_listing) == "list" else None
        if not needs_listing and trust is None:
            return live.observe_with_settings(settings, wanted, progress=progress), (), None
        listed: list[live.Listed] = []
        found = live.observe_with_settings(settings, wanted, progress=progress, listing=listed, trust=trust)
        if isinstance(listed[0], Failed):  # list mode then read every notebook as get mode does
            return found, (listed[0].message,), None
        return found, (), listed[0] if needs_listing else None
    except KeyboardInterrupt:
        # A second Ctrl-C while the interpreter winds the workers down would print their traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise
    finally:
        if progress is not None:
            progress.finish()


#: Notebooks per list page (the API's largest page): list mode pays one request per this many.
LIST_PAGE = 50


def add_refresh_option(group: Any) -> None:
    """`--refresh list|get|auto`: how a live run reads the notebooks."""
    group.add_argument(
        "--refresh",
        choices=("auto", "list", "get"),
        default="auto",
        help="live: read the notebooks through the list API, confirming with a GET every one that "
        "would show drift or whose list entry lacks a managed field (list), one GET each (get), or "
        "whichever makes fewer requests (auto, the default: list when the listing is made anyway "
        "for unmanaged notebooks, or when the spec has more notebooks than a list page holds, 50); "
        "every mode plans the same",
    )


def refresh_mode(args: argparse.Namespace, targets: int, needs_listing: bool) -> str:
    """`list` or `get`: `--refresh`, with `auto` resolved to the mode that makes fewer requests.

    With the listing made anyway (`--unmanaged report|fail`), list mode costs the listing plus the
    confirming GETs, get mode the listing plus one GET per notebook: list never costs more. Without
    it, list mode costs about one request per 50 notebooks plus the confirmations: list when the
    spec has more notebooks than one page holds.
    """
    mode = str(getattr(args, "refresh", "get"))
    if mode != "auto":
        return mode
    return "list" if needs_listing or targets > LIST_PAGE else "get"


def _trust(spec: Spec, decided: dict[str, Any] | None = None) -> Any:
    """The list-mode test of one target's list entry (`planned_from_list` for its spec entry); what
    it planned is kept in `decided`, by local name, for `build_plan` to reuse."""
    from reconcile._planning.listmode import planned_from_list

    entries = {entry.name: entry for entry in spec.entries}
    kept = decided if decided is not None else {}

    def trust(target: Any, body: Mapping[str, Any]) -> bool:
        entry = entries.get(target.name)
        planned = planned_from_list(entry, body) if entry is not None else None
        if planned is not None:
            kept[target.name] = planned
        return planned is not None

    return trust


class _Progress:
    """A one-line progress counter on stderr (only used when stderr is a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def __call__(self, *_: object) -> None:
        self.done += 1
        sys.stderr.write(f"\robserving notebooks: {self.done}/{self.total}")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.done:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    """Load, observe, plan, render; the exit status follows `terraform plan -detailed-exitcode`."""
    with _rare_collections() as paused:
        return _run(args, paused)


class _Paused:
    """The cyclic garbage collector switched off while a plan is made (`_rare_collections`).

    A fleet's plan allocates millions of container objects (parsed bodies, models, documents) that
    stay alive until the plan is written and make no cycles. Every collection of the youngest
    generation walks all of them once more: at any threshold that is about 100 ns per object
    allocated, a tenth of a 10,000-notebook plan (34 collections, 0.35 s, freeing 2,775 objects in
    all, measured with `gc.callbacks`). Live observation runs with the collector as it was
    (`resumed`): retries and faults make reference cycles (tracebacks, frames, connection objects)
    for as long as the service misbehaves, and it waits on the network anyway.
    """

    def __init__(self) -> None:
        self.was_enabled = gc.isenabled()
        self.caller_froze = gc.get_freeze_count() > 0

    @contextlib.contextmanager
    def resumed(self) -> Iterator[None]:
        """The collector as it was before the plan, for the time of the block."""
        if self.was_enabled:
            gc.enable()
        try:
            yield
        finally:
            if self.was_enabled:
                gc.disable()


@contextlib.contextmanager
def _rare_collections() -> Iterator[_Paused]:
    """No cyclic garbage collection while a plan is made (see `_Paused`); afterwards the collector
    as it was, with what the plan allocated in the oldest generation."""
    paused = _Paused()
    gc.disable()
    try:
        yield paused
    finally:
        # What the plan allocated goes straight to the oldest generation (freeze, then unfreeze:
        # two list splices), as if it had survived: re-enabled, the collector would otherwise walk
        # all of it at once on the next allocation. Not when the caller keeps objects frozen
        # (`gc.freeze()` before a fork): unfreezing would release those too.
        if not paused.caller_froze:
            gc.freeze()
            gc.unfreeze()
        if paused.was_enabled:
            gc.enable()


def _run(args: argparse.Namespace, paused: _Paused | None = None) -> int:
    from reconcile._cli.check import plan_with_waivers
    from reconcile._specfile.load import load_spec

    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        return print_spec_problems(exc)
    decided: dict[str, Any] = {}
    observations, unusable, listing = observe(args, spec, decided, paused)
    mode = getattr(args, "unmanaged", "report")
    where = _provenance(args, spec)
    planned = plan_with_waivers(
        args, spec, observations, **where, listing=None if mode == "ignore" else listing, decided=decided
    )
    if isinstance(planned, int):
        return planned
    plan, waiver_status = planned
    emit(args, plan)
    if plan.listed is not None:
        from reconcile._planning.unmanaged import unused_rules

        for rule in unused_rules(spec, plan.unmanaged):
            at = rule.location
            where_text = (
                f"{at.file}:{at.line}: {at.path}: "
                if at and at.line
                else f"{at.file}: {at.path}: "
                if at
                else ""
            )
            diagnose(
                f"reconcile: warning: {where_text}ignore rule {rule.label} matches no unmanaged notebook"
            )
    for error in plan.errors:
        diagnose(f"reconcile: error: {error.address}: {error.message}")
    for problem in unusable:  # a file under --observed that could not be read: said even if unneeded
        diagnose(f"reconcile: error: observed input: {problem}")
    if plan.errors or unusable or waiver_status:
        return EXIT_ERROR
    if args.detailed_exitcode and (plan.has_changes or (mode == "fail" and plan.summary.unmanaged)):
        return EXIT_CHANGES
    return EXIT_OK


def _provenance(args: argparse.Namespace, spec: Spec) -> dict[str, Any]:
    """The plan metadata only the command line knows: where it observed, and when (if asked)."""
    where: dict[str, Any] = {"project_id": args.project_id, "timestamp": _timestamp(args)}
    if args.observed:
        where["observed"] = args.observed
        return where
    # The same resolution as the observation that just succeeded (flags, spec, environment).
    settings = live_settings(args, spec.project_id)
    where.update(project_id=settings.project_id, endpoint=settings.endpoint)
    return where


def _timestamp(args: argparse.Namespace) -> str | None:
    """The plan's timestamp: `--now` when given, else `SOURCE_DATE_EPOCH`; never the wall clock."""
    now = getattr(args, "now", None) or source_date_epoch()
    return None if now is None else rfc3339_text(now)
