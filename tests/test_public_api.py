"""The public library API: `reconcile.__all__`, its lazy loading, and the README's library examples."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import reconcile
from tests.conftest import ROOT

#: The exported names. Adding one is a feature; removing or renaming one breaks users: change with care.
EXPORTED = [
    "DEFAULT_PARALLELISM",
    "FORMATS",
    "Acknowledgement",
    "Action",
    "ApiError",
    "ApplyMethod",
    "AuthError",
    "ConfigError",
    "DecodeError",
    "Difference",
    "Failed",
    "Found",
    "Health",
    "Location",
    "Missing",
    "NotFoundError",
    "Notebook",
    "NotebookList",
    "NotebookSpec",
    "Observation",
    "ObservedInputError",
    "Plan",
    "PlanError",
    "PlanFormatError",
    "ReconcileError",
    "ResourceChange",
    "Secret",
    "Spec",
    "SpecEntry",
    "SpecError",
    "SpecProblem",
    "Step",
    "Summary",
    "TransportError",
    "__version__",
    "decode_notebook",
    "decode_notebook_list",
    "load_spec",
    "observe_live",
    "observe_offline",
    "plan",
    "plan_offline",
    "read_plan",
    "render",
    "unstructure",
]


def test_the_exported_names_are_pinned_and_sorted() -> None:
    """`__all__` is exactly the pinned list (in ruff's isort-style order), and `dir(reconcile)` shows it."""
    assert reconcile.__all__ == EXPORTED
    assert dir(reconcile) == sorted(EXPORTED)


@pytest.mark.parametrize("name", EXPORTED)
def test_every_exported_name_resolves_and_is_documented(name: str) -> None:
    """Each exported name resolves, and every class or function among them has a docstring."""
    value = getattr(reconcile, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"{name} has no docstring"


def test_unknown_names_are_attribute_errors() -> None:
    """A name outside the API is an AttributeError, as for any module."""
    with pytest.raises(AttributeError, match="no attribute 'compare'"):
        _ = reconcile.compare  # type: ignore[attr-defined]


def test_import_reconcile_loads_no_dependency() -> None:
    """`import reconcile` imports none of cattrs, PyYAML, deepdiff, urllib3 or attrs-built models."""
    code = (
        "import sys, reconcile\n"
        "heavy = [m for m in ('cattrs', 'yaml', 'deepdiff', 'urllib3', 'reconcile._core.model') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "[]"


def _library_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it as a library", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_library_examples_run() -> None:
    """Every Python block of the README's library section runs, from the repository root, as written."""
    examples = _library_examples()
    assert len(examples) >= 2
    for example in examples:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(example)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (example, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_user_goes_from_spec_files_to_a_rendered_plan_with_public_names_only() -> None:
    """load_spec, observe_offline, plan and render give the CLI's own text plan for the examples."""
    specs = sorted(str(p) for p in (ROOT / "examples").glob("*.yaml"))
    spec = reconcile.load_spec(*specs)
    plan = reconcile.plan(spec, reconcile.observe_offline(spec, ROOT / "examples" / "observed"))
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconcile",
            "plan",
            *specs,
            "--observed",
            str(ROOT / "examples" / "observed"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    whole = reconcile.plan_offline(specs, ROOT / "examples" / "observed")
    assert reconcile.render(whole, "text") == cli.stdout
    assert whole.unmanaged and not plan.unmanaged  # only plan_offline sees the saved listing
    assert plan.resource_changes == whole.resource_changes
    again = reconcile.read_plan(reconcile.render(plan, "json").encode())
    assert [rc.address for rc in again.resource_changes] == [rc.address for rc in plan.resource_changes]


@pytest.mark.parametrize("command", ["plan", "check", "generate", "validate", "show"])
def test_building_the_cli_parser_loads_no_heavy_dependency(command: str) -> None:
    """`reconcile COMMAND --help` imports none of PyYAML, cattrs, urllib3, deepdiff or CEL (start-up)."""
    code = (
        "import sys, contextlib, io\n"
        "from reconcile._cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main([{command!r}, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print([m for m in ('yaml', 'cattrs', 'urllib3', 'deepdiff', 'celpy') if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "[]"


def test_read_plan_refuses_a_fifo_and_a_missing_file_at_once(tmp_path: Path) -> None:
    """`reconcile.read_plan(path)` reads as `show` does: a FIFO or a missing file is a PlanFormatError."""
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with pytest.raises(reconcile.PlanFormatError, match="not a regular file"):
        reconcile.read_plan(fifo)
    with pytest.raises(reconcile.PlanFormatError, match="no such file"):
        reconcile.read_plan(tmp_path / "absent.json")


def test_observe_live_honours_the_request_timeout_and_refuses_one_out_of_range() -> None:
    """`reconcile.observe_live(..., request_timeout=1)` cuts a server that never ends its headers at
    one second (that notebook `Failed`), and a timeout past one day is a ConfigError."""
    from reconcile._emulator.server import Emulator
    from reconcile._emulator.settings import EmulatorAuth, Faults, Schedule
    from reconcile._emulator.store import NotebookStore

    spec = reconcile.load_spec(ROOT / "examples" / "cpu-notebook.yaml")
    env = {"MODELARTS_AUTH_TOKEN": "library-token"}
    store = NotebookStore.from_dir(ROOT / "examples" / "observed")
    faults = Faults(endless_headers=Schedule(every=1), drip_ms=100)
    with Emulator(
        store, faults=faults, auth=EmulatorAuth(token=reconcile.Secret("library-token"))
    ) as emulator:
        started = time.monotonic()
        found = reconcile.observe_live(spec, endpoint=emulator.url, env=env, request_timeout=1.0)
        assert time.monotonic() - started < 5
    assert [type(o) for o in found.values()] == [reconcile.Failed]
    assert all("request timeout of 1 s" in str(o) for o in found.values())
    with pytest.raises(reconcile.ConfigError, match="at most 86400"):
        reconcile.observe_live(spec, endpoint="http://127.0.0.1:9", env=env, request_timeout=1e31)
