"""`reconcile apply [SPEC... | --plan PLAN.json]`: change the notebooks to match the spec.

With SPEC: plan live, print the plan, ask for confirmation (Terraform's words; `--auto-approve`
skips it, and without a terminal one of the two is required). With `--plan`: execute a saved JSON
plan after checking it was made for this project and endpoint, by a compatible format, and that no
notebook it changes moved since (each is read again and its fingerprint compared with the plan's).
Replacements are refused unless `--allow-replace`. The executor is `reconcile._apply.executor`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from reconcile._cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_live_options,
    diagnose,
    duration_seconds,
    live_settings,
    path_text,
    print_spec_problems,
    use_color,
)
from reconcile._core.errors import ReconcileError, SpecError

if TYPE_CHECKING:
    from reconcile._apply.executor import ApplyResult
    from reconcile._core.plan import Plan
    from reconcile._modelarts.client import ModelArtsClient
    from reconcile._modelarts.settings import ClientSettings

__all__ = ["add", "run"]

_PROMPT = (
    "\nDo you want to perform these actions?\n"
    "  modelarts-reconcile will perform the actions described above.\n"
    "  Only 'yes' will be accepted to approve.\n\n"
    "  Enter a value: "
)


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `apply` command."""
    p = commands.add_parser(
        "apply",
        help="change the notebooks to match the spec (or a saved plan)",
        description="Plan and apply the spec, after confirmation; or apply a saved JSON plan (--plan)\n"
        "after checking that no notebook it changes moved since it was planned.",
        epilog="exit status: 0 applied and verified (or nothing to do), 1 refused, failed or drift "
        "left after applying, 130 interrupted.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files (.yaml, .yml, .json, .toml); merged")
    p.add_argument("--plan", metavar="PLAN.json", type=path_text, help="apply this saved JSON plan")
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--allow-replace",
        action="store_true",
        help="allow replacements (delete and create: the notebook's storage is lost)",
    )
    p.add_argument(
        "--timeout",
        type=duration_seconds,
        default=20 * 60.0,
        metavar="DURATION",
        help="longest one notebook's steps may take, waits included (default 20m)",
    )
    p.add_argument(
        "--journal", metavar="FILE", type=path_text, help="append one JSON line per step taken to FILE"
    )
    p.add_argument("--no-color", action="store_true", help="no ANSI colours")
    live = p.add_argument_group("live options (as for plan)")
    add_live_options(live)
    from reconcile._cli.check import add_plan_options

    add_plan_options(p)
    p.set_defaults(func=run, format="text", out=None, artifact_name="plan.json", observed=None)


def run(args: argparse.Namespace) -> int:
    """Plan (or read the saved plan), check, confirm, execute, verify, summarise."""
    if bool(args.specs) == bool(args.plan):
        diagnose("reconcile: error: apply takes SPEC files or --plan PLAN.json (one of the two)")
        return EXIT_ERROR
    if args.plan:
        return _run_saved(args)
    return _run_spec(args)


def _run_spec(args: argparse.Namespace) -> int:
    from reconcile._cli.check import plan_with_waivers
    from reconcile._cli.plan import _provenance, observe
    from reconcile._specfile.load import load_spec

    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        return print_spec_problems(exc)
    if not args.auto_approve and not sys.stdin.isatty():
        diagnose("reconcile: error: apply needs a terminal to confirm, or --auto-approve")
        return EXIT_ERROR
    observations, _, _ = observe(args, spec)
    planned = plan_with_waivers(args, spec, observations, **_provenance(args, spec))
    if isinstance(planned, int):
        return planned
    plan, waiver_status = planned
    if waiver_status:  # --strict-waivers and a drift waiver that matches nothing: nothing applied
        return waiver_status
    _print_plan(args, plan)
    if plan.errors:
        for error in plan.errors:
            diagnose(f"reconcile: error: {error.address}: {error.message}")
        diagnose("reconcile: error: nothing applied: the plan has errors")
        return EXIT_ERROR
    refused = _refusals(args, plan)
    if refused:
        return refused
    if not plan.has_changes:
        sys.stdout.write("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.\n")
        return EXIT_OK
    if not args.auto_approve:
        sys.stdout.write(_replacement_warning(plan, color=use_color(args)))
        sys.stdout.write(_PROMPT)
        sys.stdout.flush()
        answer = sys.stdin.readline().strip()
        if answer != "yes":
            sys.stdout.write("\nApply cancelled.\n")
            return EXIT_ERROR
    settings = live_settings(args, spec.project_id)
    return _execute(args, plan, settings)


