"""Policy and waiver files in JSON and TOML, and the problems the loaders report for each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reconcile._core.errors import SpecError
from reconcile._specfile.policy import load_policies, load_policy
from reconcile._specfile.waivers import load_waivers

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_toml_policy_and_waivers_load(tmp_path: Path) -> None:
    """A TOML policy (durations as text) and a TOML waiver file (a native date) load as YAML ones do."""
    policy = tmp_path / "p.toml"
    policy.write_text(
        'version = 1\n[rules.MA005]\nmax_lease = "4h"\nseverity = "high"\n[waivers]\nwarn_days = 3\n'
    )
    loaded = load_policy(policy)
    assert loaded.params("MA005")["max_lease"] == 4 * 3_600_000 and loaded.severity("MA005").value == "high"
    assert loaded.waivers.warn_days == 3
    waivers = tmp_path / "w.toml"
    waivers.write_text(
        'version = 1\n[[waivers]]\nrule = "MA004"\nnotebook = "a"\nreason = "r"\nowner = "o"\nexpires = 2026-12-31\n'
    )
    (w,) = load_waivers(waivers, rules={"MA004"}, now=NOW).waivers
    assert w.expires == dt.date(2026, 12, 31)


def test_json_policy_problems_have_lines(tmp_path: Path) -> None:
    """Problems in a JSON policy carry the line of the offending key."""
    policy = tmp_path / "p.json"
    policy.write_text('{\n  "version": 1,\n  "rules": {\n    "MA008": {"max_capacity_gb": "big"}\n  }\n}\n')
    with pytest.raises(SpecError) as info:
        load_policy(policy)
    assert [str(p) for p in info.value.problems] == [
        f"{policy}:4: rules.MA008.max_capacity_gb: expected an integer, got text"
    ]


def test_duplicate_keys_and_bad_documents_are_problems(tmp_path: Path) -> None:
    """A key written twice, a list at the top, an unknown extension and a missing file are one-line problems."""
    twice = tmp_path / "twice.yaml"
    twice.write_text("version: 1\nversion: 1\n")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n")
    odd = tmp_path / "policy.ini"
    odd.write_text("x")
    with pytest.raises(SpecError) as info:
        load_policies([twice, listed, odd, tmp_path / "absent.yaml"])
    messages = [str(p) for p in info.value.problems]
    assert any("duplicate key" in m and m.startswith(f"{twice}:2") for m in messages)
    assert f"{listed}: expected a mapping with `version: 1`, got list" in messages
    assert any(m.startswith(f"{odd}: unknown policy file extension") for m in messages)
    assert f"{tmp_path / 'absent.yaml'}: no such file" in messages


def test_merged_policies_override_settings_key_by_key(tmp_path: Path) -> None:
    """A later --policy file overrides one parameter and keeps the rest of an earlier file's settings."""
    first = tmp_path / "a.yaml"
    first.write_text("version: 1\nrules:\n  MA002: {max_prefix: 28, allowed_cidrs: [10.0.0.0/8]}\n")
    second = tmp_path / "b.yaml"
    second.write_text("version: 1\nrules:\n  MA002: {max_prefix: 26}\n")
    params = load_policies([first, second]).params("MA002")
    assert params["max_prefix"] == 26 and params["allowed_cidrs"] == ("10.0.0.0/8",)


def test_waiver_problems(tmp_path: Path) -> None:
    """Both rule and drift, neither notebook nor id, a time instead of a date: each is reported with its line."""
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "version: 1\nwaivers:\n"
        "  - {rule: MA004, drift: lease, notebook: a, reason: r, owner: o, expires: 2026-12-31}\n"
        "  - {rule: MA004, reason: r, owner: o, expires: 2026-12-31}\n"
        "  - {rule: MA004, notebook: a, reason: r, owner: o, expires: '2026-12-31T10:00:00'}\n"
        "  - {rule: MA999, notebook: a, reason: r, owner: o, expires: 2026-12-31}\n"
    )
    with pytest.raises(SpecError) as info:
        load_waivers(waivers, rules={"MA004"}, now=NOW)
    messages = [str(p) for p in info.value.problems]
    assert (
        f"{waivers}:3: waivers[0]: give exactly one of `rule` (a rule id) or `drift` (a spec path)"
        in messages
    )
    assert (
        f"{waivers}:4: waivers[1]: give exactly one of `notebook` (the spec name) or `id` (the notebook id)"
        in messages
    )
    assert any(m.startswith(f"{waivers}:5: waivers[2].expires: expected a date YYYY-MM-DD") for m in messages)
    assert any(m.startswith(f"{waivers}:6: waivers[3].rule: unknown rule 'MA999'") for m in messages)


def test_policy_files_get_the_spec_readers_guards(tmp_path: Path) -> None:
    """YAML 1.1 `no` is not false, a 5,000-digit number (or a long `0x...`) is located, an alias bomb is refused unexpanded."""
    words = tmp_path / "words.yaml"
    words.write_text("version: 1\nrules:\n  MA001: {enabled: no}\n")
    huge = tmp_path / "huge.yaml"
    huge.write_text("version: 1\nrules:\n  MA008:\n    max_capacity_gb: " + "9" * 5000 + "\n")
    hexa = tmp_path / "hex.yaml"  # read without the digit limit: it failed only when printed
    hexa.write_text("version: 1\nrules:\n  MA008:\n    max_capacity_gb: 0x" + "f" * 4000 + "\n")
    bomb = tmp_path / "bomb.yaml"
    levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb.write_text("version: 1\nx-bomb:\n" + "".join(f"  {line}\n" for line in levels) + "rules: {}\n")
    for path, expected in (
        (words, f"{words}:3: rules.MA001.enabled:"),
        (huge, f"{huge}:4: rules.MA008.max_capacity_gb: expected an integer, got a number with 5000 digits"),
        (hexa, f"{hexa}:4: rules.MA008.max_capacity_gb: expected an integer, got a number with 4817 digits"),
        (bomb, f"{bomb}"),
    ):
        with pytest.raises(SpecError) as info:
            load_policy(path)
        assert any(str(p).startswith(expected) for p in info.value.problems), info.value.problems
