"""`python -m reconcile._schema.generate`: the committed schemas are exactly what the code generates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile._schema.files import SCHEMA_NAMES
from reconcile._schema.generate import GENERATED, REGENERATE, rendered
from tests.conftest import ROOT

GENERATED_FILES = sorted(SCHEMA_NAMES[name] for name in GENERATED)


def _generate(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    """Run the generator as a developer does, in a fresh interpreter with the given hash seed."""
    return subprocess.run(
        [sys.executable, "-m", "reconcile._schema.generate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        check=False,
    )


@pytest.mark.parametrize(("name", "text"), sorted(rendered().items()))
def test_committed_schema_is_generated(name: str, text: str) -> None:
    """Each generated schema file in `schemas/` equals the generator's output for the code as it is now."""
    committed = (ROOT / "schemas" / name).read_text(encoding="utf-8")
    assert committed == text, f"schemas/{name} is not what the code generates: run `{REGENERATE}`"


def test_notebook_spec_and_plan_schemas_are_generated() -> None:
    """The observed notebook, the spec and the plan schemas are the generated ones."""
    assert GENERATED_FILES == ["notebook-spec.schema.json", "notebook.schema.json", "plan.schema.json"]


def test_command_writes_the_committed_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    """The command writes byte-identical files in processes with different hash seeds (sets are sorted)."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for directory, seed in ((first, "1"), (second, "2")):
        result = _generate(str(directory), seed=seed)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout.splitlines() == [f"wrote {directory / f}" for f in GENERATED_FILES]
    for filename in GENERATED_FILES:
        committed = (ROOT / "schemas" / filename).read_bytes()
        assert (first / filename).read_bytes() == committed == (second / filename).read_bytes()
    assert sorted(p.name for p in first.iterdir()) == GENERATED_FILES  # no temporary file left behind


def test_command_rewrites_only_what_differs(tmp_path: Path) -> None:
    """A second run writes nothing; after one file is edited, only that file is rewritten."""
    assert _generate(str(tmp_path)).returncode == 0
    again = _generate(str(tmp_path))
    assert (again.returncode, again.stdout) == (0, "")
    edited = tmp_path / "plan.schema.json"
    edited.write_text("{}\n", encoding="utf-8")
    third = _generate(str(tmp_path))
    assert (third.returncode, third.stdout) == (0, f"wrote {edited}\n")
    assert edited.read_bytes() == (ROOT / "schemas" / "plan.schema.json").read_bytes()


def test_check_names_the_stale_file_and_the_command(tmp_path: Path) -> None:
    """`--check` writes nothing, exits 1 naming each differing file and the command; 0 when all are current."""
    assert _generate(str(tmp_path)).returncode == 0
    assert _generate("--check", str(tmp_path)).returncode == 0
    (tmp_path / "notebook.schema.json").unlink()
    stale = tmp_path / "plan.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    result = _generate("--check", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{tmp_path / name}: not what the code generates; run `{REGENERATE}`"
        for name in ("notebook.schema.json", "plan.schema.json")
    ]
    assert stale.read_text(encoding="utf-8") == "{}\n"
    assert not (tmp_path / "notebook.schema.json").exists()


def test_committed_files_pass_the_check() -> None:
    """`--check` with no directory checks the source checkout's `schemas/` and finds it current."""
    result = _generate("--check")
    assert (result.returncode, result.stderr) == (0, "")


def test_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    """A directory that does not exist is a one-line error and exit 1, with nothing written."""
    missing = tmp_path / "nowhere"
    result = _generate(str(missing))
    assert result.returncode == 1
    assert result.stderr == f"{REGENERATE}: {missing}: not a directory (give the schemas/ directory)\n"
    assert not missing.exists()
