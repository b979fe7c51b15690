"""The `reconcile` command line, run for real in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.ptyrun import run_on_terminal

EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.yaml"))
OBSERVED = "examples/observed"
CASES = ROOT / "tests" / "cases"
TOKENS = [json.loads(p.read_text()).get("token") for p in (ROOT / OBSERVED).glob("*.json")]
TOKENS += [nb["token"] for nb in json.loads((ROOT / OBSERVED / "vision-team-list.json").read_text())["data"]]


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m reconcile ARGS` and capture its output."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if env is None or "NO_COLOR" not in env:
        full_env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
        check=False,
    )


def _no_secret(*texts: str) -> None:
    for token in filter(None, TOKENS):
        for text in texts:
            assert token not in text


def test_help_and_version() -> None:
    """`--help` lists every command with examples; `--version` prints the version."""
    result = run("--help")
    assert result.returncode == 0
    for command in ("plan", "validate", "show", "schema", "emulator"):
        assert command in result.stdout
    assert "reconcile plan examples/*.yaml --observed examples/observed" in result.stdout
    version = run("--version")
    assert version.returncode == 0 and re.fullmatch(r"reconcile \d+\.\d+\.\d+\S*\n", version.stdout)


def test_no_command_prints_help_and_fails() -> None:
    """`reconcile` with no command shows usage on stderr and exits 1."""
    result = run()
    assert result.returncode == 1 and "usage: reconcile" in result.stderr


def test_plan_examples_shows_the_drift() -> None:
    """The README's main job: a plan over the examples, exit 0 without --detailed-exitcode."""
    result = run("plan", *EXAMPLES, "--observed", OBSERVED)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "# huaweicloud_modelarts_notebook.ds-sandbox will be updated in-place" in out
    assert '~ flavor = "modelarts.vm.cpu.2u" -> "modelarts.vm.cpu.8u"' in out
    assert '- "0.0.0.0/0",' in out
    assert "# huaweicloud_modelarts_notebook.vision-gpu-03 will be created" in out
    assert "vision-gpu-01" not in out and "shared-demo" not in out  # they match the spec
    assert out.rstrip().endswith(
        "Plan: 1 to add, 2 to change, 0 to destroy.\n\n"
        "Unmanaged notebooks (listed, but no spec entry manages them):\n"
        "  - vision-scratch-kim (b5e1f7a2-8c4d-4f3e-a6b9-2d7c0e1f9a83, STOPPED, workspace 0)\n\n"
        "4 of 5 notebooks are managed, 80%."
    )
    assert "\x1b[" not in out  # not a terminal: no colour
    _no_secret(out, result.stderr)


@pytest.mark.parametrize(
    ("scenario", "code"),
    [("no-drift", 0), ("drift-flavor-running", 2), ("fleet-one-undecodable", 1), ("unreadable-file", 1)],
)
def test_detailed_exitcode(scenario: str, code: int) -> None:
    """--detailed-exitcode gives 0 without changes, 2 with changes, 1 on any error (the rest still planned)."""
    folder = CASES / scenario
    result = run(
        "plan", "spec.yaml", "--observed", "observed", "--detailed-exitcode", "--format", "json", cwd=folder
    )
    assert result.returncode == code, result.stderr
    assert result.stdout == (folder / "expected-plan.json").read_text()
    if code == 1:
        assert result.stderr.startswith("reconcile: error: huaweicloud_modelarts_notebook.")
        assert "Traceback" not in result.stderr


