"""Loading and merging spec files (`reconcile._specfile.load`): every problem at once, guarded reading."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile._core.errors import SpecError
from reconcile._specfile import load_spec
from tests.conftest import ROOT


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconcile", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )


def _problems(path: Path, text: str) -> list[str]:
    """Write `text` to `path` and load it: the problems it is refused with, as shown."""
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec([path])
    return [str(p) for p in info.value.problems]


def test_identity_checks_run_beside_other_problems(tmp_path: Path) -> None:
    """A duplicate id and name are listed together with the file's other problems, sorted by line."""
    path = tmp_path / "v.yaml"
    text = (
        "version: 1\nnotebooks:\n  one: {id: x, flavor: 5}\n  two: {id: x}\n"
        "  three: {name: n, status: gone}\n  four: {name: n}\n"
    )
    assert _problems(path, text) == [
        f"{path}:3: notebooks.one.flavor: expected string, got 5",
        f"{path}:4: notebooks.two.id: notebook x is already managed as notebooks.one",
        f'{path}:5: notebooks.three.status: expected one of RUNNING, STOPPED, got "gone"',
        f"{path}:6: notebooks.four.name: a notebook named 'n' is already managed as notebooks.three",
    ]


def test_duplicate_local_name_across_a_broken_file(tmp_path: Path) -> None:
    """A local name reused in a second file is reported even when the first file has other problems."""
    a = tmp_path / "a.yaml"
    a.write_text("version: 1\nnotebooks:\n  box: {id: x, flavr: 1}\n")
    b = tmp_path / "b.yaml"
    b.write_text("version: 1\nnotebooks:\n  box: {id: y}\n")
    with pytest.raises(SpecError) as info:
        load_spec([a, b])
    assert [str(p) for p in info.value.problems] == [
        f"{a}:3: notebooks.box.flavr: unknown field (did you mean flavor?)",
        f"{b}:3: notebooks.box: local name defined twice (also in {a}:3)",
    ]


def test_spec_fifo_and_dev_zero_are_refused_at_once(tmp_path: Path) -> None:
    """`reconcile validate` on a FIFO and on a symlink to /dev/zero exits 1 quickly, one line each."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    result = _validate(fifo, zero)  # a hang fails the test after 30 s
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{fifo}: not a regular file (a FIFO; expected a spec file: .yaml, .yml, .json or .toml)",
        f"{zero}: not a regular file (a character device; expected a spec file: .yaml, .yml, .json or .toml)",
        "reconcile: 2 problems found",
    ]


def test_yaml_12_words_stay_text(tmp_path: Path) -> None:
    """`yes`, `no`, `on`, `off` are text in a YAML spec, as in JSON-schema-aware editors; true is a bool."""
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nnotebooks:\n  a: {id: x, description: yes, lease: {enable: True}}\n")
    (entry,) = load_spec([path]).entries
    assert entry.notebook.description == "yes"
    assert entry.notebook.lease is not None and entry.notebook.lease.enable is True


def test_tags_load_sorted_by_key(tmp_path: Path) -> None:
    """`tags` is a mapping of text to text, kept as (key, value) pairs sorted by key."""
    path = tmp_path / "s.yaml"
    path.write_text('version: 1\nnotebooks:\n  a: {id: x, tags: {team: vision, cost-center: "42"}}\n')
    (entry,) = load_spec([path]).entries
    assert entry.notebook.tags == (("cost-center", "42"), ("team", "vision"))
    path.write_text("version: 1\nnotebooks:\n  a: {id: x, tags: {}}\n")
    assert load_spec([path]).entries[0].notebook.tags == ()


def test_repeated_bad_cidr_and_duration_are_reported_for_every_entry(tmp_path: Path) -> None:
    """A CIDR or duration repeated across entries is judged each time: the bad ones are named at every use."""
    endpoint = '"endpoints": [{"dev_service": "SSH", "allowed_access_ips": ["%s"]}]'
    entries = [
        f'"e{i}": {{"id": "n{i}", {endpoint % ip}, "lease": {{"duration": "{lease}"}}}}'
        for i, (ip, lease) in enumerate(
            [("10.0.0.1", "2h"), ("10.0.0.1/24", "2h"), ("10.0.0.1", "soon"), ("10.0.0.1/24", "soon")]
        )
    ]
    path = tmp_path / "s.json"
    shown = _problems(path, '{"version": 1, "notebooks": {\n' + ",\n".join(entries) + "\n}}\n")
    host_bits = '"10.0.0.1/24" has host bits set (write 10.0.0.0/24 for the network, or the address alone)'
    bad_lease = 'invalid duration "soon" (expected milliseconds or text like 2h, 90m, 1h30m)'
    assert shown == [
        f"{path}:3: notebooks.e1.endpoints[0].allowed_access_ips[0]: {host_bits}",
        f"{path}:4: notebooks.e2.lease.duration: {bad_lease}",
        f"{path}:5: notebooks.e3.endpoints[0].allowed_access_ips[0]: {host_bits}",
        f"{path}:5: notebooks.e3.lease.duration: {bad_lease}",
    ]


def test_json_key_repeated_inside_an_entry_is_named(tmp_path: Path) -> None:
    """A key written twice inside one JSON entry is refused by name, as a whole-document parse names it."""
    path = tmp_path / "s.json"
    text = '{"version": 1, "notebooks": {"a": {"id": "x"},\n "b": {"id": "y", "flavor": "f", "id": "z"}}}'
    assert _problems(path, text) == [f'{path}: invalid JSON: duplicate key "id"']
