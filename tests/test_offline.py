"""Offline observation (`reconcile._observe.offline`) and the planner's handling of what it finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconcile._core.errors import ObservedInputError
from reconcile._core.observation import Failed, Found, Missing, Target
from reconcile._core.plan import Action
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._specfile.load import spec_from_data


def _save(folder: Path, name: str, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_get_bodies_and_list_responses_are_indexed(tmp_path: Path) -> None:
    """A directory (read recursively) of GET bodies and list responses is indexed by id and name."""
    _save(tmp_path, "a.json", {"id": "a", "name": "nb-a"})
    _save(tmp_path / "sub", "list.json", {"current": 0, "data": [{"id": "b", "name": "nb-b"}], "total": 1})
    index = load_observed(tmp_path)
    assert sorted(index.by_id) == ["a", "b"] and sorted(index.by_name) == ["nb-a", "nb-b"]
    assert index.by_id["b"][0].source == f"{tmp_path / 'sub' / 'list.json'}#data[0]"
    assert index.unreadable == ()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": "a", ', "invalid JSON at line 1"),
        ([{"id": "a"}], "expected a notebook object or a list response {data: [...]}, got a list"),
        ({"data": [{"id": "x"}, 5]}, "#data[1]: expected a notebook object, got 5"),
        ({"id": 7, "name": "x"}, "id: expected string, got 7"),
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ],
)
def test_unusable_files_are_recorded_not_skipped(tmp_path: Path, content: Any, expected: str) -> None:
    """A file or entry that cannot be a notebook is recorded, so nothing turns into a false create."""
    _save(tmp_path, "bad.json", content)
    _save(tmp_path, "good.json", {"id": "other"})
    index = load_observed(tmp_path)
    assert len(index.unreadable) == 1 and expected in index.unreadable[0]
    (observation,) = observe_offline([Target("t", notebook_id="a")], index).values()
    assert isinstance(observation, Failed) and expected in observation.message


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    """A missing path or a directory without *.json files is an error for the whole run."""
    with pytest.raises(ObservedInputError, match="no such file or directory"):
        load_observed(tmp_path / "nope")
    with pytest.raises(ObservedInputError, match=r"no \*\.json files"):
        load_observed(tmp_path)


def test_identical_copies_are_one_notebook_and_different_copies_an_error(tmp_path: Path) -> None:
    """The same notebook saved twice is fine; two different bodies under one id are an error."""
    _save(tmp_path, "a1.json", {"id": "a", "flavor": "x"})
    _save(tmp_path, "a2.json", {"id": "a", "flavor": "x"})
    _save(tmp_path, "b1.json", {"id": "b", "flavor": "x"})
    _save(tmp_path, "b2.json", {"id": "b", "flavor": "y"})
    result = observe_offline(
        [Target("a", notebook_id="a"), Target("b", notebook_id="b")], load_observed(tmp_path)
    )
    assert isinstance(result["a"], Found)
    assert (
        isinstance(result["b"], Failed)
        and "saved more than once with different contents" in result["b"].message
    )


def test_name_lookup_skips_deleted_and_refuses_ambiguity(tmp_path: Path) -> None:
    """By name, a DELETED namesake is passed over; two live namesakes are an error naming both ids."""
    _save(
        tmp_path,
        "l.json",
        {
            "data": [
                {"id": "old", "name": "box", "status": "DELETED"},
                {"id": "new", "name": "box", "status": "RUNNING"},
                {"id": "t1", "name": "twin"},
                {"id": "t2", "name": "twin"},
                {"id": "gone", "name": "ghost", "status": "DELETED"},
            ]
        },
    )
    index = load_observed(tmp_path)
    result = observe_offline(
        [
            Target("box", notebook_name="box"),
            Target("twin", notebook_name="twin"),
            Target("ghost", notebook_name="ghost"),
            Target("none", notebook_name="none"),
        ],
        index,
    )
    assert isinstance(result["box"], Found) and result["box"].body["id"] == "new"  # type: ignore[index]
    assert result["twin"] == Failed("2 notebooks are named 'twin' (t1, t2); give the `id` in the spec")
    assert isinstance(result["ghost"], Found)  # only a DELETED one: the plan says create
    assert result["none"] == Missing("no notebook is named 'none'")


def test_two_entries_resolving_to_one_notebook(tmp_path: Path) -> None:
    """An id entry and a name entry that find the same notebook: the second is an error, not a second plan."""
    _save(tmp_path, "a.json", {"id": "a", "name": "box", "status": "RUNNING", "flavor": "x"})
    spec = spec_from_data(
        {
            "version": 1,
            "notebooks": {"by-id": {"id": "a", "flavor": "y"}, "by-name": {"name": "box", "flavor": "z"}},
        }
    )
    plan = build_plan(spec, observe_offline(targets(spec), load_observed(tmp_path)))
    assert [rc.name for rc in plan.resource_changes] == ["by-id"]
    assert plan.resource_changes[0].actions == (Action.UPDATE,)
    assert [(e.name, e.message) for e in plan.errors] == [
        (
            "by-name",
            "notebook a is also managed by huaweicloud_modelarts_notebook.by-id (one entry per notebook)",
        )
    ]


def test_device_files_are_not_read(tmp_path: Path) -> None:
    """A device or FIFO given as --observed is refused unread (its size says nothing)."""
    index = load_observed("/dev/zero")
    (message,) = index.unreadable
    assert message.startswith("/dev/zero: not a regular file")


def test_deleting_namesakes_are_passed_over_and_gone_ones_free_the_name(tmp_path: Path) -> None:
    """A DELETING namesake is passed over like a DELETED one; two gone namesakes plan a create."""
    _save(
        tmp_path,
        "l.json",
        {
            "data": [
                {"id": "going", "name": "box", "status": "DELETING"},
                {"id": "live", "name": "box", "status": "STOPPED"},
                {"id": "g1", "name": "ghost", "status": "DELETED"},
                {"id": "g2", "name": "ghost", "status": "DELETING"},
            ]
        },
    )
    spec = spec_from_data(
        {"version": 1, "notebooks": {"box": {"name": "box"}, "ghost": {"name": "ghost", "flavor": "f"}}}
    )
    observations = observe_offline(targets(spec), load_observed(tmp_path))
    assert isinstance(observations["box"], Found) and observations["box"].body["id"] == "live"  # type: ignore[index]
    assert observations["ghost"] == Missing("no live notebook is named 'ghost' (2 are DELETED or DELETING)")
    plan = build_plan(spec, observations)
    assert plan.errors == ()
    assert [rc.actions for rc in plan.resource_changes] == [(Action.NO_OP,), (Action.CREATE,)]


def test_different_copies_are_an_error_by_name_as_by_id(tmp_path: Path) -> None:
    """Two saved copies of one notebook with different contents are an error whichever file sorts first."""
    _save(tmp_path, "1.json", {"id": "a", "name": "box", "flavor": "x"})
    _save(tmp_path, "2.json", {"id": "a", "name": "box", "flavor": "y"})
    result = observe_offline([Target("box", notebook_name="box")], load_observed(tmp_path))
    assert result["box"] == Failed(
        f"notebook a is saved more than once with different contents ({tmp_path / '1.json'}, {tmp_path / '2.json'})"
    )


def test_a_spec_id_finds_its_notebook_whatever_the_letter_case(tmp_path: Path) -> None:
    """Notebook ids are UUIDs: an upper-case id in the spec finds the lower-case saved one."""
    nid = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
    _save(tmp_path, "a.json", {"id": nid, "status": "RUNNING"})
    result = observe_offline([Target("a", notebook_id=nid.upper())], load_observed(tmp_path))
    assert isinstance(result["a"], Found) and result["a"].body["id"] == nid  # type: ignore[index]


def _plan_aaaa(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The CLI's JSON plan of a spec wanting notebook `aaaa` RUNNING, against `tmp_path/obs`."""
    spec = _save(tmp_path, "spec.yaml", "version: 1\nnotebooks:\n  a:\n    id: aaaa\n    status: RUNNING\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reconcile",
            "plan",
            str(spec),
            "--observed",
            str(tmp_path / "obs"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreadable_file_is_named_and_exits_1_even_when_every_entry_is_found(tmp_path: Path) -> None:
    """The CLI names a corrupt file and a list with non-object items under --observed, exits 1, and still plans."""
    _save(tmp_path / "obs", "a.json", {"id": "aaaa", "status": "RUNNING"})
    broken = _save(tmp_path / "obs", "broken.json", '{"id": "bbbb", "status": "RUN')
    listing = _save(tmp_path / "obs", "list.json", {"data": [{"id": "cccc"}, 7]})
    done = _plan_aaaa(tmp_path)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["summary"]["no_op"] == 1
    assert done.stderr.splitlines() == [
        f"reconcile: error: observed input: {broken}: invalid JSON at line 1 column 26: Unterminated string starting at",
        f"reconcile: error: observed input: {listing}#data[1]: expected a notebook object, got 7",
    ]


def test_a_saved_object_nothing_can_find_is_named_and_exits_1(tmp_path: Path) -> None:
    """A saved error body, `{}` and `{"data": {...}}` have no id or name (nothing could be matched to
    them): each is named as unreadable, the CLI exits 1, and the notebook that was found is planned."""
    _save(tmp_path / "obs", "a.json", {"id": "aaaa", "status": "RUNNING"})
    error = _save(tmp_path / "obs", "error.json", {"error_code": "ModelArts.6309", "error_msg": "gone"})
    empty = _save(tmp_path / "obs", "empty.json", {})
    wrapped = _save(tmp_path / "obs", "wrapped.json", {"data": {"id": "bbbb"}, "total": 1})
    named = _save(tmp_path / "obs", "named.json", {"name": "by-name-only", "status": "STOPPED"})
    index = load_observed(tmp_path / "obs")
    assert sorted(u.split(":", 1)[0] for u in index.unreadable) == sorted(map(str, (empty, error, wrapped)))
    assert f"{wrapped}: expected a notebook object (with an id or a name)" in "\n".join(index.unreadable)
    assert "by-name-only" in index.by_name and str(named) not in "\n".join(index.unreadable)
    done = _plan_aaaa(tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("reconcile: error: observed input:") == 3 and "Traceback" not in done.stderr
    assert json.loads(done.stdout)["summary"]["no_op"] == 1
