"""The spec's source map (`reconcile._specfile.sourcemap`): a Location for every entry and field."""

from __future__ import annotations

import json
from pathlib import Path

from reconcile._core.location import Location
from reconcile._specfile import load_spec

YAML = """\
version: 1
notebooks:
  box:
    id: nb-1
    lease:
      duration: 2h
    endpoints:
      - dev_service: SSH
        allowed_access_ips:
          - 10.0.0.0/24
          - 1.2.3.4
    tags: {team: vision}
  other:
    name: other
"""


def test_yaml_entries_and_fields_have_lines(tmp_path: Path) -> None:
    """Every entry and every field of a YAML spec keeps its file, line and document path."""
    path = tmp_path / "s.yaml"
    path.write_text(YAML)
    box, other = load_spec([path]).entries
    assert box.location == Location(str(path), 3, "notebooks.box")
    assert other.location == Location(str(path), 13, "notebooks.other")
    fields = box.field_locations
    assert fields["lease.duration"] == Location(str(path), 6, "notebooks.box.lease.duration")
    assert fields["endpoints[0]"].line == 8
    assert fields["endpoints[0].allowed_access_ips"].line == 9
    assert fields["endpoints[0].allowed_access_ips[1]"].line == 11
    assert fields["tags.team"].line == 12
    assert set(fields) >= {"id", "lease", "endpoints", "endpoints[0].dev_service", "tags"}


def test_json_entries_and_fields_have_lines(tmp_path: Path) -> None:
    """A pretty-printed JSON spec gives the same locations, found from the text's own offsets."""
    data = {
        "version": 1,
        "notebooks": {
            "box": {"id": "nb-1", "lease": {"duration": "2h"}, "endpoints": [{"dev_service": "SSH"}]}
        },
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data, indent=2))
    (box,) = load_spec([path]).entries
    lines = path.read_text().splitlines()
    assert box.location is not None and lines[box.location.line - 1].strip().startswith('"box"')
    for key, text in [("lease.duration", '"duration"'), ("endpoints[0].dev_service", '"dev_service"')]:
        location = box.field_locations[key]
        assert location.line is not None and text in lines[location.line - 1]
        assert location.path == f"notebooks.box.{key}"


def test_toml_keeps_paths_without_lines(tmp_path: Path) -> None:
    """TOML has no positions (tomllib keeps none): every location is there, with line None."""
    path = tmp_path / "s.toml"
    path.write_text('version = 1\n[notebooks.box]\nid = "x"\nlease = {duration = "2h"}\n')
    (box,) = load_spec([path]).entries
    assert box.location == Location(str(path), None, "notebooks.box")
    assert box.field_locations["lease.duration"] == Location(str(path), None, "notebooks.box.lease.duration")


def test_minified_json_fleet_locations(tmp_path: Path) -> None:
    """In a one-line JSON fleet each of many entries is found at line 1, and its fields too."""
    notebooks = {f"nb{i}": {"id": f"id-{i}", "flavor": "f"} for i in range(500)}
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"version": 1, "notebooks": notebooks}))
    entries = load_spec([path]).entries
    assert len(entries) == 500
    assert all(e.location is not None and e.location.line == 1 for e in entries)
    assert entries[-1].field_locations["flavor"].line == 1


def test_field_lines_of_a_changed_file_are_none_not_wrong(tmp_path: Path) -> None:
    """When the file changes between loading and the first look at field lines, none are given, not wrong ones."""
    path = tmp_path / "s.json"
    path.write_text('{"version": 1,\n "notebooks": {"box": {"id": "x",\n  "flavor": "f"}}}')
    (box,) = load_spec([path]).entries
    path.write_text('{"version": 1, "notebooks": {"box": {"flavor": "g", "id": "x"}}}\n')
    assert box.location is not None and box.location.line == 2  # kept from the load
    assert dict(box.field_locations) == {}
