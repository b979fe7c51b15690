"""The plan model (`reconcile._core.plan`) and its JSON contract: steps, metadata and versions.

Round trips go through the real JSON writer and reader (`reconcile show`); the command line runs in
a subprocess, offline and against the emulator over loopback.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile._core.errors import PlanFormatError
from reconcile._core.plan import (
    OFFLINE,
    RECONCILE_FORMAT_VERSION,
    Action,
    ApplyMethod,
    Difference,
    NotebookFingerprint,
    Plan,
    PlanMetadata,
    ResourceChange,
    SpecDigest,
    Step,
)
from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator, EmulatorAuth, NotebookStore
from reconcile._render import FORMATS, read_plan, render
from reconcile._version import __version__
from tests import plan_samples as samples

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
TOKEN = "metadata-test-token-0123"


def _plan(**metadata: Any) -> Plan:
    """A plan with every kind of step data, notes of both kinds, and full metadata."""
    restart = ResourceChange(
        name="train-box",
        notebook_id="a",
        actions=(Action.UPDATE,),
        differences=(
            Difference(("flavor",), "f1", "f2", ApplyMethod.RESTART),
            Difference(("lease", "duration"), 3_600_000, 7_200_000, ApplyMethod.LEASE),
        ),
        status="RUNNING",
        notes=("something observed",),
        before={"id": "a", "flavor": "f1", "status": "RUNNING"},
        after={"id": "a", "flavor": "f2", "status": "RUNNING"},
        steps=(Step.STOP_FOR_UPDATE, Step.UPDATE_WHILE_STOPPED, Step.START_AFTER_UPDATE, Step.UPDATE_LEASE),
    )
    create = ResourceChange(
        name="new-box",
        notebook_id=None,
        actions=(Action.CREATE,),
        after={"name": "new-box", "status": "STOPPED"},
        steps=(Step.AWAIT_DELETION, Step.CREATE, Step.STOP),
        create_missing=("flavor", "image.id", "volume.category"),
    )
    meta = PlanMetadata(
        project_id="p" * 32,
        endpoint="https://modelarts.cn-north-4.myhuaweicloud.com",
        spec_files=(SpecDigest("b.yaml", "sha256:" + "1" * 64), SpecDigest("a.yaml", None)),
        notebooks=(
            NotebookFingerprint("train-box", "sha256:" + "2" * 64, "RUNNING", 1_700_000_000_000),
            NotebookFingerprint("new-box", "sha256:" + "3" * 64),
        ),
        **metadata,
    )
    return Plan([restart, create], metadata=meta)


def test_steps_and_metadata_round_trip_through_the_reader() -> None:
    """A plan read back from its JSON equals the plan, steps, missing inputs and metadata included,
    and renders identically in every format."""
    plan = _plan(timestamp="2026-12-01T00:00:00Z")
    again = read_plan(render(plan, "json"), "plan.json")
    assert again == plan
    assert again.resource_changes[1].steps == (
        Step.STOP_FOR_UPDATE,
        Step.UPDATE_WHILE_STOPPED,
        Step.START_AFTER_UPDATE,
        Step.UPDATE_LEASE,
    )
    assert again.metadata.fingerprint_of("train-box") == plan.metadata.notebooks[1]
    for fmt in FORMATS:
        assert render(again, fmt) == render(plan, fmt)


def test_json_carries_the_sentences_and_the_steps() -> None:
    """The JSON's notes hold every sentence shown (observed, then derived); steps and metadata are keys."""
    doc = json.loads(render(_plan(), "json"))
    assert doc["format_version"] == "1.2"
    assert doc["reconcile_format_version"] == RECONCILE_FORMAT_VERSION == "2.1"
    rc = {r["name"]: r for r in doc["resource_changes"]}
    assert rc["train-box"]["notes"] == [
        "something observed",
        "the notebook is RUNNING: it will be stopped, updated and started again",
    ]
    assert rc["train-box"]["steps"] == [
        "stop-for-update",
        "update-while-stopped",
        "start-after-update",
        "update-lease",
    ]
    assert rc["new-box"]["create_missing"] == ["flavor", "image.id", "volume.category"]
    assert doc["metadata"] == {
        "tool_version": __version__,
        "project_id": "p" * 32,
        "endpoint": "https://modelarts.cn-north-4.myhuaweicloud.com",
        "observed": None,
        "spec_files": {"a.yaml": None, "b.yaml": "sha256:" + "1" * 64},
        "notebooks": {
            "new-box": {"fingerprint": "sha256:" + "3" * 64, "status": None, "update_at": None},
            "train-box": {
                "fingerprint": "sha256:" + "2" * 64,
                "status": "RUNNING",
                "update_at": 1_700_000_000_000,
            },
        },
    }  # no timestamp unless one is given


