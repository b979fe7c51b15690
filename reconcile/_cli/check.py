"""`reconcile check SPEC...`: evaluate the compliance rules and write a report.

Also the pieces `plan` and `validate` share with it: `--now` (with `SOURCE_DATE_EPOCH`), `--policy`
and `--waivers` loading.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from reconcile._cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    add_live_options,
    add_out_and_color,
    diagnose,
    parse_now,
    path_text,
    print_spec_problems,
    use_color,
    write_output,
)
from reconcile._cli.common import evaluation_time as common_evaluation_time
from reconcile._core.errors import ConfigError, SpecError

if TYPE_CHECKING:
    from reconcile._core.observation import Observation
    from reconcile._core.plan import Plan
    from reconcile._core.report import Report, Severity, WaiverInfo
    from reconcile._core.spec import Spec
    from reconcile._policy.settings import Policy
    from reconcile._policy.waivers import Waivers

__all__ = [
    "add",
    "add_now_option",
    "add_plan_options",
    "add_policy_option",
    "evaluation_time",
    "load_rules",
    "plan_with_waivers",
    "run",
]

SEVERITIES: Final = ("info", "low", "medium", "high", "critical")

_EPILOG = """\
exit status: 0 no unwaived failure at or above --fail-on; 1 an error (a bad spec, policy or
waiver file, a notebook that could not be observed or a rule that failed to run: everything else is
still evaluated and reported; with --strict-waivers also an unused waiver); 2 unwaived failures at or
above --fail-on (default low). Errors win over failures.

examples:
  reconcile check examples/policy/notebooks.yaml --spec-only --policy examples/policy/policy.yaml
  reconcile check fleet.yaml --observed saved/ --waivers waivers.yaml --format sarif --out r.sarif
"""


def rfc3339(text: str) -> dt.datetime:
    """An argparse type: an RFC 3339 time with an offset (`2026-12-01T09:00:00Z`), as aware UTC."""
    try:
        return parse_now(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_now_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--now TIMESTAMP`."""
    p.add_argument(
        "--now",
        type=rfc3339,
        metavar="TIMESTAMP",
        help="evaluation time for waiver expiry and age rules, RFC 3339 (default: SOURCE_DATE_EPOCH "
        "when set, else the current time)",
    )


