"""`reconcile validate SPEC...`: check spec files without observing anything."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from reconcile._cli.common import EXIT_OK, print_spec_problems
from reconcile._core.errors import ConfigError, SpecError

if TYPE_CHECKING:
    from reconcile._core.spec import Spec

__all__ = ["add"]


def add(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `validate` command."""
    p = commands.add_parser(
        "validate",
        help="check spec files without observing anything",
        description="Check spec files: syntax, types, unknown keys, values, identities and\n"
        "ignore_changes paths.\n"
        "Every problem is printed on stderr as FILE:LINE: dotted.path: what is wrong (what was expected).",
        epilog="exit status: 0 valid, 1 problems found; with --policy as `reconcile check --spec-only`:\n"
        "0 no unwaived failure at or above --fail-on, 1 problems found, 2 failures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.yaml, .yml, .json, .toml); merged")
    from reconcile._cli import check

    policy = p.add_argument_group("policy (desired-state rules, as `reconcile check --spec-only`)")
    check.add_policy_option(policy)
    policy.add_argument(
        "--fail-on",
        choices=check.SEVERITIES,
        help="with --policy: the lowest severity whose failures give exit status 2 (default low)",
    )
    check.add_now_option(policy)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the specs; print every problem, or how many notebooks and files are valid."""
    from reconcile._specfile.load import load_spec

    try:
        spec = load_spec(args.specs)
    except SpecError as exc:
        return print_spec_problems(exc)
    if args.policy:
        return _check(args, spec)
    if args.fail_on is not None or args.now is not None:
        raise ConfigError("--fail-on and --now judge policy rules: give --policy FILE too")
    count = len(spec.entries)
    files = len(spec.files)
    sys.stdout.write(
        f"Valid: {count} notebook{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}.\n"
    )
    return EXIT_OK


def _check(args: argparse.Namespace, spec: Spec) -> int:
    """The desired-state rules of `--policy` on a valid spec, reported as text."""
    from reconcile._cli import check
    from reconcile._core.report import Severity
    from reconcile._render.report_common import render_report

    now = check.evaluation_time(args)
    policy, _, problems = check.load_rules(args, now)
    if problems:
        return print_spec_problems(SpecError([p for exc in problems for p in exc.problems]))
    report, _ = check.evaluate_specs(
        args, spec, policy=policy, waivers=None, now=now, fail_on=Severity(args.fail_on or "low")
    )
    sys.stdout.write(render_report(report, "text"))
    check.diagnose_report(report)
    return check.exit_status(report)