def test_differences_for_a_step_are_what_it_writes() -> None:
    """Apply builds each request from the differences its step writes, never from the notes."""
    rc = _plan().resource_changes[1]
    assert [d.dotted_path for d in rc.differences_for(Step.UPDATE_WHILE_STOPPED)] == ["flavor"]
    assert [d.dotted_path for d in rc.differences_for(Step.UPDATE_LEASE)] == ["lease.duration"]
    assert rc.differences_for(Step.STOP_FOR_UPDATE) == ()
    assert rc.differences_for(Step.UPDATE_WHILE_RUNNING) == ()


def _with(change: Callable[[dict[str, Any]], Any]) -> str:
    doc = json.loads(render(_plan(), "json"))
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize("version", ["2.0", "2.1", "2.17"])
def test_reader_accepts_every_minor_version_of_its_major(version: str) -> None:
    """A plan of the same major version is read (a newer minor only adds what this reader ignores)."""
    plan = read_plan(_with(lambda d: d.update(reconcile_format_version=version)), "plan.json")
    assert plan == _plan()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.update(reconcile_format_version="3.0"),
            "plan.json: plan format 3.0 is newer than this reconcile reads (2.x); upgrade reconcile",
        ),
        (
            lambda d: d.pop("reconcile_format_version"),
            "plan.json: plan format 1.0 is older than this reconcile reads (2.x); make the plan again",
        ),
        (
            lambda d: d.update(reconcile_format_version="1.4"),
            "plan.json: plan format 1.4 is older than this reconcile reads (2.x); make the plan again",
        ),
        (
            lambda d: d.update(reconcile_format_version="2"),
            'plan.json: reconcile_format_version: expected "MAJOR.MINOR", got string "2"',
        ),
        (
            lambda d: d.update(reconcile_format_version=2.0),
            'plan.json: reconcile_format_version: expected "MAJOR.MINOR", got number 2.0',
        ),
        (
            lambda d: d["resource_changes"][0].update(steps=["teleport"]),
            'plan.json: resource_changes[0].steps[0]: unknown value "teleport"; expected one of',
        ),
        (lambda d: d["resource_changes"][0].pop("steps"), "plan.json: resource_changes[0].steps: missing"),
        (lambda d: d.pop("metadata"), "plan.json: metadata: missing"),
        (
            lambda d: d["metadata"]["notebooks"]["train-box"].update(fingerprint=1),
            "plan.json: metadata.notebooks.train-box.fingerprint: expected string, got number 1",
        ),
        (
            lambda d: d["metadata"].update(timestamp=0),
            "plan.json: metadata.timestamp: expected string or null, got number 0",
        ),
    ],
)
def test_reader_refuses_what_it_cannot_read_in_one_line(
    change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    """Another major version, a malformed version or a bad new key is one line naming the file and field."""
    with pytest.raises(PlanFormatError) as info:
        read_plan(_with(change), "plan.json")
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_a_newer_plan_is_refused_before_its_shape_is_read() -> None:
    """A 3.x plan is refused for its version even when nothing else in it is readable."""
    with pytest.raises(PlanFormatError, match=r"plan format 3\.2 is newer"):
        read_plan('{"reconcile_format_version": "3.2", "anything": []}', "plan.json")


def test_golden_json_holds_the_metadata_and_steps() -> None:
    """A reviewed golden plan records offline provenance, the spec digest and the notebook fingerprint."""
    doc = json.loads((CASES / "description-while-stopped" / "expected-plan.json").read_text())
    meta = doc["metadata"]
    assert (meta["endpoint"], meta["observed"], meta["tool_version"]) == (OFFLINE, "observed", __version__)
    spec_bytes = (CASES / "description-while-stopped" / "spec.yaml").read_bytes()
    assert meta["spec_files"] == {"spec.yaml": "sha256:" + hashlib.sha256(spec_bytes).hexdigest()}
    assert meta["notebooks"]["train-box"]["status"] == "STOPPED"
    (rc,) = doc["resource_changes"]
    assert rc["steps"] == ["start-for-update", "update-while-running", "stop-after-update"]


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    clean.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
        check=False,
    )


