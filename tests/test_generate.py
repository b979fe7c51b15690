"""`reconcile generate`: a spec written from what exists plans no changes against it, in every format."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconcile._codec import decode_notebook
from reconcile._core.enums import NotebookStatus
from reconcile._core.lifecycle import FAILED_STATES
from reconcile._core.model import Notebook
from reconcile._core.observation import Found
from reconcile._core.plan import Action
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.generate import (
    Selection,
    Severity,
    collect,
    duration_text,
    generate,
    local_names,
    select,
)
from reconcile._planning.planner import build_plan, targets
from reconcile._specfile import load_spec, spec_from_data
from reconcile._specfile.rules import LOCAL_NAME as _LOCAL_NAME
from reconcile._specfile.write import FORMATS, Header, comment_text, toml_text, write_spec
from tests.conftest import ROOT
from tests.emulator_fixture import PROJECT_ID, TOKEN, Servers
from tests.strategies import notebook_json

HERE = Path(__file__).resolve().parent / "generate"
OBSERVED = "tests/generate/observed"
NOW = "2026-12-01T12:00:00Z"
#: The notebook tokens in the golden inputs; none may reach any output.
GOLDEN_TOKENS = (
    "5d0c1b7a-94e2-4f6b-a3c8-2e71d09f4b11",
    "9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4",
    "3f2e1d0c-b9a8-4765-8432-10fedcba9876",
)
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m reconcile ARGS` from the repository root, without cloud settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "HUAWEICLOUD_", "MODELARTS_"))}
    base.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
        check=False,
    )


def run_all(*calls: tuple[list[str], dict[str, str] | None]) -> list[subprocess.CompletedProcess[str]]:
    """Run several commands at once (each as `run`), in order of the calls; start-up dominates their time."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: run(*call[0], env=call[1]), calls))


def _plan_actions(spec_path: Path, bodies: dict[str, Any]) -> dict[str, tuple[Action, ...]]:
    """Plan a spec file against bodies by id; every entry's actions, by notebook id."""
    spec = load_spec([spec_path])
    observations = {
        e.name: Found(body=bodies[e.notebook.id or ""], source=f"{e.notebook.id}.json") for e in spec.entries
    }
    plan = build_plan(spec, observations)
    assert plan.errors == ()
    return {c.notebook_id or "": c.actions for c in plan.resource_changes}


