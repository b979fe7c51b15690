"""Spec files: loading, validation, normalisation, and agreement with the spec schema."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconcile._core.enums import DevService, LeaseType, VolumeCategory
from reconcile._core.errors import SpecError
from reconcile._core.spec import DesiredStatus, EndpointSpec, ImageSpec, LeaseSpec, VolumeSpec
from reconcile._schema.files import load_schema
from reconcile._specfile.load import MAX_SPEC_BYTES, load_spec
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(load_schema("spec"))

GOOD = """\
version: 1
project_id: p1
notebooks:
  box:
    id: nb-1
    name: box
    flavor: modelarts.vm.cpu.8u
    image: {name: img, tag: "1.0"}
    volume: {category: evs, capacity: 100, ownership: managed, mount_path: /home/ma-user/work/}
    endpoints:
      - dev_service: ssh
        allowed_access_ips: [203.0.113.0/24, 1.2.3.4, 1.2.3.4/32]
        ssh_keys: [b, a, b]
    lease: {enable: true, duration: 1h30m, type: timing}
    status: stopped
    description: team box
    feature: notebook
    pool: {id: pool-1}
    workspace_id: "0"
    tags: {team: vision, cost-center: "42"}
    ignore_changes: [lease.duration, description]
"""


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _problems(*paths: Path | str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(list(paths))
    return [str(p) for p in info.value.problems]


def test_full_spec_loads_normalised(tmp_path: Path) -> None:
    """Every managed field loads, normalised: durations in ms, canonical CIDR sets, upper-case enums."""
    spec = load_spec([_write(tmp_path, "s.yaml", GOOD)])
    assert spec.project_id == "p1"
    (entry,) = spec.entries
    nb = entry.notebook
    assert entry.name == "box" and entry.file.endswith("s.yaml")
    assert (nb.id, nb.name, nb.flavor) == ("nb-1", "box", "modelarts.vm.cpu.8u")
    assert nb.image == ImageSpec(name="img", tag="1.0")
    assert nb.volume == VolumeSpec(
        category=VolumeCategory.EVS, capacity=100, ownership="MANAGED", mount_path="/home/ma-user/work/"
    )
    assert nb.endpoints == (
        EndpointSpec(
            dev_service=DevService.SSH,
            allowed_access_ips=("1.2.3.4/32", "203.0.113.0/24"),
            ssh_keys=("a", "b"),
        ),
    )
    assert nb.lease == LeaseSpec(enable=True, duration=5_400_000, type=LeaseType.TIMING)
    assert nb.status is DesiredStatus.STOPPED
    assert nb.feature == "NOTEBOOK" and nb.pool is not None and nb.pool.id == "pool-1"
    assert nb.tags == (("cost-center", "42"), ("team", "vision"))
    assert nb.ignore_changes == ("description", "lease.duration")


@pytest.mark.parametrize("duration", [7200000, "2h", "120m", "7200000", "1h60m", "2H"])
def test_equivalent_durations(tmp_path: Path, duration: Any) -> None:
    """`7200000`, `2h`, `120m` all mean two hours."""
    text = f"version: 1\nnotebooks:\n  a:\n    id: x\n    lease: {{duration: {json.dumps(duration)}}}\n"
    (entry,) = load_spec([_write(tmp_path, "d.yaml", text)]).entries
    assert entry.notebook.lease is not None and entry.notebook.lease.duration == 7_200_000


def test_yaml_scalars_are_read_as_yaml_1_2_reads_them(tmp_path: Path) -> None:
    """`0100` is 100 (YAML 1.1: octal 64, a false grow), `0o17` 15, `0x1F` 31; a date is text."""
    text = (
        "version: 1\nnotebooks:\n"
        "  a: {id: x, volume: {capacity: 0100}, description: 2026-12-01}\n"
        "  b: {id: y, volume: {capacity: 0o17}, description: 12:30:00}\n"
        "  c: {id: z, volume: {capacity: 0x1F}, description: 1_000}\n"
    )
    a, b, c = load_spec([_write(tmp_path, "v.yaml", text)]).entries
    assert [e.notebook.volume.capacity for e in (a, b, c) if e.notebook.volume] == [100, 15, 31]
    assert [e.notebook.description for e in (a, b, c)] == ["2026-12-01", "12:30:00", "1_000"]


def test_json_and_toml_load_the_same_spec(tmp_path: Path) -> None:
    """The same spec written in YAML, JSON and TOML loads to the same notebooks."""
    data = yaml.safe_load(GOOD)
    toml_text = """\
