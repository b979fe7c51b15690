"""The built-in rules on desired and observed documents: pass, fail and not applicable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from reconcile._codec import decode_notebook
from reconcile._core.report import Status, Subject
from reconcile._core.spec import NotebookSpec
from reconcile._policy.document import desired_document, observed_document, swr_org
from reconcile._policy.rules import BUILTIN, check_context
from reconcile._policy.settings import Policy, RuleSetting
from reconcile._specfile.load import spec_from_data

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _spec(**fields: Any) -> NotebookSpec:
    spec = spec_from_data({"version": 1, "notebooks": {"nb": {"name": "nb", **fields}}})
    return spec.entries[0].notebook


def _run(
    rule: str, doc: dict[str, Any], subject: Subject = Subject.DESIRED, **params: Any
) -> list[tuple[Status, str]]:
    policy = Policy({rule: RuleSetting(params=params)}) if params else Policy()
    check = BUILTIN[rule].check
    assert check is not None
    return [(o.status, o.field) for o in check(doc, policy.params(rule), check_context(subject, NOW))]


def _ssh(ips: list[str] | None = None, keys: list[str] | None = None) -> dict[str, Any]:
    ep: dict[str, Any] = {"dev_service": "SSH"}
    if ips is not None:
        ep["allowed_access_ips"] = ips
    if keys is not None:
        ep["ssh_keys"] = keys
    return desired_document(_spec(endpoints=[ep]))


@pytest.mark.parametrize(
    ("ips", "expected"),
    [
        (None, Status.FAIL),
        (["0.0.0.0/0"], Status.FAIL),
        (["::/0", "10.1.2.0/24"], Status.FAIL),
        (["10.1.2.0/24"], Status.PASS),
    ],
)
def test_ma001_open_ssh(ips: list[str] | None, expected: Status) -> None:
    """MA001 fails on a missing allow-list or one holding /0, and passes on a restricted one."""
    assert _run("MA001", _ssh(ips)) == [(expected, "endpoints[0].allowed_access_ips")]


def test_ma001_without_ssh_is_not_applicable() -> None:
    """A notebook without an SSH endpoint (or without endpoints in the spec) is not applicable."""
    assert _run("MA001", desired_document(_spec()))[0][0] is Status.NOT_APPLICABLE
    doc = desired_document(_spec(endpoints=[{"dev_service": "NOTEBOOK"}]))
    assert _run("MA001", doc)[0][0] is Status.NOT_APPLICABLE


def test_ma002_judges_entries_but_slash_zero() -> None:
    """MA002 leaves /0 to MA001, fails entries broader than max_prefix or outside allowed_cidrs."""
    assert _run("MA002", _ssh(["0.0.0.0/0"]))[0][0] is Status.NOT_APPLICABLE
    assert _run("MA002", _ssh(None))[0][0] is Status.NOT_APPLICABLE
    assert _run("MA002", _ssh(["0.0.0.0/0", "10.0.0.0/8"]))[0][0] is Status.FAIL
    assert _run("MA002", _ssh(["10.0.0.0/24"]))[0][0] is Status.PASS
    assert _run("MA002", _ssh(["10.0.0.0/24"]), max_prefix=28)[0][0] is Status.FAIL
    assert _run("MA002", _ssh(["2001:db8::/48"]))[0][0] is Status.FAIL
    assert _run("MA002", _ssh(["2001:db8::/64"]))[0][0] is Status.PASS
    assert _run("MA002", _ssh(["10.0.0.0/24"]), allowed_cidrs=("192.168.0.0/16",))[0][0] is Status.FAIL
    assert _run("MA002", _ssh(["192.168.4.0/24"]), allowed_cidrs=("192.168.0.0/16",))[0][0] is Status.PASS


def test_ma003_key_pair() -> None:
    """MA003 fails on an SSH endpoint without a key pair."""
    assert _run("MA003", _ssh(["1.2.3.4"]))[0] == (Status.FAIL, "endpoints[0].ssh_keys")
    assert _run("MA003", _ssh(["1.2.3.4"], ["kp"]))[0][0] is Status.PASS


def test_ma004_and_ma005_lease() -> None:
    """MA004 fails on auto-stop off; MA005 on a lease longer than max_lease; absent is not applicable."""
    assert _run("MA004", desired_document(_spec()))[0][0] is Status.NOT_APPLICABLE
    assert _run("MA004", desired_document(_spec(lease={"enable": False})))[0][0] is Status.FAIL
    assert _run("MA004", desired_document(_spec(lease={"enable": True})))[0][0] is Status.PASS
    long = desired_document(_spec(lease={"enable": True, "duration": "9h"}))
    assert _run("MA005", long)[0][0] is Status.FAIL
    assert _run("MA005", long, max_lease=10 * 3_600_000)[0][0] is Status.PASS
    assert (
        _run("MA005", desired_document(_spec(lease={"enable": False, "duration": "9h"})))[0][0]
        is Status.NOT_APPLICABLE
    )
    assert _run("MA005", desired_document(_spec(lease={"enable": True})))[0][0] is Status.NOT_APPLICABLE


def test_ma006_image_organisation() -> None:
    """MA006 is not applicable when unset or the image is named by id; it judges the SWR organisation."""
    by_path = desired_document(_spec(image={"swr_path": "swr.cn-north-4.myhuaweicloud.com/evil/x:1"}))
    assert _run("MA006", by_path)[0][0] is Status.NOT_APPLICABLE
    assert _run("MA006", by_path, allowed_image_orgs=("atelier",))[0][0] is Status.FAIL
    assert _run("MA006", by_path, allowed_image_orgs=("evil",))[0][0] is Status.PASS
    by_id = desired_document(_spec(image={"id": "278e88d1-5b71-4766-8502-b3ba72e824d9"}))
    assert _run("MA006", by_id, allowed_image_orgs=("atelier",))[0][0] is Status.NOT_APPLICABLE


def test_swr_org() -> None:
    """The SWR organisation is the segment after the registry host, or the first of a host-less path."""
    assert swr_org("swr.cn-north-4.myhuaweicloud.com/atelier/img:1") == "atelier"
    assert swr_org("atelier/img:1") == "atelier"
    assert swr_org("img:1") is None
    assert swr_org(None) is None


def test_ma007_ma008() -> None:
    """MA007 judges the flavor against allowed_flavors; MA008 the volume against max_capacity_gb."""
    doc = desired_document(
        _spec(flavor="modelarts.vm.gpu.v100", volume={"category": "EVS", "capacity": 2000})
    )
    assert _run("MA007", doc)[0][0] is Status.NOT_APPLICABLE
    assert _run("MA007", doc, allowed_flavors=("modelarts.vm.cpu.2u",))[0][0] is Status.FAIL
    assert _run("MA008", doc)[0][0] is Status.FAIL
    assert _run("MA008", doc, max_capacity_gb=4096)[0][0] is Status.PASS


def test_ma009_tags() -> None:
    """MA009 is not applicable on a spec without tags, fails when a required key is missing."""
    assert _run("MA009", {"tags": {"owner": "a"}}, required_tags=("owner",))[0][0] is Status.PASS
    assert _run("MA009", {"tags": {"owner": "a"}}, required_tags=("owner", "cc"))[0][0] is Status.FAIL
    assert _run("MA009", {}, required_tags=("owner",))[0][0] is Status.NOT_APPLICABLE
    assert _run("MA009", {}, Subject.OBSERVED, required_tags=("owner",))[0][0] is Status.FAIL
    assert _run("MA009", {"tags": {}})[0][0] is Status.NOT_APPLICABLE


def test_ma009_reads_spec_tags() -> None:
    """The spec's `tags` map is what MA009 judges on the desired state."""
    tagged = desired_document(_spec(tags={"owner": "alice", "cc": "42"}))
    assert tagged["tags"] == {"cc": "42", "owner": "alice"}
    assert _run("MA009", tagged, required_tags=("owner",))[0][0] is Status.PASS
    assert _run("MA009", tagged, required_tags=("owner", "data-class"))[0][0] is Status.FAIL