def _without_header(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


# -- the contract, over generated notebooks -----------------------------------------------------

_tokens = st.none() | st.uuids().map(str)
_fleet = st.lists(
    st.tuples(notebook_json, st.uuids().map(str), _tokens), min_size=1, max_size=4, unique_by=lambda t: t[1]
)


def _body(raw: dict[str, Any], notebook_id: str, token: str | None) -> dict[str, Any]:
    body = {**raw, "id": notebook_id}
    body.pop("token", None)
    if token is not None:
        body["token"] = token
    return body


def _generated_ids(nb: Notebook) -> bool:
    return nb.status not in FAILED_STATES and nb.status not in (
        NotebookStatus.DELETED,
        NotebookStatus.DELETING,
    )


@given(_fleet)
# Found by a random run in CI: a tag holding `/` was inserted into the path and read back as part of
# the repository.
@example(
    [
        (
            {"status": "INIT", "image": {"swr_path": "0", "tag": "/"}},
            "e3e70682-c209-4cac-629f-6fbed82c07cd",
            None,
        )
    ]
)
def test_generated_spec_plans_no_changes_in_every_format(
    fleet: list[tuple[dict[str, Any], str, str | None]],
) -> None:
    """Any notebooks: the spec generated from them, written in YAML, JSON or TOML and read back by the
    loader, plans no change for any of them; failed and deleted ones are left out; no token is written."""
    bodies = {nid: _body(raw, nid, token) for raw, nid, token in fleet}
    notebooks, notes = collect(Found(body=b, source=f"{nid}.json") for nid, b in bodies.items())
    assert notes == []
    result = generate(notebooks)
    expected = {nb.id for nb in notebooks if _generated_ids(nb)}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            text = write_spec(result.document, fmt, Header("somewhere", NOW, result.count))
            for token in filter(None, (t for _, _, t in fleet)):
                assert token.lower() not in text.lower()
            path = Path(tmp) / f"spec.{fmt}"
            path.write_text(text, encoding="utf-8")
            actions = _plan_actions(path, bodies)
            assert set(actions) == expected
            assert all(a == (Action.NO_OP,) for a in actions.values()), (fmt, text)
    for note in result.notes:  # every failed notebook is named in a warning
        assert note.severity is Severity.WARNING
    failed = {nb.id for nb in notebooks if nb.status in FAILED_STATES}
    assert failed <= {nid for nid in failed if any(nid in n.subject for n in result.notes)}


@given(_fleet)
def test_generation_is_deterministic_whatever_the_order(
    fleet: list[tuple[dict[str, Any], str, str | None]],
) -> None:
    """The same notebooks in any order give byte-identical text in every format."""
    bodies = [_body(raw, nid, token) for raw, nid, token in fleet]
    forward, _ = collect(Found(body=b, source="a") for b in bodies)
    backward, _ = collect(Found(body=b, source="b") for b in reversed(bodies))
    for fmt in FORMATS:
        one = write_spec(generate(forward).document, fmt, Header("x", NOW))
        two = write_spec(generate(backward).document, fmt, Header("x", NOW))
        assert one == two


# -- the writers --------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_scalars = st.one_of(_text, st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1))
_documents = st.recursive(
    st.dictionaries(_text, _scalars | st.lists(_scalars, max_size=3), max_size=4),
    lambda inner: st.dictionaries(_text, inner | st.lists(inner, max_size=3) | _scalars, max_size=4),
    max_leaves=20,
)


@given(_documents)
def test_toml_writer_reads_back_with_tomllib(document: dict[str, Any]) -> None:
    """Any document of strings, integers, booleans, lists and tables reads back from our TOML unchanged."""
    assert tomllib.loads(toml_text(document)) == document


@given(_documents)
def test_yaml_and_json_writers_read_back_unchanged(document: dict[str, Any]) -> None:
    """The YAML and JSON writers keep every string exactly, whatever characters it holds."""
    assert yaml.safe_load(write_spec(document, "yaml")) == document
    assert json.loads(write_spec(document, "json")) == document


#: Texts that YAML 1.1 or YAML 1.2 would read as something else when written plain.
_NUMBER_LIKE = st.one_of(
    st.from_regex(r"[-+]?(\.[0-9]{1,3}|[0-9]{1,4}(\.[0-9]{0,3})?)([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.from_regex(
        r"0[ox][0-9a-fA-F]{1,4}|0[0-7]{1,4}|[0-9]{1,2}(:[0-5][0-9]){1,2}|[0-9]_[0-9]{3}", fullmatch=True
    ),
    st.sampled_from(["yes", "No", "on", "OFF", "y", "~", "null", "True", "=", "-.inf", ".NaN", "2026-12-01"]),
)


@given(st.lists(_NUMBER_LIKE, min_size=1, max_size=8))
@example(["1e3", "0o17", "+1E10", "0100", "1:30", "1_000", "2026-12-01T10:00:00"])
def test_yaml_writer_quotes_what_either_yaml_version_reads_as_no_text(texts: list[str]) -> None:
    """A text value YAML 1.2 (the loader) or YAML 1.1 (other tools) reads as a number, date or
    boolean is written quoted: both read the written spec back as the same text."""
    notebooks = {f"n{i}": {"id": f"id-{i}", "description": t} for i, t in enumerate(texts)}
    text = write_spec({"version": 1, "notebooks": notebooks}, "yaml")
    assert yaml.safe_load(text) == {"version": 1, "notebooks": notebooks}
    path = Path(tempfile.mkdtemp()) / "spec.yaml"
    path.write_text(text)
    assert [e.notebook.description for e in load_spec([path]).entries] == texts


def test_toml_escapes_quotes_backslashes_and_controls() -> None:
    """TOML strings escape quotes, backslashes and control characters, and keys that are not bare are quoted."""
    text = toml_text({"a b": {"k": 'say "hi"\\\n\x00\x7f\t', "bare-key_1": 1}})
    assert '["a b"]' in text
    assert r'k = "say \"hi\"\\\n\u0000\u007F\t"' in text
    assert "bare-key_1 = 1" in text


def test_writers_refuse_values_no_format_can_hold() -> None:
    """A float or a None in a document is refused in every format rather than written differently."""
    for fmt in FORMATS:
        with pytest.raises(TypeError):
            write_spec({"version": 1.5}, fmt)
        with pytest.raises(TypeError):
            write_spec({"notebooks": {"a": None}}, fmt)
    with pytest.raises(ValueError, match="unknown spec format"):
        write_spec({}, "ini")


def test_header_comment_cannot_be_broken_by_the_source_text() -> None:
    """A newline, U+2028 or a bidi control in the source is escaped, so the comment stays one line."""
    evil = "obs\ndir\u2028x\u202e"
    assert comment_text(evil) == "obs\\x0adir\\u2028x\\u202e"
    for fmt in ("yaml", "toml"):
        text = write_spec({"version": 1, "notebooks": {}}, fmt, Header(evil, NOW))
        assert [line for line in text.splitlines() if "obs" in line] == ["# from obs\\x0adir\\u2028x\\u202e"]
        assert spec_from_data(yaml.safe_load(text) if fmt == "yaml" else tomllib.loads(text)).entries == ()


# -- values and names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (7_200_000, "2h"),
        (5_400_000, "90m"),
        (259_200_000, "72h"),
        (5_400_123, 5_400_123),
        (45_000, 45_000),
        (0, 0),
    ],
)
def test_durations_are_written_as_people_write_them(ms: int, text: str | int) -> None:
    """Whole hours are `2h`, whole minutes `90m`, anything else milliseconds."""
    assert duration_text(ms) == text


