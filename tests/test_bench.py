"""The benchmark command runs end to end in quick mode (timings are never asserted: benchmarks are not tests)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "decode",
    "compare",
    "fleet_floor",
    "fleet_offline",
    "fleet_live",
    "fleet_list",
    "startup",
    "policy",
)


@pytest.fixture(scope="module")
def quick_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`python -m bench --quick --json <tmp>` run once for the module, with its parsed JSON."""
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--quiet", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    document = json.loads(out.read_text()) if out.exists() else {}
    return proc, document


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_quick_mode_exits_zero(quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    """Quick mode runs every benchmark without an error and exits 0."""
    proc, document = quick_run
    assert proc.returncode == 0, proc.stderr
    assert document["mode"] == "quick"
    assert document["summary"]["errors"] == []


def test_json_has_every_benchmark_with_numeric_medians(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    """The JSON has every benchmark, each with at least one measurement, and every median is a number."""
    _, document = quick_run
    assert sorted(document["benchmarks"]) == sorted(BENCHMARKS)
    for name, result in document["benchmarks"].items():
        assert result["error"] is None, name
        assert result["measurements"], name
        for key, measurement in result["measurements"].items():
            assert _is_number(measurement["median"]), (name, key)
        for key, ratio in result["ratios"].items():
            assert _is_number(ratio["median"]), (name, key)


def test_json_records_the_machine_and_every_target_verdict(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    """The JSON names the machine and gives each target a PASS, MISS or SKIP verdict."""
    _, document = quick_run
    machine = document["machine"]
    assert machine["cpu_model"]
    assert machine["cpus_usable"] >= 1
    assert machine["python"]
    assert "deepdiff" in machine["packages"]
    targets = document["summary"]["targets"]
    assert {t["benchmark"] for t in targets} == set(BENCHMARKS)
    assert all(t["status"] in {"PASS", "MISS", "SKIP"} for t in targets)


def test_table_prints_each_benchmark(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    """The printed table has a block per benchmark and the summary of targets."""
    proc, _ = quick_run
    for name in BENCHMARKS:
        assert f"== {name}:" in proc.stdout
    assert "== targets" in proc.stdout


def test_fleet_list_counts_the_requests_of_each_live_plan(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    """fleet_list (60 notebooks in quick mode) reports the emulator's requests per live plan: two list
    pages in sync, plus one GET per drifted notebook, and one GET each (plus the listing) in get mode."""
    _, document = quick_run
    result = document["benchmarks"]["fleet_list"]
    details, measurements = result["details"], result["measurements"]
    assert details["notebooks"] == 60
    assert details["drifted"] == 6
    assert measurements["requests.live.in_sync"]["runs"] == [2]
    assert measurements["requests.live.drift"]["runs"] == [2 + 6]
    assert measurements["requests.live_get.in_sync"]["runs"] == [60 + 2]
    assert details["plans"]["in_sync"]["actions"] == {"no-op": 60}
    assert details["plans"]["drift"]["actions"] == {"no-op": 54, "update": 6}
    verdicts = {t["name"]: t["status"] for t in result["targets"]}
    assert verdicts["in sync: requests <= 25 (requests / budget)"] == "PASS"
    assert verdicts["10% drift: requests <= 25 + 6 (requests / budget)"] == "PASS"
    assert len(verdicts) == 4


def test_only_rejects_an_unknown_benchmark(tmp_path: Path) -> None:
    """`--only` with a name that is not a benchmark is a usage error, and nothing is written."""
    out = tmp_path / "none.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nope", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown benchmark nope" in proc.stderr
    assert not out.exists()


def test_floor_writes_exactly_as_many_bytes_as_asked(tmp_path: Path) -> None:
    """The floor's layout predicts its output to the byte, and `bench.floor` writes exactly that, atomically."""
    from bench import fixtures
    from bench.floor import document, document_bytes, dumps, layout

    observed = tmp_path / "observed.json"
    fixtures.write_list_response(observed, fixtures.make_fleet(7, drift=False).observed)
    notebooks = json.loads(observed.read_bytes())["data"]
    sizes = [len(dumps(nb)) for nb in notebooks]
    for target in (document_bytes(sizes, 0, 0), sum(sizes) + 3, 3 * observed.stat().st_size + 17):
        entries, pad = layout(sizes, target)
        assert len(dumps(document(notebooks, entries, pad))) == target
    out = tmp_path / "floor.json"
    target = 3 * observed.stat().st_size + 17
    entries, pad = layout(sizes, target)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.floor", str(observed), str(out), str(entries), str(pad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(target)
    assert out.stat().st_size == target
    assert len(json.loads(out.read_bytes())["notebooks"]) == entries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["floor.json", "observed.json"]


def test_measured_child_reports_its_own_peak_not_the_parents() -> None:
    """A child's peak is its own VmHWM even while the parent holds far more; its exit status passes through."""
    from bench.procs import measured_module

    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc (Linux)")
    held = bytearray(300 * 2**20)
    for i in range(0, len(held), 4096):
        held[i] = 1  # resident, so the parent's peak is above 300 MiB
    child = measured_module(["bench.floor"])  # no arguments: the usage line and status 2
    del held
    assert child.returncode == 2
    assert "usage: python -m bench.floor" in child.stderr
    assert child.memory_method == "VmHWM"
    assert 0 < child.peak_bytes < 100 * 2**20
    assert child.seconds > 0


def test_measured_child_flags_the_processes_it_started(tmp_path: Path) -> None:
    """A child that starts a process of its own (as a pool would) has that process's peak reported apart."""
    from bench.procs import measured_module, python_env

    (tmp_path / "spawner.py").write_text(
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'x = bytearray(64 * 2**20)'], check=True)\n"
    )
    env = python_env()
    env["PYTHONPATH"] = os.pathsep.join((str(tmp_path), env["PYTHONPATH"]))
    child = measured_module(["spawner"], env=env)
    assert child.returncode == 0, child.stderr
    assert child.children_maxrss_bytes >= 64 * 2**20
    assert child.peak_bytes < child.children_maxrss_bytes


def test_fleet_live_measures_one_get_per_notebook(
    quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    """fleet_live measures get mode, as its ideal assumes: the library and the CLI each make one GET per
    notebook (50 in quick mode) and no listing."""
    _, document = quick_run
    measurements = document["benchmarks"]["fleet_live"]["measurements"]
    assert measurements["requests.observe_live"]["runs"] == [50]
    assert measurements["requests.cli"]["runs"] == [50]


def test_the_two_cores_experiment_runs_both_sides_and_prints_their_ratio() -> None:
    """`python -m bench.two_cores` runs both sides in fresh interpreters (the second forking two
    children) and prints each side's median and the ratio of the two."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.two_cores", "--count", "40", "--rounds", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "two / one: median" in proc.stdout and "one: plan + JSON text" in proc.stdout