def test_without_detailed_exitcode_changes_exit_zero() -> None:
    """Without --detailed-exitcode a plan with changes exits 0, an error still 1."""
    assert (
        run("plan", "spec.yaml", "--observed", "observed", cwd=CASES / "drift-flavor-running").returncode == 0
    )
    assert (
        run("plan", "spec.yaml", "--observed", "observed", cwd=CASES / "fleet-one-undecodable").returncode
        == 1
    )


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit"])
def test_every_format_round_trips_through_show(tmp_path: Path, fmt: str) -> None:
    """`reconcile show plan.json --format F` equals `reconcile plan --format F`."""
    plan_json = tmp_path / "plan.json"
    saved = run("plan", *EXAMPLES, "--observed", OBSERVED, "--format", "json", "--out", str(plan_json))
    assert saved.returncode == 0 and saved.stdout == ""
    direct = run("plan", *EXAMPLES, "--observed", OBSERVED, "--format", fmt)
    shown = run("show", str(plan_json), "--format", fmt)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == direct.stdout
    _no_secret(plan_json.read_text(), direct.stdout)


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    """Two runs over the same inputs write byte-identical files in every format."""
    for fmt in ("text", "json", "markdown", "junit"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        run("plan", *EXAMPLES, "--observed", OBSERVED, "--format", fmt, "--out", str(a))
        run("plan", *EXAMPLES, "--observed", OBSERVED, "--format", fmt, "--out", str(b))
        assert a.read_bytes() == b.read_bytes()


def test_bad_spec_writes_no_output_file(tmp_path: Path) -> None:
    """A spec error exits 1 with the problem on stderr and leaves no output file behind."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nnotebooks:\n  a: {id: x, flavr: y}\n")
    out = tmp_path / "plan.json"
    result = run("plan", str(bad), "--observed", OBSERVED, "--out", str(out))
    assert result.returncode == 1
    assert (
        result.stderr.splitlines()[0] == f"{bad}:3: notebooks.a.flavr: unknown field (did you mean flavor?)"
    )
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_out_replaces_atomically(tmp_path: Path) -> None:
    """--out replaces an existing file whole and leaves no temporary file."""
    out = tmp_path / "plan.txt"
    out.write_text("old content that is much longer than nothing\n" * 100)
    assert run("plan", *EXAMPLES, "--observed", OBSERVED, "--out", str(out)).returncode == 0
    assert out.read_text().startswith("ModelArts notebooks compared")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["plan", "examples/cpu-notebook.yaml", "--observed", "nowhere"],
            "nowhere: no such file or directory",
        ),
        (["plan", "examples/cpu-notebook.yaml", "--observed", "examples/ci"], "examples/ci: no *.json files"),
        (["show", "README.md"], "README.md: invalid JSON"),
        (["show", "nowhere.json"], "nowhere.json"),
        (["show", "examples"], "examples: is a directory"),
        (["plan", "--format", "yaml", "examples/cpu-notebook.yaml"], "invalid choice: 'yaml'"),
        (["plan", "examples/cpu-notebook.yaml", "--parallelism", "0"], "expected a positive integer, got 0"),
        # urllib3 fills a pool queue of that size before any request: 10^20 never started
        (
            ["plan", "examples/cpu-notebook.yaml", "--parallelism", "99999999999999999999"],
            "--parallelism: expected at most 256, got '99999999999999999999'",
        ),
        (["apply", "examples/cpu-notebook.yaml", "--parallelism", "257"], "expected at most 256, got '257'"),
        (["schema", "other"], "invalid choice: 'other'"),
        (
            [
                "plan",
                "examples/cpu-notebook.yaml",
                "--observed",
                OBSERVED,
                "--out",
                "/nonexistent-dir/plan.txt",
            ],
            "/nonexistent-dir/plan.txt: no such directory '/nonexistent-dir'",
        ),
        (
            ["plan", "examples/cpu-notebook.yaml", "--observed", OBSERVED, "--out", "examples"],
            "examples: is a directory (expected a file name)",
        ),
        (
            ["plan", "examples/cpu-notebook.yaml", "--observed", ""],
            "--observed: expected a path, got an empty string",
        ),
        (
            ["plan", "examples/cpu-notebook.yaml", "--observed", OBSERVED, "--out", " "],
            "--out: expected a path",
        ),
    ],
)
def test_bad_input_gives_one_clear_line(args: list[str], message: str) -> None:
    """Bad paths, files and options give a short error on stderr and exit 1, never a traceback."""
    result = run(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_show_refuses_a_tampered_plan(tmp_path: Path) -> None:
    """A plan JSON with a wrong field is refused with the field's path."""
    plan = json.loads((CASES / "drift-flavor-running" / "expected-plan.json").read_text())
    plan["resource_changes"][0]["change"]["actions"] = ["upgrade"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    result = run("show", str(path))
    assert result.returncode == 1
    assert "resource_changes[0].change.actions[0]" in result.stderr and "Traceback" not in result.stderr


def _run_in_pty(args: list[str], env: dict[str, str]) -> str:
    argv = [sys.executable, "-m", "reconcile", *args]
    return run_on_terminal(argv, {**env, "PYTHONPATH": str(ROOT)}, str(ROOT))[1]


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    """On a TTY the text plan is coloured; NO_COLOR and --no-color turn colour off."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    args = ["plan", *EXAMPLES, "--observed", OBSERVED]
    assert "\x1b[" in _run_in_pty(args, env)
    assert "\x1b[" not in _run_in_pty(args, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in _run_in_pty([*args, "--no-color"], env)


def _ci_commands(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    lines: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("run", "script") and isinstance(value, str | list):
                    for block in value if isinstance(value, list) else [value]:
                        lines.extend(line.strip() for line in block.splitlines())
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    return [line for line in lines if line.startswith("reconcile ")]


@pytest.mark.parametrize("workflow", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_examples_run_real_commands(tmp_path: Path, workflow: str) -> None:
    """Every `reconcile` command in the CI examples parses and runs against the examples offline."""
    commands = _ci_commands(ROOT / "examples" / "ci" / workflow)
    assert any(c.startswith("reconcile plan") for c in commands) and any(
        c.startswith("reconcile show") for c in commands
    )
    for command in commands:
        words = shlex.split(command.split("||")[0].split(">>")[0])[1:]
        words = [w for w in words if w != "notebooks/*.yaml"]
        if words[0] in ("plan", "validate"):
            words[1:1] = [str(ROOT / p) for p in EXAMPLES]
        if words[0] == "plan":
            words += ["--observed", str(ROOT / OBSERVED)]
        result = run(*words, cwd=tmp_path)
        if words[0] == "apply":  # offline, the saved plan is refused before anything is read
            assert result.returncode == 1
            assert "the plan was made offline" in result.stderr, (command, result.stderr)
            continue
        expected = {2} if "--detailed-exitcode" in words else {0}
        assert result.returncode in expected, (command, result.stderr)


def _junit_out(commands: list[str]) -> str:
    """The file the `reconcile show ... --format junit --out FILE` command of a CI example writes."""
    for command in commands:
        words = shlex.split(command)
        if words[:2] == ["reconcile", "show"] and "junit" in words and "--out" in words:
            return words[words.index("--out") + 1]
    raise AssertionError("no JUnit report is written")


@pytest.mark.parametrize("workflow", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_examples_install_without_git(workflow: str) -> None:
    """Each CI example installs from a release archive over HTTPS: python:3.11-slim has no git."""
    text = (ROOT / "examples" / "ci" / workflow).read_text()
    installs = [line.strip().removeprefix("- ") for line in text.splitlines() if "pip install" in line]
    assert installs and "git+" not in text
    for line in installs:
        target = shlex.split(line.removeprefix("run: "))[-1]
        assert re.fullmatch(r"https://[^\s]+\.(tar\.gz|zip)", target), line


def test_gitlab_example_publishes_the_junit_report_to_the_test_widget() -> None:
    """The GitLab drift job hands the JUnit file it writes to `artifacts:reports:junit`, kept always."""
    doc = yaml.safe_load((ROOT / "examples" / "ci" / "gitlab-ci.yml").read_text())
    job = doc["notebook-drift"]
    assert job["image"] == "python:3.11-slim"
    written = _junit_out(_ci_commands(ROOT / "examples" / "ci" / "gitlab-ci.yml"))
    assert job["artifacts"]["reports"]["junit"] == written and job["artifacts"]["when"] == "always"


def test_github_example_publishes_the_junit_report_as_a_check_run() -> None:
    """The GitHub plan job passes the JUnit file it writes to a JUnit reporter action, even on drift,
    with the `checks: write` permission a check run needs (an artifact alone shows no tests)."""
    doc = yaml.safe_load((ROOT / "examples" / "ci" / "github-actions.yml").read_text())
    assert doc["permissions"]["checks"] == "write"
    written = _junit_out(_ci_commands(ROOT / "examples" / "ci" / "github-actions.yml"))
    reporters = [
        step
        for step in doc["jobs"]["plan"]["steps"]
        if str(step.get("uses", "")).startswith("mikepenz/action-junit-report@")
    ]
    assert len(reporters) == 1
    assert reporters[0]["with"]["report_paths"] == written and reporters[0]["if"] == "always()"


def test_service_text_never_crashes_a_non_utf8_terminal(tmp_path: Path) -> None:
    """A Chinese description and a lone surrogate print on an ASCII stdout without a traceback."""
    obs = tmp_path / "obs"
    obs.mkdir()
    (obs / "a.json").write_text('{"id": "a", "status": "RUNNING", "description": "\\u5f00\\u53d1 \\ud800"}')
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\nnotebooks:\n  a: {id: a, description: other}\n")
    for fmt in ("text", "json", "markdown", "junit"):
        result = run(
            "plan", str(spec), "--observed", str(obs), "--format", fmt, env={"PYTHONIOENCODING": "ascii"}
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    as_json = run("plan", str(spec), "--observed", str(obs), "--format", "json")
    assert "\u5f00\u53d1 \\ud800" in as_json.stdout  # UTF-8 JSON: the text itself, a lone surrogate escaped


def test_out_writes_through_symlinks_and_keeps_a_normal_mode(tmp_path: Path) -> None:
    """--out on a symlink writes its target (the link stays); a new file gets the umask's mode, not 0600."""
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    real.chmod(0o644)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert run("plan", *EXAMPLES, "--observed", OBSERVED, "--out", str(link)).returncode == 0
    assert link.is_symlink() and real.read_text().startswith("ModelArts notebooks compared")
    assert real.stat().st_mode & 0o777 == 0o644
    fresh = tmp_path / "fresh.txt"
    assert run("plan", *EXAMPLES, "--observed", OBSERVED, "--out", str(fresh)).returncode == 0
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask


def test_show_refuses_device_files() -> None:
    """`reconcile show /dev/zero` is one clear error, not an endless read."""
    result = run("show", "/dev/zero")
    assert result.returncode == 1 and "/dev/zero: not a regular file" in result.stderr