def _nb(notebook_id: str, name: str | None) -> Notebook:
    return Notebook(id=notebook_id, name=name)


@pytest.mark.parametrize(
    ("name", "local"),
    [
        ("vision-gpu-01", "vision-gpu-01"),
        ("team sandbox (Zoë)", "team_sandbox_Zoe"),
        ("42-gpu", "nb_42-gpu"),
        ("-x", "nb_-x"),
        ("__init__", "init"),
        ("视觉", "notebook"),
        ("", "nb_0a1b2c3d-1"),
        (None, "nb_0a1b2c3d-1"),
    ],
)
def test_local_names_follow_the_documented_rule(name: str | None, local: str) -> None:
    """A local name is made from the notebook name (its id without one) and is valid for the loader."""
    names = local_names([_nb("0a1b2c3d-1", name)])
    assert names == {"0a1b2c3d-1": local}
    assert _LOCAL_NAME.fullmatch(local)


def test_clashing_local_names_get_the_id_and_never_depend_on_order() -> None:
    """Notebooks sharing a name, or a reserved name, get `-` and 8 characters of their id (whole id if needed)."""
    fleet = [
        _nb("aaaaaaaa-1", "demo"),
        _nb("bbbbbbbb-2", "demo"),
        _nb("aaaaaaaa-3", "demo!"),
        _nb("c-4", "keep"),
    ]
    names = local_names(fleet, reserved={"keep"})
    assert names == {
        "aaaaaaaa-1": "demo-aaaaaaaa",
        "aaaaaaaa-3": "demo-aaaaaaaa-3",
        "bbbbbbbb-2": "demo-bbbbbbbb",
        "c-4": "keep-c-4",
    }
    assert local_names(list(reversed(fleet)), reserved={"keep"}) == names


def test_values_the_spec_cannot_state_are_left_out_with_a_warning() -> None:
    """An undocumented enum value, a capacity or lease out of range, a blank name are left out and said."""
    nb = decode_notebook(
        {
            "id": "n1",
            "name": " ",
            "status": "HIBERNATING",
            "feature": "CODELAB",
            "volume": {"category": "NFS", "capacity": 0, "ownership": "SHARED", "mount_path": ""},
            "lease": {"enable": True, "duration": 60_000, "type": "SMART"},
            "endpoints": [
                {"dev_service": "VSCODE"},
                {"dev_service": "SSH", "allowed_access_ips": ["not-an-ip"]},
            ],
            "image": {"name": "", "swr_path": " "},
        }
    )
    result = generate([nb])
    entry = result.document["notebooks"]["n1"]
    assert entry == {"id": "n1", "endpoints": [{"dev_service": "SSH"}], "lease": {"enable": True}}
    said = " | ".join(n.message for n in result.notes)
    for path in (
        "name",
        "status",
        "feature",
        "volume.category",
        "volume.capacity",
        "volume.ownership",
        "volume.mount_path",
        "lease.duration",
        "lease.type",
        "endpoints VSCODE",
        "endpoints.SSH.allowed_access_ips",
        "image",
    ):
        assert f"{path} left out" in said, path


