"""Ctrl-C during `reconcile apply`: the step in flight finishes, nothing new starts, it reports."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from reconcile._core.secrets import Secret
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import EmulatorAuth
from reconcile._emulator.store import NotebookStore
from tests.apply_helpers import notebook_doc, spec_entry
from tests.emulator_fixture import PROJECT_ID, TOKEN
from tests.test_apply_cli import _env


def test_ctrl_c_finishes_the_step_in_flight_and_starts_nothing_new(tmp_path: Path) -> None:
    """SIGINT while a stop is settling: that step completes, no further step starts, exit 130, rerun converges."""
    docs = [notebook_doc(0, "RUNNING"), notebook_doc(1, "RUNNING")]
    spec = tmp_path / "spec.yaml"
    entries = {f"b{i}": spec_entry(d, flavor="modelarts.vm.cpu.8u") for i, d in enumerate(docs)}
    spec.write_text(yaml.safe_dump({"version": 1, "notebooks": entries}))
    store = NotebookStore.from_documents(docs)
    with Emulator(store, auth=EmulatorAuth(token=Secret(TOKEN)), transition_ms=1500) as emulator:
        argv = [sys.executable, "-m", "reconcile", "apply", str(spec), "--auto-approve", "--parallelism", "1"]
        argv += ["--journal", "journal.jsonl", "--endpoint", emulator.url, "--project-id", PROJECT_ID]
        child = subprocess.Popen(
            argv, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        journal = tmp_path / "journal.jsonl"
        deadline = time.monotonic() + 30
        while not (journal.exists() and journal.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        assert child.returncode == 130, (out, err)
        assert "interrupted: finishing the steps in flight, starting nothing new" in err
        assert "not done: update-while-stopped, start-after-update" in err
        assert "apply incomplete: 0 of 2 notebooks applied and verified" in err
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        assert [(x["address"][-2:], x["step"], x["outcome"]) for x in lines] == [
            ("b0", "stop-for-update", "started"),
            ("b0", "stop-for-update", "ok"),
            ("b0", "update-while-stopped", "skipped"),
            ("b1", "stop-for-update", "skipped"),
        ]
        first, second = (dict(store.documents[d["id"]]) for d in docs)
        assert first["status"] == "STOPPED"  # the step in flight was finished, settle included
        assert (second["status"], second["flavor"]) == ("RUNNING", "modelarts.vm.cpu.2u")
        again = subprocess.run(argv, cwd=tmp_path, env=_env(), capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stderr
        assert "Apply complete! Resources: 0 added, 2 changed, 0 destroyed." in again.stdout