def _run_saved(args: argparse.Namespace) -> int:
    from reconcile._api import read_plan
    from reconcile._core.plan import OFFLINE
    from reconcile._modelarts.client import ModelArtsClient

    try:  # read as `show` reads it: a regular file only, capped, every refusal one line
        plan = read_plan(args.plan)
    except (ReconcileError, OSError) as exc:
        diagnose(f"reconcile: error: {exc}")
        return EXIT_ERROR
    meta = plan.metadata
    if meta.endpoint == OFFLINE or meta.endpoint is None:
        diagnose(f"reconcile: error: {args.plan}: the plan was made offline (--observed); plan live to apply")
        return EXIT_ERROR
    settings = live_settings(args, meta.project_id)
    if meta.project_id != settings.project_id:
        diagnose(
            f"reconcile: error: {args.plan}: the plan is for project {meta.project_id}, "
            f"not {settings.project_id}"
        )
        return EXIT_ERROR
    if meta.endpoint.rstrip("/") != settings.endpoint.rstrip("/"):
        diagnose(
            f"reconcile: error: {args.plan}: the plan is for endpoint {meta.endpoint}, "
            f"not {settings.endpoint}"
        )
        return EXIT_ERROR
    if plan.errors:
        diagnose(f"reconcile: error: {args.plan}: the plan has errors; nothing applied")
        return EXIT_ERROR
    refused = _refusals(args, plan)
    if refused:
        return refused
    with ModelArtsClient.from_settings(settings) as client:
        stale = _stale(plan, client)
    if stale:
        diagnose(f"reconcile: error: the plan is stale: {stale}; plan again")
        return EXIT_ERROR
    if not plan.has_changes:
        sys.stdout.write("Apply complete! Resources: 0 added, 0 changed, 0 destroyed.\n")
        return EXIT_OK
    return _execute(args, plan, settings)


def _print_plan(args: argparse.Namespace, plan: Plan) -> None:
    from reconcile._cli.common import emit

    emit(args, plan)


def _replacement_warning(plan: Plan, *, color: bool) -> str:
    """The lines before the confirmation naming each replacement (red on a terminal), or ""."""
    from reconcile._core.plan import Action
    from reconcile._render.common import clean_text

    replaced = [rc.address for rc in plan.resource_changes if Action.DELETE in rc.actions]
    if not replaced:
        return ""
    lines = [
        f"Warning: {clean_text(address)} will be destroyed and created again: its storage is lost."
        for address in replaced
    ]
    if color:
        lines = [f"\x1b[1;31m{line}\x1b[0m" for line in lines]
    return "\n" + "\n".join(lines) + "\n"


def _refusals(args: argparse.Namespace, plan: Plan) -> int:
    """Refuse creates of entries by id, replacements without --allow-replace, and creates the spec
    cannot feed."""
    from reconcile._core.plan import Action, Step
    from reconcile._planning.decisions import BY_ID_NOTE

    status = EXIT_OK
    for rc in plan.resource_changes:
        if Step.REFUSE_CREATE_BY_ID in rc.steps:
            verb = "replaced" if Action.DELETE in rc.actions else "created"
            diagnose(f"reconcile: error: {rc.address} must be {verb}, but {BY_ID_NOTE}")
            status = EXIT_ERROR
        elif Action.DELETE in rc.actions and not args.allow_replace:
            paths = ", ".join(".".join(p) for p in rc.replace_paths) or "its identity"
            diagnose(
                f"reconcile: error: {rc.address} must be replaced ({paths}), which destroys its storage; "
                "pass --allow-replace to allow it"
            )
            status = EXIT_ERROR
        if rc.create_missing:
            diagnose(
                f"reconcile: error: {rc.address}: a create needs {', '.join(rc.create_missing)}, "
                "which the spec does not give"
            )
            status = EXIT_ERROR
    if status:
        diagnose("reconcile: error: nothing applied")
    return status