def test_a_field_that_holds_the_token_is_never_written() -> None:
    """A field echoing the notebook token (in any encoding) is left out, and the local name comes from the id."""
    token = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    encoded = base64.b64encode(token.encode()).decode()
    nb = decode_notebook(
        {
            "id": "n-1",
            "name": f"box-{token}",
            "description": f"t={token}",
            "pool": {"name": f"p-{encoded}"},
            "status": "RUNNING",
            "token": token,
        }
    )
    result = generate([nb])
    assert result.document["notebooks"] == {"n-1": {"id": "n-1", "status": "RUNNING"}}
    for fmt in FORMATS:
        assert token not in write_spec(result.document, fmt, Header("x", NOW))
    assert all(token not in str(n) for n in result.notes)
    assert {n.message.split(" left out")[0] for n in result.notes} == {"name", "description", "pool"}


def test_selection_by_id_glob_and_unmanaged() -> None:
    """--id and --name add up; --unmanaged takes away what a spec manages by id or by name alone."""
    fleet = [_nb("1", "vision-a"), _nb("2", "vision-b"), _nb("3", "ds"), _nb("4", "Vision-c")]
    chosen, notes = select(fleet, Selection(ids=("3", "9"), names=("vision-*", "nothing-*")))
    assert [nb.id for nb in chosen] == ["1", "2", "3"]
    assert [(str(n), n.severity) for n in notes] == [
        ("--id 9: no such notebook", Severity.ERROR),
        ("--name nothing-*: matches no notebook", Severity.WARNING),
    ]
    spec = spec_from_data({"version": 1, "notebooks": {"a": {"id": "1"}, "b": {"name": "ds"}}})
    chosen, _ = select(fleet, Selection(managed_by=spec))
    assert [nb.id for nb in chosen] == ["2", "4"]


def test_conflicting_and_undecodable_bodies_cost_only_themselves() -> None:
    """An id saved twice with different contents and an undecodable body are errors; the rest is kept."""
    bodies = [
        Found(body={"id": "1", "name": "a"}, source="one.json"),
        Found(body={"id": "1", "name": "b"}, source="two.json"),
        Found(body={"id": "2", "name": "c"}, source="three.json"),
        Found(body={"id": "2", "name": "c"}, source="again.json"),
        Found(body={"id": "3", "flavor": 5}, source="bad.json"),
    ]
    notebooks, notes = collect(bodies)
    assert [nb.id for nb in notebooks] == ["2"]
    assert [n.severity for n in notes] == [Severity.ERROR, Severity.ERROR]
    assert "one.json, two.json" in str(notes[1]) and "bad.json" in str(notes[0])


# -- the command --------------------------------------------------------------------------------


def test_golden_output_in_every_format() -> None:
    """The golden inputs give the reviewed spec in each format and the reviewed warnings
    (UPDATE_GOLDEN=1 rewrites them: read the diff)."""
    results = run_all(
        *((["generate", "--observed", OBSERVED, "--now", NOW, "--format", f], None) for f in FORMATS)
    )
    for fmt, result in zip(FORMATS, results, strict=True):
        assert result.returncode == 0, result.stderr
        expected, stderr = HERE / f"expected.{fmt}", HERE / "expected-stderr.txt"
        if UPDATE:
            expected.write_text(result.stdout, encoding="utf-8")
            stderr.write_text(result.stderr, encoding="utf-8")
        assert result.stdout == expected.read_text(encoding="utf-8")
        assert result.stderr == stderr.read_text(encoding="utf-8")
        for token in GOLDEN_TOKENS:
            assert token not in result.stdout + result.stderr