def test_ma010_ma011_on_observed_notebooks() -> None:
    """MA010 fails a failed status with its reason; MA011 a notebook STOPPED longer than max_stopped_days."""
    failed = observed_document(
        decode_notebook({"id": "x", "status": "START_FAILED", "fail_reason": "no quota"})
    )
    assert _run("MA010", failed, Subject.OBSERVED) == [(Status.FAIL, "status")]
    check = BUILTIN["MA010"].check
    assert check is not None
    assert "no quota" in check(failed, {}, check_context(Subject.OBSERVED, NOW))[0].message
    old = int((NOW - dt.timedelta(days=40)).timestamp() * 1000)
    stopped = observed_document(decode_notebook({"id": "x", "status": "STOPPED", "update_at": old}))
    assert _run("MA011", stopped, Subject.OBSERVED)[0][0] is Status.FAIL
    assert _run("MA011", stopped, Subject.OBSERVED, max_stopped_days=60)[0][0] is Status.PASS
    running = observed_document(decode_notebook({"id": "x", "status": "RUNNING", "update_at": old}))
    assert _run("MA011", running, Subject.OBSERVED)[0][0] is Status.PASS
    assert Subject.DESIRED not in BUILTIN["MA010"].subjects


def test_observed_document_never_holds_the_token() -> None:
    """The document rules and CEL read carries no token, whatever the response holds."""
    doc = observed_document(decode_notebook({"id": "x", "token": "s3cr3t-token-value", "status": "RUNNING"}))
    assert "s3cr3t-token-value" not in repr(doc)
    assert "token" not in doc


