"""`reconcile apply` through the real CLI in a subprocess, against the emulator over loopback."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth
from reconcile._emulator.store import NotebookStore
from tests.apply_helpers import notebook_doc, spec_entry
from tests.conftest import ROOT
from tests.emulator_fixture import PROJECT_ID, TOKEN
from tests.ptyrun import run_on_terminal_answering

ADDRESS = "huaweicloud_modelarts_notebook.box"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator serving two notebooks (box-0 RUNNING, box-1 STOPPED) that requires `TOKEN`."""
    store = NotebookStore.from_documents([notebook_doc(0, "RUNNING"), notebook_doc(1, "STOPPED")])
    with Emulator(store, auth=EmulatorAuth(token=Secret(TOKEN)), transition_ms=20) as running:
        yield running


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    env.update(PYTHONPATH=str(ROOT), MODELARTS_AUTH_TOKEN=TOKEN, NO_COLOR="1")
    return env


def _cli(emulator: Emulator, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "reconcile", *args, "--endpoint", emulator.url, "--project-id", PROJECT_ID]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=_env(),
        cwd=cwd,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _spec(tmp_path: Path, **wanted: Any) -> str:
    doc = notebook_doc(0, "RUNNING")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "notebooks": {"box": spec_entry(doc, **wanted)}}))
    return str(path)


def _doc(emulator: Emulator, index: int = 0) -> dict[str, Any]:
    return dict(emulator.store.documents[notebook_doc(index)["id"]])