def _stale(plan: Plan, client: ModelArtsClient) -> str | None:
    """The first notebook the plan changes that moved since it was planned, said in words."""
    from reconcile._codec.observed import decode_notebook
    from reconcile._core.observation import Found, Missing, Target
    from reconcile._observe.live import observe_live
    from reconcile._planning.provenance import fingerprint_record

    changed = [rc for rc in plan.resource_changes if rc.is_change]
    wanted = [
        Target(rc.name, rc.notebook_id, None if rc.notebook_id else (rc.after or {}).get("name") or rc.name)
        for rc in changed
    ]
    observations = observe_live(wanted, client)
    for rc in changed:
        recorded = plan.metadata.fingerprint_of(rc.name)
        observation = observations[rc.name]
        if isinstance(observation, Missing):
            now = fingerprint_record(rc.name, None)
        elif isinstance(observation, Found):
            try:
                now = fingerprint_record(
                    rc.name, decode_notebook(observation.body, source=observation.source)
                )
            except ReconcileError as exc:
                return f"{rc.address} cannot be read again: {exc}"
        else:
            return f"{rc.address} cannot be read again: {getattr(observation, 'message', '')}"
        if recorded is None:
            return f"{rc.address} has no fingerprint in the plan"
        if now.fingerprint != recorded.fingerprint:
            if now.status != recorded.status:
                what = f"status {recorded.status or 'absent'} -> {now.status or 'absent'}"
            elif now.update_at != recorded.update_at:
                what = f"update_at {recorded.update_at} -> {now.update_at}"
            else:
                what = "its observed fields differ"
            return f"{rc.address} changed since it was planned: {what}"
    return None


def _execute(args: argparse.Namespace, plan: Plan, settings: ClientSettings) -> int:
    from reconcile._apply.executor import Timing, apply_plan
    from reconcile._apply.journal import Journal
    from reconcile._modelarts.client import ModelArtsClient

    stop, abort = threading.Event(), threading.Event()
    with contextlib.ExitStack() as stack:
        journal = None
        if args.journal:
            try:
                stream: IO[str] = stack.enter_context(Path(args.journal).open("a", encoding="utf-8"))
            except OSError as exc:
                diagnose(f"reconcile: error: --journal {args.journal}: {exc.strerror or exc}")
                return EXIT_ERROR
            journal = Journal(stream, settings.auth.secrets())
        client = stack.enter_context(ModelArtsClient.from_settings(settings))
        previous = signal.getsignal(signal.SIGINT)

        def interrupted(_signum: int, _frame: object) -> None:
            if not stop.is_set():
                diagnose(
                    "reconcile: interrupted: finishing the steps in flight, starting nothing new "
                    "(interrupt again to stop waiting for the service)"
                )
                stop.set()
            elif not abort.is_set():
                diagnose("reconcile: interrupted again: the steps in flight stop waiting for the service")
                abort.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, interrupted)
            stack.callback(signal.signal, signal.SIGINT, previous)
        total = sum(1 for rc in plan.resource_changes if rc.is_change and rc.steps)
        progress = _Progress(total) if sys.stderr.isatty() else None
        try:
            result = apply_plan(
                plan,
                client,
                parallelism=args.parallelism,
                timing=Timing(timeout=args.timeout),
                journal=journal,
                stop=stop,
                progress=progress,
                abort=abort,
            )
        finally:
            if progress is not None:
                progress.finish()
    return _report(plan, result)


class _Progress:
    """A one-line counter of notebooks applied on stderr (only on a terminal), like plan's."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._lock = threading.Lock()

    def __call__(self, *_: object) -> None:
        with self._lock:
            self.done += 1
            sys.stderr.write(f"\rapplying notebooks: {self.done}/{self.total}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.done:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _report(plan: Plan, result: ApplyResult) -> int:
    from reconcile._core.plan import Action

    by_address = {rc.address: rc for rc in plan.resource_changes}
    added = changed = destroyed = 0
    for r in result.results:
        steps = ", ".join(s.value for s in r.done) or "nothing"
        if r.complete:
            sys.stdout.write(f"{r.address}: done ({steps})\n")
            actions = by_address[r.address].actions
            destroyed += Action.DELETE in actions
            if Action.CREATE in actions:
                added += 1
            else:
                changed += 1
            continue
        left = ", ".join(s.value for s in r.not_done) or "nothing"
        why = r.error or ("drift after apply: " + ", ".join(r.drift))
        diagnose(f"reconcile: error: {r.address}: {why}; done: {steps}; not done: {left}")
    sys.stdout.flush()
    if result.complete:
        sys.stdout.write(
            f"\nApply complete! Resources: {added} added, {changed} changed, {destroyed} destroyed.\n"
        )
        return EXIT_OK
    applied = sum(r.complete for r in result.results)
    diagnose(
        f"reconcile: error: apply incomplete: {applied} of {len(result.results)} notebooks "
        "applied and verified"
    )
    return EXIT_INTERRUPTED if result.interrupted else EXIT_ERROR
