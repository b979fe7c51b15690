"""Packaging: the installed distribution carries the schemas and the console script."""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from reconcile._schema.files import SCHEMA_NAMES, load_schema
from tests.conftest import ROOT


def _distribution() -> md.Distribution:
    try:
        return md.distribution("modelarts-reconcile")
    except md.PackageNotFoundError:
        pytest.skip("modelarts-reconcile is not installed (the README test command installs it)")


def _editable(dist: md.Distribution) -> bool:
    """Whether `pip install -e` installed it (PEP 610 `direct_url.json`)."""
    direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
    return bool(direct_url.get("dir_info", {}).get("editable"))


def test_installed_wheel_ships_every_schema() -> None:
    """`pip install .` puts every schema inside the package, equal to the repository's files."""
    dist = _distribution()
    files = {str(f) for f in dist.files or ()}
    for filename in SCHEMA_NAMES.values():
        # An editable install may hold copies made at install time, but reads the source tree's files.
        if f"reconcile/schemas/{filename}" not in files or _editable(dist):
            pytest.skip("installed in editable mode: the schemas are read from the source tree")
        shipped = json.loads(dist.locate_file(f"reconcile/schemas/{filename}").read_text())  # type: ignore[union-attr]
        assert shipped == json.loads((ROOT / "schemas" / filename).read_text())


def test_console_script_is_declared() -> None:
    """The `reconcile` console script points at reconcile._cli.main:main."""
    scripts = {ep.name: ep.value for ep in _distribution().entry_points if ep.group == "console_scripts"}
    assert scripts == {"reconcile": "reconcile._cli.main:main"}


def test_console_script_runs() -> None:
    """The installed `reconcile` command answers --version like `python -m reconcile`."""
    script = shutil.which("reconcile", path=str(ROOT / ".venv" / "bin")) or shutil.which("reconcile")
    if script is None:
        pytest.skip("no `reconcile` script on PATH")
    out = subprocess.run([script, "--version"], capture_output=True, text=True, check=True, timeout=60)
    module = subprocess.run(
        [sys.executable, "-m", "reconcile", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.stdout == module.stdout


def test_schemas_load_by_name() -> None:
    """Every schema name `reconcile schema` accepts loads as a JSON Schema 2020-12 document."""
    for name in SCHEMA_NAMES:
        assert load_schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_dev_extra_brings_the_linters_and_the_type_stubs() -> None:
    """`pip install '.[dev]'` brings ruff, mypy and types-PyYAML (mypy --strict needs the stubs)."""
    requires = _distribution().requires or []

    def extra(name: str) -> set[str]:
        marker = re.compile(rf"""extra\s*==\s*["']{name}["']""")
        return {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower() for r in requires if marker.search(r)}

    assert {"ruff", "mypy", "types-pyyaml"} <= extra("dev"), extra("dev")
    assert not {"ruff", "mypy"} & extra("test")  # the README's test command stays as small as it is


def test_ci_run_lints_and_type_checks_after_the_readmes_test_command() -> None:
    """`.ci/run` runs the README's test command, then ruff check, ruff format --check and mypy --strict,
    stopping at the first failure."""
    script = (ROOT / ".ci" / "run").read_text()
    readme_command = next(
        line.strip() for line in (ROOT / "README.md").read_text().splitlines() if "python -m pytest" in line
    )
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert "set -euo pipefail" in lines  # a failing step fails the run
    steps = [
        readme_command,
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        "mypy --strict reconcile",
    ]
    where = [next((i for i, line in enumerate(lines) if step in line), -1) for step in steps]
    assert -1 not in where and where == sorted(where), dict(zip(steps, where, strict=True))
    assert any("[test,dev]" in line for line in lines[where[0] : where[1]])  # dev installed before linting
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