version = 1
project_id = "p1"
[notebooks.box]
id = "nb-1"
name = "box"
flavor = "modelarts.vm.cpu.8u"
image = {name = "img", tag = "1.0"}
volume = {category = "evs", capacity = 100, ownership = "managed", mount_path = "/home/ma-user/work/"}
endpoints = [{dev_service = "ssh", allowed_access_ips = ["203.0.113.0/24", "1.2.3.4", "1.2.3.4/32"], ssh_keys = ["b", "a", "b"]}]
lease = {enable = true, duration = "1h30m", type = "timing"}
status = "stopped"
description = "team box"
feature = "notebook"
pool = {id = "pool-1"}
workspace_id = "0"
tags = {team = "vision", cost-center = "42"}
ignore_changes = ["lease.duration", "description"]
"""
    assert tomllib.loads(toml_text) == data
    from_yaml = load_spec([_write(tmp_path, "s.yaml", GOOD)]).entries[0].notebook
    from_json = load_spec([_write(tmp_path, "s.json", json.dumps(data))]).entries[0].notebook
    from_toml = load_spec([_write(tmp_path, "s.toml", toml_text)]).entries[0].notebook
    assert from_yaml == from_json == from_toml


def test_several_files_merge(tmp_path: Path) -> None:
    """Spec files given together are merged, sorted by local name."""
    a = _write(tmp_path, "a.yaml", "version: 1\nnotebooks:\n  zeta: {id: z}\n")
    b = _write(tmp_path, "b.json", json.dumps({"version": 1, "notebooks": {"alpha": {"name": "alpha"}}}))
    spec = load_spec([a, b])
    assert [e.name for e in spec.entries] == ["alpha", "zeta"]
    assert [Path(e.file).name for e in spec.entries] == ["b.json", "a.yaml"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid_for_loader_and_schema(example: Path) -> None:
    """Every shipped example spec loads and validates against the spec schema."""
    load_spec([example])
    assert list(VALIDATOR.iter_errors(yaml.safe_load(example.read_text()))) == []


def _nb(body: str) -> str:
    return "version: 1\nnotebooks:\n  box:\n" + "".join(f"    {line}\n" for line in body.splitlines())


# (file name, content, expected message, checked by the schema too)
INVALID: list[tuple[str, str | bytes, str, bool]] = [
    (
        "unknown-field.yaml",
        _nb("id: x\nflavr: a"),
        "x.yaml:5: notebooks.box.flavr: unknown field (did you mean flavor?)",
        True,
    ),
    (
        "unknown-top.yaml",
        "version: 1\nnotebook: {}\n",
        ":2: notebook: unknown field (did you mean notebooks?)",
        True,
    ),
    ("no-identity.yaml", _nb("flavor: a"), ":3: notebooks.box: no identity (expected `id`, or `name`", True),
    (
        "wrong-type-flavor.yaml",
        _nb("id: x\nflavor: 5"),
        ":5: notebooks.box.flavor: expected string, got 5",
        True,
    ),
    (
        "wrong-type-capacity.yaml",
        _nb('id: x\nvolume: {capacity: "100"}'),
        'notebooks.box.volume.capacity: expected int, got "100"',
        True,
    ),
    (
        "wrong-type-enable.yaml",
        _nb('id: x\nlease: {enable: "false"}'),
        'notebooks.box.lease.enable: expected bool, got "false"',
        True,
    ),
    (
        "wrong-type-keys.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n    ssh_keys: ops"),
        ":7: notebooks.box.endpoints[0].ssh_keys: expected list",
        True,
    ),
    (
        "wrong-type-key-item.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n    ssh_keys: [1]"),
        "notebooks.box.endpoints[0].ssh_keys[0]: expected string, got 1",
        True,
    ),
    (
        "bad-duration.yaml",
        _nb('id: x\nlease: {duration: "2 hours"}'),
        'notebooks.box.lease.duration: invalid duration "2 hours"',
        True,
    ),
    (
        "negative-duration.yaml",
        _nb("id: x\nlease: {duration: -5}"),
        "notebooks.box.lease.duration: invalid duration -5",
        True,
    ),
    (
        "short-duration.yaml",
        _nb("id: x\nlease: {duration: 60000}"),
        "lease.duration: 60000 ms is out of range (expected 1h to 72h",
        True,
    ),
    (
        "bad-cidr.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n    allowed_access_ips: [300.1.1.1]"),
        'allowed_access_ips[0]: invalid IP address or CIDR "300.1.1.1"',
        True,
    ),
    (
        "bad-cidr-text.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n    allowed_access_ips: [office]"),
        'invalid IP address or CIDR "office"',
        True,
    ),
    (
        "bad-status.yaml",
        _nb("id: x\nstatus: DELETED"),
        'notebooks.box.status: expected one of RUNNING, STOPPED, got "DELETED"',
        True,
    ),
    (
        "bad-category.yaml",
        _nb("id: x\nvolume: {category: NFS}"),
        'volume.category: expected one of SFS, EVS, OBS, OBSFS, EFS, got "NFS"',
        True,
    ),
    (
        "bad-dev-service.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: RDP"),
        'dev_service: expected one of NOTEBOOK, SSH, got "RDP"',
        True,
    ),
    (
        "missing-dev-service.yaml",
        _nb("id: x\nendpoints:\n  - ssh_keys: [a]"),
        "notebooks.box.endpoints[0].dev_service: required field is missing",
        True,
    ),
    (
        "two-image-keys.yaml",
        _nb("id: x\nimage: {id: a, name: b}"),
        "notebooks.box.image: name the image by exactly one of",
        True,
    ),
    (
        "empty-image.yaml",
        _nb("id: x\nimage: {}"),
        "notebooks.box.image: name the image by exactly one of",
        True,
    ),
    (
        "tag-without-name.yaml",
        _nb("id: x\nimage: {swr_path: a, tag: b}"),
        "notebooks.box.image.tag: `tag` goes with `name`",
        True,
    ),
    (
        "capacity-range.yaml",
        _nb("id: x\nvolume: {capacity: 5000}"),
        "volume.capacity: 5000 is out of range (expected 1 to 4096 GB)",
        True,
    ),
    (
        "dup-endpoint.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n  - dev_service: ssh"),
        "endpoints[1].dev_service: SSH endpoint listed twice",
        False,
    ),
    (
        "notebook-ips.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: NOTEBOOK\n    allowed_access_ips: [1.2.3.4]"),
        "`allowed_access_ips` applies to the SSH endpoint only",
        True,
    ),
    (
        "bad-ignore.yaml",
        _nb("id: x\nignore_changes: [lease.duraton]"),
        'ignore_changes[0]: unknown path "lease.duraton" (did you mean lease.duration?)',
        True,
    ),
    ("ignore-id.yaml", _nb("id: x\nignore_changes: [id]"), 'ignore_changes[0]: unknown path "id"', True),
    (
        "empty-pool.yaml",
        _nb("id: x\npool: {}"),
        "notebooks.box.pool: empty pool (expected `id` or `name`)",
        True,
    ),
    (
        "bad-local-name.yaml",
        "version: 1\nnotebooks:\n  'bad name': {id: x}\n",
        "notebooks.bad name: invalid local name",
        True,
    ),
    ("no-version.yaml", "notebooks: {a: {id: x}}\n", "missing `version` (expected `version: 1`)", True),
    (
        "version-2.yaml",
        "version: 2\nnotebooks: {}\n",
        ":1: version: unsupported spec version 2 (this release reads version 1)",
        True,
    ),
    ("no-notebooks.yaml", "version: 1\n", "missing `notebooks`", True),
    (
        "notebooks-list.yaml",
        "version: 1\nnotebooks: [a]\n",
        "notebooks: expected a mapping of local name to notebook settings, got a list",
        True,
    ),
    (
        "entry-string.yaml",
        "version: 1\nnotebooks:\n  a: hello\n",
        'notebooks.a: expected a mapping of notebook settings, got "hello"',
        True,
    ),
    ("top-list.yaml", "- 1\n- 2\n", "expected a mapping with `version: 1` and `notebooks`, got a list", True),
    (
        "project-id-int.yaml",
        "version: 1\nproject_id: 5\nnotebooks: {}\n",
        "project_id: expected string, got 5",
        True,
    ),
    ("dup-key.yaml", _nb("id: x\nid: y"), ":5: notebooks.box.id: duplicate key", False),
    ("malformed.yaml", "version: 1\nnotebooks:\n  a: {id: x\n", "invalid YAML", False),
    (
        "python-object.yaml",
        "version: 1\nnotebooks: !!python/object/apply:os.system ['echo pwned']\n",
        ":2: refused YAML tag !!python/object/apply:os.system",
        False,
    ),
    # Safe, but no JSON value: a set was quoted in hash order (a different message on each run).
    (
        "yaml-set.yaml",
        _nb("id: x\ntags: !!set {a, b}"),
        ":5: refused YAML tag !!set: a spec holds plain",
        False,
    ),
    ("yaml-binary.yaml", _nb("id: x\ndescription: !!binary aGk="), ":5: refused YAML tag !!binary", False),
    (
        "yaml-timestamp.yaml",
        _nb("id: x\ndescription: !!timestamp 2026-12-01"),
        ":5: refused YAML tag !!timestamp",
        False,
    ),
    ("yaml-omap.yaml", _nb("id: x\ntags: !!omap [a: b]"), ":5: refused YAML tag !!omap", False),
    ("two-docs.yaml", "version: 1\nnotebooks: {}\n---\nversion: 1\n", "more than one YAML document", False),
    ("empty.yaml", "", "file is empty", False),
    ("blank.yaml", "\n  \n", "file is empty", False),
    ("only-comment.yaml", "# nothing here\n", "file holds no data", False),
    (
        "non-utf8.yaml",
        b"version: 1\nnotebooks:\n  a: {id: \xff\xfe}\n",
        ":3: not UTF-8 text (byte 0xff",
        False,
    ),
    ("malformed.json", '{"version": 1, "notebooks": {', "x.json:1: invalid JSON", False),
    (
        "dup-key.json",
        '{"version": 1, "version": 1, "notebooks": {}}',
        'invalid JSON: duplicate key "version"',
        False,
    ),
    (
        "wrong-type.json",
        '{"version": 1,\n "notebooks": {"a": {"id": "x",\n  "flavor": 8}}}',
        ".json:3: notebooks.a.flavor: expected string, got 8",
        True,
    ),
    ("malformed.toml", "version = 1\nnotebooks = {\n", ".toml:2: invalid TOML", False),
    (
        "wrong-type.toml",
        'version = 1\n[notebooks.a]\nid = "x"\ncapacity = 5\n',
        "notebooks.a.capacity: unknown field",
        True,
    ),
    ("spec.txt", "version: 1\n", 'unknown spec file extension ".txt"', False),
    ("blank-id.yaml", _nb('id: ""'), ":4: notebooks.box.id: must not be empty", True),
    ("blank-flavor.yaml", _nb('id: x\nflavor: "  "'), ":5: notebooks.box.flavor: must not be empty", True),
    ("blank-pool.yaml", _nb('id: x\npool: {name: ""}'), "notebooks.box.pool.name: must not be empty", True),
    (
        "empty-allow-list.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n    allowed_access_ips: []"),
        ":7: notebooks.box.endpoints[0].allowed_access_ips: an empty allow-list is ambiguous (omit the field",
        True,
    ),
    (
        "yaml11-bool.yaml",
        _nb("id: x\nlease: {enable: yes}"),
        ':5: notebooks.box.lease.enable: "yes" is not a boolean in YAML 1.2; write true or false',
        False,  # PyYAML's safe_load reads YAML 1.1, so the schema check would see `true`
    ),
    (
        "yaml11-bool-upper.yaml",
        _nb("id: x\nlease:\n  enable: OFF"),
        ':6: notebooks.box.lease.enable: "OFF" is not a boolean in YAML 1.2; write true or false',
        False,
    ),
    (
        "yaml11-bool-quoted.json",
        '{"version": 1, "notebooks": {"a": {"id": "x", "lease": {"enable": "on"}}}}',
        'notebooks.a.lease.enable: "on" is not a boolean in YAML 1.2; write true or false',
        True,
    ),
    (
        "tag-number.yaml",
        _nb("id: x\ntags: {team: vision, cost-center: 42}"),
        ':5: notebooks.box.tags.cost-center: expected a text value, got 42 (quote it: "42")',
        True,
    ),
    (
        "tags-list.yaml",
        _nb("id: x\ntags: [team]"),
        ":5: notebooks.box.tags: expected a mapping of tag keys to text values, got a list",
        True,
    ),
    (
        "tag-key-blank.yaml",
        _nb('id: x\ntags: {" ": a}'),
        "notebooks.box.tags. : invalid tag key (expected 1 to 128",
        True,
    ),
    (
        "tag-value-long.yaml",
        _nb("id: x\ntags: {team: " + "v" * 256 + "}"),
        "notebooks.box.tags.team: invalid tag value (expected up to 255",
        True,
    ),
    (
        "huge-number.yaml",
        _nb("id: x\nvolume:\n  capacity: " + "9" * 5000),
        ":6: notebooks.box.volume.capacity: expected int, got a number with 5000 digits (more than the 4300",
        False,
    ),
    (
        "huge-number.json",
        '{"version": 1,\n "notebooks": {"a": {"id": "x",\n "volume": {"capacity": ' + "9" * 5000 + "}}}}",
        ".json:3: notebooks.a.volume.capacity: expected int, got a number with 5000 digits",
        False,
    ),
    (
        "huge-number.toml",
        'version = 1\n[notebooks.a]\nid = "x"\nvolume = {capacity = ' + "9" * 5000 + "}\n",
        ".toml:4: a number with 5000 digits (more than the 4300 digits Python converts)",
        False,
    ),
    (
        # Hexadecimal and octal are read without Python's digit limit: the value failed only when
        # the range message printed it (a traceback).
        "huge-hex-number.yaml",
        _nb("id: x\nvolume:\n  capacity: 0x" + "F" * 5000),
        ":6: notebooks.box.volume.capacity: expected int, got a number with 6021 digits (more than the 4300",
        False,
    ),
    (
        "huge-octal-number.yaml",
        _nb("id: x\nvolume:\n  capacity: 0o" + "7" * 5000),
        ":6: notebooks.box.volume.capacity: expected int, got a number with 4516 digits",
        False,
    ),
    (
        # YAML 1.1 read `1:30` as 90 (base 60); YAML 1.2, as editors read it, as text
        "yaml11-sexagesimal.yaml",
        _nb("id: x\nvolume:\n  capacity: 1:30"),
        ':6: notebooks.box.volume.capacity: expected int, got "1:30"',
        False,  # PyYAML's safe_load reads YAML 1.1, so the schema check would see 90
    ),
    (
        "yaml11-underscore.yaml",
        _nb("id: x\nvolume:\n  capacity: 1_000"),
        ':6: notebooks.box.volume.capacity: expected int, got "1_000"',
        False,
    ),
    (
        "huge-hex-tag.yaml",
        _nb("id: x\ntags: {team: 0x" + "F" * 5000 + "}"),
        ":5: notebooks.box.tags.team: expected a text value, got a number with 6021 digits",
        False,
    ),
    (
        "huge-hex-number.toml",
        'version = 1\n[notebooks.a]\nid = "x"\nvolume = {capacity = 0x' + "F" * 5000 + "}\n",
        ".toml: notebooks.a.volume.capacity: expected int, got a number with 6021 digits",
        False,
    ),
    (
        "huge-octal-number.toml",
        'version = 1\n[notebooks.a]\nid = "x"\nlease = {enable = true, duration = 0o' + "7" * 5000 + "}\n",
        ".toml: notebooks.a.lease.duration: expected milliseconds or text like 2h, 90m, 1h30m, got a number with 4516 digits",
        False,
    ),
    (
        "huge-version.yaml",
        "version: " + "1" * 4400 + "\nnotebooks: {}\n",
        ":1: version: unsupported spec version a number with 4400 digits",
        False,
    ),
    (
        "deep.json",
        '{"version": 1, "notebooks": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}",
        "nested too deeply",
        False,
    ),
]


@pytest.mark.parametrize(("name", "content", "expected", "schema"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_specs_are_refused_with_a_located_message(
    tmp_path: Path, name: str, content: str | bytes, expected: str, schema: bool
) -> None:
    """Each invalid spec gives a one-line error naming file, line and path; the schema refuses it too."""
    path = _write(tmp_path, name, content)
    problems = _problems(path)
    text = "\n".join(problems).replace(name, "x" + Path(name).suffix)
    assert expected in text
    assert all("\n" not in p and p.startswith(str(path)) for p in problems)
    if schema:
        suffix = Path(name).suffix
        data = (
            yaml.safe_load(content)
            if suffix == ".yaml"
            else json.loads(content)
            if suffix == ".json"
            else tomllib.loads(content)
        )  # type: ignore[arg-type]
        assert list(VALIDATOR.iter_errors(data)) != [], "the schema should refuse this spec too"


def test_invalid_corpus_is_large_enough() -> None:
    """At least 30 invalid specs are checked, most of them by the schema as well."""
    assert len(INVALID) >= 30
    assert sum(1 for case in INVALID if case[3]) >= 30


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    """One run lists every problem of a file, sorted by line, not only the first."""
    path = _write(
        tmp_path,
        "many.yaml",
        _nb(
            "flavr: a\nimage: {id: a, name: b}\nvolume: {capacity: '1'}\n"
            "lease: {duration: soon}\nignore_changes: [nope]"
        ),
    )
    problems = _problems(path)
    assert [p.split(": ", 2)[1] for p in problems] == [
        "notebooks.box",
        "notebooks.box.flavr",
        "notebooks.box.image",
        "notebooks.box.volume.capacity",
        "notebooks.box.lease.duration",
        "notebooks.box.ignore_changes[0]",
    ]
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines) and lines[1:] == [4, 5, 6, 7, 8]


def test_host_bits_are_refused_not_widened(tmp_path: Path) -> None:
    """`10.0.0.1/24` is an error that suggests the network, never silently widened (loader-only check)."""
    path = _write(
        tmp_path,
        "h.yaml",
        _nb("id: x\nendpoints:\n  - dev_service: SSH\n    allowed_access_ips: [10.0.0.1/24]"),
    )
    (problem,) = _problems(path)
    assert '"10.0.0.1/24" has host bits set (write 10.0.0.0/24 for the network' in problem


def test_same_local_name_in_two_files(tmp_path: Path) -> None:
    """A local name defined in two files is an error naming both files and lines."""
    a = _write(tmp_path, "a.yaml", "version: 1\nnotebooks:\n  box: {id: x}\n")
    b = _write(tmp_path, "b.yaml", "version: 1\n\nnotebooks:\n  box: {id: y}\n")
    (problem,) = _problems(a, b)
    assert problem == f"{b}:4: notebooks.box: local name defined twice (also in {a}:3)"


def test_same_notebook_id_twice(tmp_path: Path) -> None:
    """Two local names managing the same notebook id is an error."""
    a = _write(tmp_path, "a.yaml", "version: 1\nnotebooks:\n  one: {id: x}\n  two: {id: x}\n")
    (problem,) = _problems(a)
    assert "notebooks.two.id: notebook x is already managed as notebooks.one" in problem


def test_contradicting_project_ids(tmp_path: Path) -> None:
    """Two files with different project ids cannot be merged."""
    a = _write(tmp_path, "a.yaml", "version: 1\nproject_id: p1\nnotebooks: {}\n")
    b = _write(tmp_path, "b.yaml", "version: 1\nproject_id: p2\nnotebooks: {}\n")
    (problem,) = _problems(a, b)
    assert problem == f'{b}:2: project_id: "p2" contradicts "p1" in {a}'


def test_missing_file_and_directory(tmp_path: Path) -> None:
    """A missing file and a directory are reported, each with its name."""
    problems = _problems(tmp_path / "nope.yaml", tmp_path)
    assert problems == [
        f"{tmp_path / 'nope.yaml'}: no such file",
        f"{tmp_path}: is a directory (expected a spec file: .yaml, .yml, .json or .toml)",
    ]


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    """A 50 MB spec is refused by size before it is read."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    assert path.stat().st_size > MAX_SPEC_BYTES
    (problem,) = _problems(path)
    assert problem == f"{path}: file is too large (50.0 MiB; the limit is 10 MiB)"