def test_without_a_terminal_or_auto_approve_apply_refuses(emulator: Emulator, tmp_path: Path) -> None:
    """Without a terminal and without --auto-approve, apply refuses in one line, exit 1, nothing changed."""
    before = _doc(emulator)
    result = _cli(emulator, "apply", _spec(tmp_path, description="new"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "reconcile: error: apply needs a terminal to confirm, or --auto-approve\n"
    assert _doc(emulator) == before


def test_auto_approve_applies_and_a_plan_then_shows_no_changes(emulator: Emulator, tmp_path: Path) -> None:
    """`apply SPEC --auto-approve` prints the plan, applies, says so; a plan afterwards exits 0."""
    spec = _spec(tmp_path, description="new", flavor="modelarts.vm.cpu.8u")
    result = _cli(emulator, "apply", spec, "--auto-approve", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "will be updated in-place" in result.stdout
    assert result.stdout.endswith("\nApply complete! Resources: 0 added, 1 changed, 0 destroyed.\n")
    doc = _doc(emulator)
    assert (doc["description"], doc["flavor"], doc["status"]) == ("new", "modelarts.vm.cpu.8u", "RUNNING")
    again = _cli(emulator, "plan", spec, "--detailed-exitcode", cwd=tmp_path)
    assert again.returncode == 0, again.stdout


def test_saved_plan_is_applied(emulator: Emulator, tmp_path: Path) -> None:
    """A plan saved as JSON is applied with --plan (no prompt) when nothing moved since."""
    spec = _spec(tmp_path, description="from the plan")
    saved = _cli(emulator, "plan", spec, "--format", "json", "--out", "plan.json", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    result = _cli(emulator, "apply", "--plan", "plan.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in result.stdout
    assert _doc(emulator)["description"] == "from the plan"


def test_saved_plan_with_a_replacement_and_tags_is_applied(emulator: Emulator, tmp_path: Path) -> None:
    """A saved plan replacing box-0 (by name) and tagging box-1 (by id) is applied with --plan and
    --allow-replace: the summary counts 1 added, 1 changed, 1 destroyed, and a new plan shows no changes."""
    box0 = {k: v for k, v in spec_entry(notebook_doc(0), volume={"category": "OBS"}).items() if k != "id"}
    box1 = spec_entry(notebook_doc(1, "STOPPED"), tags={"team": "vision"})
    (tmp_path / "spec.yaml").write_text(
        yaml.safe_dump({"version": 1, "notebooks": {"box": box0, "other": box1}})
    )
    saved = _cli(emulator, "plan", "spec.yaml", "--format", "json", "--out", "plan.json", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    refused = _cli(emulator, "apply", "--plan", "plan.json", cwd=tmp_path)
    assert refused.returncode == 1 and "--allow-replace" in refused.stderr
    result = _cli(emulator, "apply", "--plan", "plan.json", "--allow-replace", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Apply complete! Resources: 1 added, 1 changed, 1 destroyed." in result.stdout
    assert _doc(emulator, 1)["tags"] == [{"key": "team", "value": "vision"}]
    again = _cli(emulator, "plan", "spec.yaml", "--detailed-exitcode", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr


def test_stale_plan_is_refused_and_nothing_changes(emulator: Emulator, tmp_path: Path) -> None:
    """A notebook that moved between plan and apply makes apply refuse the whole plan, changing nothing."""
    spec = _spec(tmp_path, description="from the plan")
    _cli(emulator, "plan", spec, "--format", "json", "--out", "plan.json", cwd=tmp_path)
    moved = copy.deepcopy(_doc(emulator))
    moved["status"] = "STOPPED"  # a console edit between plan and apply
    emulator.store.put(moved)
    result = _cli(emulator, "apply", "--plan", "plan.json", "--auto-approve", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"reconcile: error: the plan is stale: {ADDRESS} changed since it was planned: "
        "status RUNNING -> STOPPED; plan again\n"
    )
    assert _doc(emulator) == moved


def test_plan_for_another_project_or_offline_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    """A saved plan for another project, or made offline, is refused before anything is read."""
    spec = _spec(tmp_path, description="x")
    _cli(emulator, "plan", spec, "--format", "json", "--out", "plan.json", cwd=tmp_path)
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["metadata"]["project_id"] = "f" * 32
    (tmp_path / "other.json").write_text(json.dumps(plan))
    result = _cli(emulator, "apply", "--plan", "other.json", cwd=tmp_path)
    assert result.returncode == 1
    assert f"the plan is for project {'f' * 32}, not {PROJECT_ID}" in result.stderr
    plan["metadata"]["project_id"] = PROJECT_ID
    plan["reconcile_format_version"] = "9.0"
    (tmp_path / "future.json").write_text(json.dumps(plan))
    future = _cli(emulator, "apply", "--plan", "future.json", cwd=tmp_path)
    assert future.returncode == 1
    assert future.stderr.count("\n") == 1 and "9.0" in future.stderr
    assert _doc(emulator)["description"] == "team sandbox"


def test_a_saved_plan_that_is_no_regular_file_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    """`apply --plan` on a missing file, a folder, a FIFO or a link to /dev/zero says so in one line,
    exit 1, at once (it was a FileRefused traceback), and changes nothing."""
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "folder.json").mkdir()
    for name, reason in (
        ("missing.json", "no such file"),
        ("folder.json", "is a directory"),
        ("fifo.json", "not a regular file (a FIFO"),
        ("zero.json", "not a regular file (a character device"),
    ):
        result = _cli(emulator, "apply", "--plan", name, "--auto-approve", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == f"reconcile: error: {name}: {reason}" + result.stderr.split(reason, 1)[1]
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert emulator.requests_received == 0


def _spec_by_name(tmp_path: Path, **wanted: Any) -> str:
    entry = {k: v for k, v in spec_entry(notebook_doc(0, "RUNNING"), **wanted).items() if k != "id"}
    entry["name"] = notebook_doc(0)["name"]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "notebooks": {"box": entry}}))
    return str(path)


def test_replacement_is_refused_without_allow_replace(emulator: Emulator, tmp_path: Path) -> None:
    """A plan that replaces a notebook is refused without --allow-replace, naming it; nothing changes."""
    spec = _spec_by_name(tmp_path, volume={"category": "OBS"})
    result = _cli(emulator, "apply", spec, "--auto-approve", cwd=tmp_path)
    assert result.returncode == 1
    assert f"reconcile: error: {ADDRESS} must be replaced (volume.category)" in result.stderr
    assert "--allow-replace" in result.stderr
    assert _doc(emulator)["volume"]["category"] == "EVS"


def test_replacement_of_an_entry_by_id_is_refused_even_when_allowed(
    emulator: Emulator, tmp_path: Path
) -> None:
    """An entry identified by id cannot converge after a replacement (new id): refused in one line, even
    with --allow-replace, saying to identify it by name; nothing changes."""
    spec = _spec(tmp_path, volume={"category": "OBS"})
    result = _cli(emulator, "apply", spec, "--auto-approve", "--allow-replace", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        f"reconcile: error: {ADDRESS} must be replaced, but the entry is identified by id"
    )
    assert "identify the notebook by name (remove id)" in lines[0]
    assert lines[1:] == ["reconcile: error: nothing applied"]
    assert _doc(emulator)["volume"]["category"] == "EVS"


def test_create_of_an_entry_by_id_is_refused_so_a_second_apply_makes_no_second_notebook(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A spec entry by an id that exists no more is not created (its new id could never be found again,
    so every apply would make one more notebook): refused in one line, saying to use a name; nothing
    is created, however often apply runs."""
    doc = {**notebook_doc(0, "RUNNING"), "id": "0f0f0f0f-0000-4000-8000-00000000dead"}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "notebooks": {"box": spec_entry(doc)}}))
    before = len(emulator.store)
    for _ in range(2):
        result = _cli(emulator, "apply", str(path), "--auto-approve", "--allow-replace", cwd=tmp_path)
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith(
            f"reconcile: error: {ADDRESS} must be created, but the entry is identified by id"
        )
        assert "identify the notebook by name (remove id)" in lines[0]
        assert lines[1:] == ["reconcile: error: nothing applied"]
        assert len(emulator.store) == before


def test_allowed_replacement_is_red_in_the_confirmation_and_counted_destroyed(
    emulator: Emulator, tmp_path: Path
) -> None:
    """On a colour terminal the confirmation names each replacement in red; after `yes` the notebook is
    deleted and created again, and the summary counts it as added and destroyed."""
    spec = _spec_by_name(tmp_path, volume={"category": "OBS"})
    argv = [sys.executable, "-m", "reconcile", "apply", spec, "--allow-replace",
            "--endpoint", emulator.url, "--project-id", PROJECT_ID]  # fmt: skip
    env = {k: v for k, v in _env().items() if k != "NO_COLOR"}
    status, output = run_on_terminal_answering(
        argv, env, str(tmp_path), prompt="Enter a value: ", answer="yes"
    )
    warning = f"\x1b[1;31mWarning: {ADDRESS} will be destroyed and created again: its storage is lost.\x1b[0m"
    assert warning in output
    assert output.index(warning) < output.index("Do you want to perform these actions?")
    assert status == 0, output
    assert "Apply complete! Resources: 1 added, 0 changed, 1 destroyed." in output
    assert notebook_doc(0)["id"] not in emulator.store.documents
    (new,) = [d for d in emulator.store.documents.values() if d["name"] == notebook_doc(0)["name"]]
    assert new["volume"]["category"] == "OBS"


def test_journal_is_written_and_secret_free(emulator: Emulator, tmp_path: Path) -> None:
    """`--journal FILE` gets one JSON line per step event, and no credential or notebook token."""
    spec = _spec(tmp_path, flavor="modelarts.vm.cpu.8u")
    result = _cli(emulator, "apply", spec, "--auto-approve", "--journal", "journal.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "journal.jsonl").read_text()
    steps = [json.loads(line)["step"] for line in text.splitlines()]
    assert steps == [
        "stop-for-update", "stop-for-update", "update-while-stopped", "update-while-stopped",
        "start-after-update", "start-after-update", "update-lease", "update-lease", "verify",
    ]  # fmt: skip
    assert TOKEN not in text and notebook_doc(0)["token"] not in text


@pytest.mark.parametrize(("answer", "applied"), [("yes", True), ("no", False)])
def test_confirmation_prompt_on_a_terminal(
    emulator: Emulator, tmp_path: Path, answer: str, applied: bool
) -> None:
    """On a terminal apply asks Terraform's question, goes on only on `yes`, and shows its progress."""
    spec = _spec(tmp_path, description="typed")
    argv = [
        sys.executable,
        "-m",
        "reconcile",
        "apply",
        spec,
        "--endpoint",
        emulator.url,
        "--project-id",
        PROJECT_ID,
    ]
    status, output = run_on_terminal_answering(
        argv, _env(), str(tmp_path), prompt="Enter a value: ", answer=answer
    )
    assert "Do you want to perform these actions?" in output
    assert (status == 0) is applied
    assert ("Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in output) is applied
    assert ("Apply cancelled." in output) is not applied
    assert ("applying notebooks: 1/1" in output) is applied  # the progress line, on a terminal only
    assert (_doc(emulator)["description"] == "typed") is applied


def test_create_without_its_required_inputs_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    """A notebook to create whose spec lacks the create API's inputs is refused, naming what is missing."""
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "notebooks": {"fresh": {"name": "fresh", "flavor": "f"}}}))
    result = _cli(emulator, "apply", str(path), "--auto-approve", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "reconcile: error: huaweicloud_modelarts_notebook.fresh: a create needs image.id, volume.category, "
        "which the spec does not give\n"
    ) in result.stderr
    assert len(emulator.store) == 2