def add_policy_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--policy FILE` (repeatable)."""
    p.add_argument(
        "--policy",
        action="append",
        default=[],
        type=path_text,
        metavar="FILE",
        help="policy file (YAML/JSON/TOML): rule settings and custom CEL rules; repeatable",
    )


def evaluation_time(args: argparse.Namespace, env: dict[str, str] | None = None) -> dt.datetime:
    """`--now`, else `SOURCE_DATE_EPOCH`, else the current time (UTC, whole seconds)."""
    return common_evaluation_time(getattr(args, "now", None), env)


def load_rules(args: argparse.Namespace, now: dt.datetime) -> tuple[Policy, Waivers | None, list[SpecError]]:
    """The policy files and the waiver file of `args`; every problem of both, together."""
    from reconcile._policy.rules import BUILTIN
    from reconcile._policy.settings import Policy
    from reconcile._specfile.policy import load_policies
    from reconcile._specfile.waivers import load_waivers

    problems: list[SpecError] = []
    policy = Policy()
    if args.policy:
        try:
            policy = load_policies(args.policy)
        except SpecError as exc:
            problems.append(exc)
    waivers = None
    if getattr(args, "waivers", None):
        rules = {*BUILTIN, *(c.id for c in policy.custom)}
        try:
            waivers = load_waivers(args.waivers, rules=rules, now=now, limits=policy.waivers)
        except SpecError as exc:
            problems.append(exc)
    return policy, waivers, problems


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `check` command."""
    from reconcile._render.report_common import REPORT_FORMATS

    p = commands.add_parser(
        "check",
        help="evaluate compliance rules on the spec (and the live notebooks) and report",
        description="Evaluate the built-in rules MA001-MA013 and the policy's custom CEL rules on each\n"
        "notebook's desired state (the spec) and, unless --spec-only, its observed state; apply\n"
        "waivers; write a report (text, json, sarif, junit, markdown or html).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.yaml, .yml, .json, .toml); merged")
    p.add_argument(
        "--spec-only",
        action="store_true",
        help="evaluate the desired state only: no observation, no credentials (the pre-deploy gate)",
    )
    p.add_argument(
        "--observed",
        metavar="PATH",
        type=path_text,
        help="offline: a JSON file or a directory of saved GET or list responses",
    )
    add_policy_option(p)
    p.add_argument("--waivers", metavar="FILE", type=path_text, help="waiver file (YAML/JSON/TOML)")
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="low",
        help="the lowest severity whose unwaived failures give exit status 2 (default low)",
    )
    add_now_option(p)
    p.add_argument("--strict-waivers", action="store_true", help="an unused waiver is an error (exit 1)")
    p.add_argument("--format", choices=REPORT_FORMATS, default="text", help="report format (default text)")
    add_out_and_color(p)
    p.add_argument(
        "--omit-waived",
        action="store_true",
        help="SARIF: leave waived results out instead of including them with suppressions",
    )
    p.add_argument(
        "--also",
        action="append",
        type=_also,
        metavar="FORMAT=FILE",
        help="also write the same report as FORMAT to FILE (repeatable): several formats from one "
        "evaluation, so the notebooks are observed once",
    )
    live = p.add_argument_group("live observation (without --observed or --spec-only)")
    add_live_options(live)
    from reconcile._cli.plan import add_refresh_option

    add_refresh_option(live)
    p.set_defaults(func=run)


def write_report(args: argparse.Namespace, report: Report) -> None:
    """Render the report as `--format` says, to `--out` (atomically) or stdout."""
    from reconcile._render.report_common import render_report

    write_output(
        args, render_report(report, args.format, color=use_color(args), suppressed=not args.omit_waived)
    )
    from reconcile._cli.output import write_atomically

    for fmt, path in getattr(args, "also", None) or ():  # the same report, more formats: one evaluation
        write_atomically(Path(path), render_report(report, fmt, suppressed=not args.omit_waived))


def _also(text: str) -> tuple[str, str]:
    """`--also FORMAT=FILE`, checked."""
    from reconcile._render.report_common import REPORT_FORMATS

    fmt, sep, path = text.partition("=")
    if not sep or fmt not in REPORT_FORMATS or not path:
        raise argparse.ArgumentTypeError(
            f"expected FORMAT=FILE with FORMAT one of {', '.join(REPORT_FORMATS)}, got {text!r}"
        )
    return fmt, path_text(path)


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before anything is evaluated, `--out`/`--also` files that would clobber each other or
    an input, that name stdout, or whose folder does not exist.

    Raises:
        ConfigError: the first such file, in one line.
    """
    outputs = [("--out", args.out)] if args.out else []
    outputs += [(f"--also {fmt}={path}", path) for fmt, path in getattr(args, "also", None) or ()]
    inputs = [*args.specs, *(getattr(args, "policy", None) or ()), *([args.waivers] if args.waivers else [])]
    taken = {Path(p).resolve(): f"the input {p}" for p in inputs}
    for option, path in outputs:
        if option != "--out" and path == "-":
            raise ConfigError(
                f"{option}: '-' is not a file (the report of --format goes to stdout without --out)"
            )
        where = Path(path).resolve()
        if where in taken:
            raise ConfigError(f"{option}: {path} is also {taken[where]}: each output needs a file of its own")
        if not where.parent.is_dir():
            raise ConfigError(f"{option}: {path}: no such directory {str(Path(path).parent)!r}")
        taken[where] = option


def exit_status(report: Report, *, strict_waivers: bool = False) -> int:
    """1 on errors (and unused waivers when strict), else 2 on blocking failures, else 0."""
    if report.has_errors or (strict_waivers and report.unused_waivers):
        return EXIT_ERROR
    return EXIT_CHANGES if report.blocking else EXIT_OK


def diagnose_report(report: Report, *, strict_waivers: bool = False) -> None:
    """Errors, unused and expiring waivers on stderr, one line each."""
    from reconcile._core.report import Status, WaiverState
    from reconcile._render.report_common import address

    for name, message in report.errors:
        diagnose(f"reconcile: error: {address(name)}: {message}")
    for f in report.problems():
        if f.status is Status.ERROR:
            diagnose(f"reconcile: error: {address(f.name)}: {f.rule} ({f.subject.value}): {f.message}")
    for w in report.unused_waivers:
        diagnose(unused_warning(w, strict=strict_waivers))
    for w in report.waivers:
        if w.state is WaiverState.EXPIRING and w.used:
            diagnose(f"reconcile: warning: waiver {w.key} on {w.target} expires on {w.expires}")


def unused_warning(w: WaiverInfo, *, strict: bool = False) -> str:
    """The line of a waiver that matched nothing (check and plan say it alike): a warning, or an
    error under `--strict-waivers`."""
    where = f"{w.location}: " if w.location else ""
    kind = "error" if strict else "warning"
    return f"reconcile: {kind}: {where}waiver {w.key} on {w.target} matches nothing (unused)"


def evaluate_specs(
    args: argparse.Namespace,
    spec: Spec,
    *,
    policy: Policy,
    waivers: Waivers | None,
    now: dt.datetime,
    fail_on: Severity,
) -> tuple[Report, tuple[str, ...]]:
    """Evaluate the spec, observing it first unless `--spec-only`.

    Returns:
        The report, and the observed inputs that could not be used (files under `--observed`).
    """
    from reconcile._policy.engine import evaluate, observed_state

    observed = None
    unusable: tuple[str, ...] = ()
    if not getattr(args, "spec_only", True):
        from reconcile._cli.plan import observe
        from reconcile._planning.planner import build_plan

        decided: dict[str, Any] = {}
        observations, unusable, listing = observe(args, spec, decided)
        observed = observed_state(
            build_plan(spec, observations, listing=listing, decided=decided), observations
        )
    return evaluate(spec, policy, waivers, now=now, observed=observed, fail_on=fail_on), unusable


def run(args: argparse.Namespace) -> int:
    """Load the spec, policy and waivers, evaluate, write the report; the exit status as documented."""
    from reconcile._core.report import Severity
    from reconcile._specfile.load import load_spec

    if args.spec_only and args.observed:
        raise ConfigError("--spec-only evaluates the spec alone: drop --observed, or drop --spec-only")
    _check_outputs(args)
    now = evaluation_time(args)
    problems: list[SpecError] = []
    spec = None
    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        problems.append(exc)
    policy, waivers, more = load_rules(args, now)
    problems += more
    if problems or spec is None:
        return print_spec_problems(SpecError([p for exc in problems for p in exc.problems]))
    report, unusable = evaluate_specs(
        args, spec, policy=policy, waivers=waivers, now=now, fail_on=Severity(args.fail_on)
    )
    write_report(args, report)
    diagnose_report(report, strict_waivers=args.strict_waivers)
    for problem in unusable:  # a file under --observed that could not be read: an error, as in plan
        diagnose(f"reconcile: error: observed input: {problem}")
    status = exit_status(report, strict_waivers=args.strict_waivers)
    return EXIT_ERROR if unusable else status


def add_plan_options(p: argparse.ArgumentParser) -> None:
    """`plan --waivers FILE`, `--policy FILE` and `--now` (acknowledged drift)."""
    g = p.add_argument_group("acknowledged drift")
    g.add_argument(
        "--waivers",
        metavar="FILE",
        type=path_text,
        help="waiver file: differences matched by a valid `drift:` waiver are shown as acknowledged, "
        "left out of the counts, the exit status and what apply would change",
    )
    add_policy_option(g)
    add_now_option(g)
    g.add_argument(
        "--strict-waivers",
        action="store_true",
        help="an unused drift waiver is an error (exit 1), as in check",
    )


def plan_with_waivers(
    args: argparse.Namespace, spec: Spec, observations: Mapping[str, Observation], **provenance: Any
) -> tuple[Plan, int] | int:
    """The plan of `reconcile plan`, with the drift `--waivers` acknowledges taken out of it.

    Acknowledged paths are planned as if the spec ignored them (so actions, notes and `after` are
    worked out by the planner itself); each is kept as data in the change's `acknowledged` (with the
    waiver's reason, owner and expiry) and said in a note. A drift waiver that has expired
    acknowledges nothing: its drift counts again, with a note and a warning saying so. A drift
    waiver that covers no difference is a warning (`--strict-waivers`: an error). Returns the plan
    and the exit status the waivers call for (0, or 1 for unused ones under `--strict-waivers`), or
    only an exit status when the policy or waiver file has problems. `provenance` is what
    `build_plan` records in the plan's metadata (project, endpoint, observed path, timestamp).
    """
    import attrs

    from reconcile._core.plan import Acknowledgement
    from reconcile._core.report import WaiverState
    from reconcile._core.spec import Spec
    from reconcile._planning.planner import build_plan
    from reconcile._policy.engine import drift_matches
    from reconcile._policy.waivers import state_at

    plan = build_plan(spec, observations, **provenance)
    if not getattr(args, "waivers", None) and not getattr(args, "policy", None):
        return plan, EXIT_OK
    now = evaluation_time(args)
    policy, waivers, problems = load_rules(args, now)
    if problems:
        return print_spec_problems(SpecError([p for exc in problems for p in exc.problems]))
    if waivers is None:
        return plan, EXIT_OK
    warn = policy.waivers.warn_days
    matches = {rc.name: drift_matches(rc, waivers, now, warn) for rc in plan.resource_changes}
    used = {id(w) for found in matches.values() for _, w, _ in found}
    status = EXIT_OK
    for w in waivers.waivers:  # rule waivers are check's: plan judges drift only
        state = state_at(w, now, warn)
        if w.drift is not None and id(w) not in used and state is not WaiverState.EXPIRED:
            strict = bool(getattr(args, "strict_waivers", False))
            diagnose(unused_warning(w.info(state), strict=strict))
            status = EXIT_ERROR if strict else status
    for name, found in sorted(matches.items()):
        for path, w, state in found:
            where = f"{w.location}: " if w.location else ""
            if state is WaiverState.EXPIRED:
                diagnose(
                    f"reconcile: warning: {where}waiver {w.key} on {w.info(state).target} expired on "
                    f"{w.expires.isoformat()}: the drift of {path} on {name} counts again"
                )
            elif state is WaiverState.EXPIRING:
                target, day = w.info(state).target, w.expires.isoformat()
                diagnose(f"reconcile: warning: waiver {w.key} on {target} expires on {day}")
    acknowledged = {
        name: [(p, w, s) for p, w, s in found if s is not WaiverState.EXPIRED]
        for name, found in matches.items()
    }
    expired = {
        name: [(p, w) for p, w, s in found if s is WaiverState.EXPIRED] for name, found in matches.items()
    }
    if not any(acknowledged.values()) and not any(expired.values()):
        return plan, status
    entries = []
    for entry in spec.entries:
        paths = tuple(path for path, _, _ in acknowledged.get(entry.name, ()))
        notebook = attrs.evolve(entry.notebook, ignore_changes=(*entry.notebook.ignore_changes, *paths))
        entries.append(attrs.evolve(entry, notebook=notebook) if paths else entry)
    replanned = build_plan(
        Spec(entries=tuple(entries), project_id=spec.project_id, files=spec.files), observations, **provenance
    )
    changes = []
    for rc in replanned.resource_changes:
        notes = tuple(
            f"acknowledged drift: {path} (waived by {w.owner} until {w.expires.isoformat()}"
            f"{', expires soon' if state is WaiverState.EXPIRING else ''}: {w.reason})"
            for path, w, state in acknowledged.get(rc.name, ())
        ) + tuple(
            f"drift no longer acknowledged: {path} (waiver expired on {w.expires.isoformat()}; "
            f"owner {w.owner}: {w.reason})"
            for path, w in expired.get(rc.name, ())
        )
        data = tuple(
            Acknowledgement(path, w.reason, w.owner, w.expires.isoformat(), state is WaiverState.EXPIRING)
            for path, w, state in acknowledged.get(rc.name, ())
        )
        changes.append(attrs.evolve(rc, notes=(*rc.notes, *notes), acknowledged=data) if notes else rc)
    return attrs.evolve(replanned, resource_changes=changes), status