def test_yaml_python_tags_never_run(tmp_path: Path) -> None:
    """A YAML document that tries to construct Python objects is refused and nothing runs."""
    marker = tmp_path / "pwned"
    path = _write(
        tmp_path,
        "evil.yaml",
        f"version: 1\nnotebooks:\n  a: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    (problem,) = _problems(path)
    assert "refused YAML tag !!python/object/apply:os.system" in problem
    assert not marker.exists()


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_validate_cli_valid() -> None:
    """`reconcile validate` on the examples exits 0 with a one-line summary."""
    result = _run("validate", *map(str, EXAMPLES))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Valid: 5 notebooks in {len(EXAMPLES)} files.\n" and result.stderr == ""


def test_validate_cli_invalid(tmp_path: Path) -> None:
    """`reconcile validate` prints every problem on stderr, one per line, and exits 1 without a traceback."""
    bad = _write(tmp_path, "bad.yaml", _nb("flavr: a\nstatus: gone"))
    result = _run("validate", str(bad), str(tmp_path / "missing.yaml"))
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [
        f"{bad}:3: notebooks.box: no identity (expected `id`, or `name` alone to look the notebook up by name)",
        f"{bad}:4: notebooks.box.flavr: unknown field (did you mean flavor?)",
        f'{bad}:5: notebooks.box.status: expected one of RUNNING, STOPPED, got "gone"',
        f"{tmp_path / 'missing.yaml'}: no such file",
        "reconcile: 4 problems found",
    ]
    assert "Traceback" not in result.stderr


def test_schema_spec_command_prints_the_schema() -> None:
    """`reconcile schema spec` prints the shipped spec schema."""
    result = _run("schema", "spec")
    assert result.returncode == 0
    assert json.loads(result.stdout) == load_schema("spec")


def test_same_name_identity_twice(tmp_path: Path) -> None:
    """Two entries identified by the same notebook name are refused: one notebook, one entry."""
    a = _write(tmp_path, "a.yaml", "version: 1\nnotebooks:\n  one: {name: nb}\n  two:\n    name: nb\n")
    (problem,) = _problems(a)
    assert problem == f"{a}:5: notebooks.two.name: a notebook named 'nb' is already managed as notebooks.one"


def test_yaml_alias_bomb_is_cheap(tmp_path: Path) -> None:
    """A "billion laughs" spec is reported in well under a minute instead of expanding exponentially."""
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    lines.append("notebooks: {box: {id: y, description: *a11}}")
    path = _write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    result = _run("validate", str(path))  # _run gives up (and fails the test) after 60 s
    assert result.returncode == 1
    assert f"{path}:14: notebooks.box.description: expected string, got a list" in result.stderr


def test_duplicate_parent_key_reports_once(tmp_path: Path) -> None:
    """A repeated mapping key is one problem, not one more for each key under it."""
    path = _write(tmp_path, "dup.yaml", "version: 1\nnotebooks:\n  box: {id: a}\n  box: {id: b}\n")
    assert _problems(path) == [f"{path}:4: notebooks.box: duplicate key (each key may appear once)"]


def test_yaml_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    """Anchors in `x-` extension keys and `<<` merge keys, common for fleets, load like the expanded spec."""
    text = (
        "version: 1\n"
        "x-gpu: &gpu {flavor: modelarts.vm.gpu.v100, status: RUNNING}\n"
        "notebooks:\n"
        "  a: {<<: *gpu, id: a}\n"
        "  b: {<<: *gpu, id: b, status: STOPPED}\n"
    )
    spec = load_spec([_write(tmp_path, "anchors.yaml", text)])
    a, b = (e.notebook for e in spec.entries)
    assert (a.id, a.flavor, a.status) == ("a", "modelarts.vm.gpu.v100", DesiredStatus.RUNNING)
    assert (b.id, b.flavor, b.status) == ("b", "modelarts.vm.gpu.v100", DesiredStatus.STOPPED)
    assert list(VALIDATOR.iter_errors(yaml.safe_load(text))) == []


def test_ignore_changes_errors_point_at_the_written_item(tmp_path: Path) -> None:
    """An unknown ignore_changes path is reported at its own index and line, as written (not sorted)."""
    path = _write(
        tmp_path, "ic.yaml", _nb("id: x\nignore_changes:\n  - zzz.bad\n  - lease.duration\n  - description")
    )
    (problem,) = _problems(path)
    assert problem.startswith(f'{path}:6: notebooks.box.ignore_changes[0]: unknown path "zzz.bad"')


def test_duplicate_key_inside_an_inline_merge(tmp_path: Path) -> None:
    """A key repeated inside a `<<:` mapping written inline is reported too."""
    path = _write(tmp_path, "m.yaml", "version: 1\nnotebooks:\n  a: {<<: {flavor: s, flavor: b}, id: y}\n")
    assert _problems(path) == [f"{path}:3: notebooks.a.<<.flavor: duplicate key (each key may appear once)"]