def test_stdout_is_utf8_whatever_the_locale() -> None:
    """With an ASCII-only stdout encoding, the spec on stdout is still the UTF-8 bytes of the golden file."""
    result = subprocess.run(
        [sys.executable, "-m", "reconcile", "generate", "--observed", OBSERVED, "--now", NOW],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == (HERE / "expected.yaml").read_bytes()
    assert "Zoë".encode() in result.stdout


def test_an_empty_spec_reads_back_in_every_format(tmp_path: Path) -> None:
    """With nothing selected, each format still writes a valid spec with no notebooks."""
    result = generate([])
    for fmt in FORMATS:
        path = tmp_path / f"empty.{fmt}"
        path.write_text(write_spec(result.document, fmt, Header("nowhere", NOW)), encoding="utf-8")
        assert load_spec([path]).entries == ()


def test_round_trip_through_the_cli_plans_no_changes(tmp_path: Path) -> None:
    """generate --out on the shipped examples in each format; the loader reads each back and the plan
    over the same notebooks has no changes."""
    outs = [tmp_path / f"adopted.{fmt}" for fmt in FORMATS]
    for made in run_all(
        *((["generate", "--observed", "examples/observed", "--out", str(o)], None) for o in outs)
    ):
        assert made.returncode == 0, made.stderr
        assert made.stdout == ""
        assert re.search(r"generated 5 notebooks to ", made.stderr)
    for out in outs:
        spec = load_spec([out])
        plan = build_plan(spec, observe_offline(targets(spec), load_observed(ROOT / "examples" / "observed")))
        assert plan.errors == () and not plan.has_changes and len(plan.resource_changes) == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_specs_plan_no_changes_against_their_notebooks(fmt: str) -> None:
    """Each golden spec, read by the real loader, plans no change for any of the golden notebooks."""
    spec = load_spec([HERE / f"expected.{fmt}"])
    plan = build_plan(spec, observe_offline(targets(spec), load_observed(ROOT / OBSERVED)))
    assert plan.errors == () and len(plan.resource_changes) == 5
    assert all(c.actions == (Action.NO_OP,) for c in plan.resource_changes)


def test_output_is_byte_identical_and_the_time_comes_from_now_or_source_date_epoch() -> None:
    """Two runs give the same bytes; --now wins over SOURCE_DATE_EPOCH, which wins over the clock."""
    epoch = {"SOURCE_DATE_EPOCH": "1764590400"}  # 2025-12-01T12:00:00Z
    first, second, now, clock = run_all(
        (["generate", "--observed", OBSERVED], epoch),
        (["generate", "--observed", OBSERVED], epoch),
        (["generate", "--observed", OBSERVED, "--now", "2026-01-02T03:04:05+08:00"], epoch),
        (["generate", "--observed", OBSERVED, "--format", "json"], None),
    )
    assert first.stdout == second.stdout
    assert first.stdout.startswith("# Generated by `reconcile generate` at 2025-12-01T12:00:00Z\n")
    assert now.stdout.startswith("# Generated by `reconcile generate` at 2026-01-01T19:04:05Z\n")
    stamp = json.loads(clock.stdout)["x-generated"]["at"]
    made = dt.datetime.fromisoformat(stamp)
    assert abs((dt.datetime.now(tz=dt.UTC) - made).total_seconds()) < 120


_BAD_INPUT: list[tuple[list[str], dict[str, str], str]] = [
    (["--now", "yesterday"], {}, "--now 'yesterday': not an RFC 3339 time"),
    (["--now", "2026-12-01T12:00:00"], {}, "no time zone"),
    (["--now", "0001-01-01T00:00:00+01:00"], {}, "out of range"),
    (
        [],
        {"SOURCE_DATE_EPOCH": "99999999999999999999"},
        "SOURCE_DATE_EPOCH='99999999999999999999': out of range",
    ),
    ([], {"SOURCE_DATE_EPOCH": "soon"}, "SOURCE_DATE_EPOCH='soon': expected a whole number of seconds"),
    (["--unmanaged"], {}, "--unmanaged needs --spec"),
    (["--spec", "examples/cpu-notebook.yaml"], {}, "--spec goes with --unmanaged"),
    (["--format", "json", "--out", "x.yaml"], {}, "a json spec needs a name the loader reads as json"),
    (["--out", "/nonexistent-dir/x.yaml"], {}, "no such directory"),
    (["--format", "ini"], {}, "invalid choice: 'ini'"),
]


def test_bad_input_gives_one_line_and_exit_1() -> None:
    """Bad options and settings give one clear line on stderr, exit 1, no traceback and no output."""
    results = run_all(*((["generate", "--observed", OBSERVED, *args], env) for args, env, _ in _BAD_INPUT))
    for (args, _, message), result in zip(_BAD_INPUT, results, strict=True):
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1


def test_bad_observed_input_and_bad_specs_are_one_line_each(tmp_path: Path) -> None:
    """A missing --observed path and an invalid --spec file are reported, one line each, exit 1."""
    missing = run("generate", "--observed", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "no such file or directory" in missing.stderr
    assert missing.stderr.count("\n") == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nnotebooks:\n  x: {id: 1}\n")
    spec = run("generate", "--observed", OBSERVED, "--unmanaged", "--spec", str(bad))
    assert spec.returncode == 1 and "bad.yaml:3: notebooks.x.id: expected string" in spec.stderr
    assert "Traceback" not in missing.stderr + spec.stderr


def test_one_unreadable_file_is_an_error_and_the_rest_is_still_written(tmp_path: Path) -> None:
    """A file that is not JSON makes the exit status 1, and the spec of every other notebook is written."""
    observed = tmp_path / "observed"
    observed.mkdir()
    for path in (ROOT / OBSERVED).iterdir():
        (observed / path.name).write_bytes(path.read_bytes())
    (observed / "zz-broken.json").write_text("{not json")
    out = tmp_path / "spec.yaml"
    result = run("generate", "--observed", str(observed), "--out", str(out))
    assert result.returncode == 1
    assert "reconcile: error: " in result.stderr and "zz-broken.json: invalid JSON" in result.stderr
    assert len(load_spec([out]).entries) == 5


def test_unknown_id_is_an_error_but_the_selected_ones_are_written(tmp_path: Path) -> None:
    """`--id` naming no notebook exits 1; the notebooks that were found are still written."""
    out = tmp_path / "two.yaml"
    result = run(
        "generate",
        "--observed",
        OBSERVED,
        "--id",
        "0a1b2c3d-0000-4000-8000-000000000042",
        "--id",
        "no-such-id",
        "--id",
        "0a1b2c3d-0000-4000-8000-0000000000ff",
        "--name",
        "team *",
        "--out",
        str(out),
    )
    assert result.returncode == 1
    assert "reconcile: error: --id no-such-id: no such notebook" in result.stderr
    assert "('gone'): DELETED: not generated" in result.stderr
    assert sorted(e.name for e in load_spec([out]).entries) == ["nb_42-gpu", "team_sandbox_Zoe"]


def test_failed_notebooks_are_left_out_with_a_warning_naming_them() -> None:
    """An ERROR notebook is not generated; stderr names it, with its fail_reason scrubbed of the token."""
    result = run("generate", "--observed", OBSERVED, "--id", "0a1b2c3d-0000-4000-8000-00000000dead")
    assert result.returncode == 0
    assert "notebooks: {}" in result.stdout
    assert (
        "reconcile: warning: notebook 0a1b2c3d-0000-4000-8000-00000000dead ('broken'): ERROR" in result.stderr
    )
    assert "token=<redacted>" in result.stderr
    assert GOLDEN_TOKENS[2] not in result.stderr


def test_unmanaged_leaves_out_what_the_specs_manage_and_keeps_their_local_names_free(tmp_path: Path) -> None:
    """--unmanaged --spec: notebooks managed by id or by name are left out; the result merges with the spec."""
    managing = tmp_path / "managed.yaml"
    managing.write_text(
        "version: 1\nnotebooks:\n"
        "  starting: {id: 0a1b2c3d-0000-4000-8000-000000000001}\n"  # manages the sandbox, by id
        "  by-name: {name: 42-gpu}\n"
    )
    out = tmp_path / "new.yaml"
    result = run(
        "generate", "--observed", OBSERVED, "--unmanaged", "--spec", str(managing), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    names = sorted(e.name for e in load_spec([out]).entries)
    assert names == ["demo-0a1b2c3d", "demo-0a1b2c3d-0000-4000-8000-0000000000b2", "starting-0a1b2c3d"]
    merged = load_spec([managing, out])  # no local name or notebook is defined twice
    plan = build_plan(merged, observe_offline(targets(merged), load_observed(ROOT / OBSERVED)))
    assert plan.errors == () and len(plan.resource_changes) == 5


# -- live -----------------------------------------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators started by the test, stopped after it."""
    with Servers() as s:
        yield s


def _observed_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((ROOT / OBSERVED).glob("*.json")):
        data = json.loads(path.read_text())
        docs.extend(data.get("data", [data]))
    return [d for d in docs if "id" in d]


@pytest.mark.parametrize("fmt", FORMATS)
def test_live_and_offline_generation_give_the_same_spec(servers: Servers, tmp_path: Path, fmt: str) -> None:
    """Generating from the emulator's list API over loopback gives the offline (golden) spec, apart from
    the header, and the same warnings; the live spec plans no changes live."""
    emulator = servers.emulator(_observed_documents())
    live_options = ("--endpoint", emulator.url, "--project-id", PROJECT_ID)
    token = {"MODELARTS_AUTH_TOKEN": TOKEN}
    live = run("generate", *live_options, "--now", NOW, "--format", fmt, env=token)
    assert live.returncode == 0, live.stderr
    offline = (HERE / f"expected.{fmt}").read_text(encoding="utf-8")
    if fmt == "json":
        live_doc, offline_doc = json.loads(live.stdout), json.loads(offline)
        assert live_doc.pop("x-generated")["from"] == f"{emulator.url}/v1/{PROJECT_ID}/notebooks"
        assert offline_doc.pop("x-generated")["from"] == OBSERVED
        assert live_doc == offline_doc
    else:
        assert _without_header(live.stdout) == _without_header(offline)
        assert f"# from {emulator.url}/v1/{PROJECT_ID}/notebooks\n" in live.stdout
    # The same warnings (the body without an id is in a file only the offline run reads).
    offline_stderr = (HERE / "expected-stderr.txt").read_text(encoding="utf-8").splitlines()
    assert live.stderr.splitlines()[:-1] == [line for line in offline_stderr[:-1] if "no-id.json" not in line]
    for secret in GOLDEN_TOKENS:
        assert secret not in live.stdout + live.stderr
    if fmt == "yaml":
        spec = tmp_path / f"spec.{fmt}"
        spec.write_text(live.stdout, encoding="utf-8")
        plan = run("plan", str(spec), *live_options, "--detailed-exitcode", env=token)
        assert plan.returncode == 0, plan.stdout + plan.stderr


@settings(max_examples=15)
@given(st.lists(st.tuples(notebook_json, st.uuids().map(str)), max_size=14, unique_by=lambda t: t[1]))
def test_live_listing_and_saved_bodies_give_the_same_document(
    fleet: list[tuple[dict[str, Any], str]],
) -> None:
    """Any notebooks listed from the emulator over loopback (in pages of 10) give the same document,
    notes and bytes as the same bodies read offline."""
    documents = [{**raw, "id": nid} for raw, nid in fleet]
    with Servers() as servers:
        client = servers.client(servers.emulator(documents))
        listed = [Found(body=entry, source="list") for entry in client.list_notebooks(limit=10)]
    saved = [Found(body=doc, source="list") for doc in documents]
    live_notebooks, live_notes = collect(listed)
    offline_notebooks, offline_notes = collect(saved)
    assert live_notes == offline_notes == []
    live, offline = generate(live_notebooks), generate(offline_notebooks)
    assert live == offline
    for fmt in FORMATS:
        assert write_spec(live.document, fmt) == write_spec(offline.document, fmt)


def test_live_errors_are_one_line(servers: Servers) -> None:
    """Without credentials, or with a rejected token, generate says so in one line and exits 1."""
    emulator = servers.emulator()
    missing = run("generate", "--endpoint", emulator.url, "--project-id", PROJECT_ID)
    assert missing.returncode == 1 and "no credentials" in missing.stderr
    wrong = run(
        "generate",
        "--endpoint",
        emulator.url,
        "--project-id",
        PROJECT_ID,
        env={"MODELARTS_AUTH_TOKEN": "wrong-token-value"},
    )
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert wrong.stderr.count("\n") == 1 and "wrong-token-value" not in wrong.stderr
    assert wrong.stdout == ""


def test_help_documents_the_command() -> None:
    """`reconcile generate --help` states the options, the failed-notebook rule and the exit statuses."""
    result = run("generate", "--help")
    assert result.returncode == 0
    for text in (
        "--observed",
        "--id",
        "--name",
        "--unmanaged",
        "--spec",
        "--format",
        "--out",
        "--now",
        "exit status",
    ):
        assert text in result.stdout


def test_readme_worked_example_is_what_the_command_prints() -> None:
    """Every spec line the README shows for its worked example is in what the command prints."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Adopting existing notebooks: reconcile generate", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"\$ (reconcile generate [^\n]+)", section)
    assert command is not None
    shown = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert shown is not None
    args = command.group(1).split()[1:]
    result = run(*[a.strip("'") for a in args])
    assert result.returncode == 0, result.stderr
    for line in shown.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("..."):
            assert line in result.stdout.splitlines(), line


def test_the_cli_offers_exactly_the_formats_the_writer_writes() -> None:
    """`reconcile generate --format` lists the writer's formats, spelled in the CLI for a fast start."""
    from reconcile._cli import generate
    from reconcile._specfile import write

    assert generate.FORMATS == write.FORMATS