def test_every_rule_has_docs_and_controls() -> None:
    """Each built-in rule has a title, rationale, remediation, help URL and controls of three frameworks."""
    assert sorted(BUILTIN) == [f"MA{i:03d}" for i in range(1, 14)]
    for rule in BUILTIN.values():
        assert rule.title and rule.rationale and rule.remediation and rule.help_uri.endswith(rule.id.lower())
        assert {c.framework for c in rule.controls} == {
            "ISO/IEC 27001:2022",
            "CIS Controls v8",
            "NIST SP 800-53 Rev. 5",
        }


def test_docs_describe_every_rule_and_control() -> None:
    """docs/rules.md has a section per rule naming its severity and every control it maps to."""
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in BUILTIN.values():
        section = text.split(f"### {rule.id}\n", 1)[1].split("\n### ", 1)[0]
        assert f"default severity **{rule.severity.value}**" in section
        for c in rule.controls:
            assert f"**{c.id}** {c.title}" in section and (("*judgement*" in section) or not c.judgement)


def test_ipv4_spelled_as_ipv6_is_judged_as_the_ipv4_network_it_maps() -> None:
    """`::ffff:0.0.0.0/96` is all of IPv4 (MA001 fails); `::ffff:10.0.0.0/104` is 10.0.0.0/8 (MA002 fails)."""
    assert _run("MA001", _ssh(["::ffff:0.0.0.0/96"])) == [(Status.FAIL, "endpoints[0].allowed_access_ips")]
    assert _run("MA001", _ssh(["::/80"]))[0][0] is Status.FAIL  # holds the whole mapped range
    assert _run("MA002", _ssh(["::ffff:0.0.0.0/96"]))[0][0] is Status.NOT_APPLICABLE  # MA001's
    assert _run("MA002", _ssh(["::ffff:10.0.0.0/104"]))[0][0] is Status.FAIL
    assert _run("MA002", _ssh(["::ffff:10.1.2.0/120"]))[0][0] is Status.PASS
    assert _run("MA002", _ssh(["::ffff:10.1.2.0/120"]), allowed_cidrs=("10.1.0.0/16",))[0][0] is Status.PASS
