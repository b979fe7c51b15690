"""`--now` and `SOURCE_DATE_EPOCH`: one parser for plan, check, validate and generate, one line on error."""

from __future__ import annotations

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
