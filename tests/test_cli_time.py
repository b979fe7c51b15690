"""`--now` and `SOURCE_DATE_EPOCH`: one parser for plan, check, validate and generate, one line on error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import run

SPEC = "examples/policy/notebooks.yaml"
COMMANDS = {
    "plan": ["plan", SPEC, "--observed", "examples/observed"],
    "check": ["check", SPEC, "--spec-only"],
    "validate": ["validate", SPEC, "--policy", "examples/policy/policy.yaml"],
    "generate": ["generate", "--observed", "examples/observed"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("now", ["0001-01-01T00:00:00+01:00", "yesterday", "2026-12-01T09:00:00"])
def test_a_bad_now_is_one_line_for_every_command(command: str, now: str) -> None:
    """A time before year 1 in UTC, a word, or a time without offset: exit 1, one line, no traceback."""
    result = run(*COMMANDS[command], "--now", now)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr
    assert now in result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("epoch", ["999999999999", "-1", " 5x", ""])
def test_a_bad_source_date_epoch_is_the_same_error_for_every_command(command: str, epoch: str) -> None:
    """Every command refuses the same malformed or out-of-range SOURCE_DATE_EPOCH with the same line."""
    args = [*COMMANDS[command], "--format", "json"] if command in ("plan", "check") else COMMANDS[command]
    result = run(*args, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 1, (command, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(
        ("expected a whole number of seconds", "out of range (years 1970 to 9999)")
    ), result.stderr


def test_a_waiver_expiring_on_the_last_representable_day_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """`expires: 9999-12-31` is judged against max_lifetime (too far ahead), not an OverflowError."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "version: 1\nwaivers:\n  - rule: MA004\n    notebook: ds-sandbox\n    reason: r\n"
        "    owner: o@example.com\n    expires: 9999-12-31\n"
    )
    result = run("check", SPEC, "--spec-only", "--waivers", str(waivers), "--now", "2026-12-01T00:00:00Z")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{waivers}:7: waivers[0].expires: 9999-12-31 is more than max_lifetime" in result.stderr


def test_a_policy_lifetime_beyond_ten_years_is_a_located_problem(tmp_path: Path) -> None:
    """`max_lifetime: 1000000000d` is refused with its file, line and the accepted range."""
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nwaivers: {max_lifetime: 1000000000d, warn_days: 14}\n")
    result = run("check", SPEC, "--spec-only", "--policy", str(policy))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{policy}:2: waivers.max_lifetime: expected days from 1 to 3653" in result.stderr


def test_options_that_would_be_ignored_are_errors() -> None:
    """`check --spec-only --observed` and `validate --fail-on` without `--policy` say so instead of ignoring."""
    both = run("check", SPEC, "--spec-only", "--observed", "examples/observed")
    assert both.returncode == 1 and "--spec-only evaluates the spec alone" in both.stderr
    alone = run("validate", SPEC, "--fail-on", "high")
    assert alone.returncode == 1 and "give --policy FILE too" in alone.stderr
    assert run("validate", SPEC).returncode == 0