def test_cli_records_offline_provenance_and_a_timestamp_only_when_asked() -> None:
    """`plan --observed` records "offline" and the path as given; SOURCE_DATE_EPOCH adds a timestamp."""
    folder = CASES / "drift-flavor-running"
    args = ("plan", "spec.yaml", "--observed", "./observed/", "--format", "json", "--project-id", "p1")
    plain = _cli(*args, cwd=folder)
    assert plain.returncode == 0, plain.stderr
    meta = json.loads(plain.stdout)["metadata"]
    assert (meta["endpoint"], meta["observed"], meta["project_id"]) == ("offline", "./observed/", "p1")
    assert "timestamp" not in meta
    dated = _cli(*args, cwd=folder, env={"SOURCE_DATE_EPOCH": "1764547200"})
    assert json.loads(dated.stdout)["metadata"]["timestamp"] == "2025-12-01T00:00:00Z"
    bad = _cli(*args, cwd=folder, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert bad.returncode == 1
    assert (
        bad.stderr == "reconcile: error: SOURCE_DATE_EPOCH='yesterday': expected a whole number of seconds\n"
    )


def test_cli_records_the_live_endpoint_and_project() -> None:
    """A live plan records the endpoint it read from and the project, and fingerprints what it saw
    exactly as an offline plan of the same responses does."""
    folder = CASES / "drift-flavor-running"
    project = "0123456789abcdef0123456789abcdef"
    store = NotebookStore.from_dir(folder / "observed")
    with Emulator(store, auth=EmulatorAuth(token=Secret(TOKEN))) as emulator:
        url = emulator.url
        live = _cli(
            "plan",
            "spec.yaml",
            "--format",
            "json",
            "--endpoint",
            url,
            "--project-id",
            project,
            cwd=folder,
            env={"MODELARTS_AUTH_TOKEN": TOKEN},
        )
    assert live.returncode == 0, live.stderr
    meta = json.loads(live.stdout)["metadata"]
    assert (meta["endpoint"], meta["observed"], meta["project_id"]) == (url, None, project)
    offline = json.loads((folder / "expected-plan.json").read_text())["metadata"]
    assert meta["notebooks"] == offline["notebooks"]
    assert meta["spec_files"] == offline["spec_files"]


_SENTENCES = [
    "the notebook is RUNNING: it will be stopped, updated and started again",
    "name, description and storage change only while RUNNING: "
    "the notebook will be started for the update and stopped again",
    "replacement forced by ",
]


@st.composite
def _plans_with_steps(draw: st.DrawFn) -> Plan:
    """Arbitrary plans whose changes carry arbitrary steps, and notes that may repeat a derived sentence."""
    plan = draw(samples.plans())
    changes = [
        attrs.evolve(
            rc,
            steps=tuple(draw(st.lists(st.sampled_from(list(Step)), max_size=6))),
            create_missing=tuple(
                draw(st.lists(st.sampled_from(["name", "flavor", "image.id"]), unique=True))
            ),
            notes=rc.notes + tuple(draw(st.lists(st.sampled_from(_SENTENCES), max_size=2))),
        )
        for rc in plan.resource_changes
    ]
    return attrs.evolve(plan, resource_changes=changes)


@given(_plans_with_steps())
def test_any_steps_and_notes_round_trip(plan: Plan) -> None:
    """Whatever the steps and notes (even a note that reads like a derived sentence), the plan read back
    from its JSON equals it and renders identically."""
    again = read_plan(render(plan, "json"), "plan.json")
    kept = [(rc.steps, rc.create_missing, rc.notes) for rc in again.resource_changes]
    assert kept == [(rc.steps, rc.create_missing, rc.notes) for rc in plan.resource_changes]
    for fmt in FORMATS:
        assert render(again, fmt) == render(plan, fmt)
