"""Every report format: deterministic, secret-free, escaped; JUnit, Markdown and HTML specifics."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from reconcile._core.report import Report
from reconcile._observe.offline import load_observed, observe_offline
from reconcile._planning.planner import build_plan, targets
from reconcile._policy.engine import evaluate, observed_state
from reconcile._render.report_common import REPORT_FORMATS, render_report
from reconcile._render.report_markdown import MAX_CHARS
from reconcile._specfile.load import load_spec, spec_from_data
from reconcile._specfile.policy import load_policy
from reconcile._specfile.waivers import load_waivers
from tests.conftest import ROOT
from tests.test_policy_cli import NOW, run

EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.yaml"))
OBSERVED = ROOT / "examples" / "observed"
TOKENS = [json.loads(p.read_text()).get("token") for p in OBSERVED.glob("*.json")]
TOKENS += [nb["token"] for nb in json.loads((OBSERVED / "vision-team-list.json").read_text())["data"]]
WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
HOSTILE = "<script>alert(1)</script> | *x* [l](http://e) `c` \x1b[31m &amp; @all https://evil.example www.evil.example"


def _fleet_report() -> Report:
    spec = load_spec([ROOT / p for p in EXAMPLES])
    observations = observe_offline(targets(spec), load_observed(OBSERVED))
    policy = load_policy(ROOT / "examples" / "policy" / "policy.yaml")
    return evaluate(
        spec, policy, now=WHEN, observed=observed_state(build_plan(spec, observations), observations)
    )


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_every_format_is_deterministic_and_secret_free(fmt: str) -> None:
    """Two evaluations of the same observed fleet render to identical bytes, and no notebook token appears."""
    first, second = render_report(_fleet_report(), fmt), render_report(_fleet_report(), fmt)
    assert first == second and first
    for token in filter(None, TOKENS):
        assert token not in first


def test_cli_formats_are_secret_free_on_stdout_and_stderr() -> None:
    """The real CLI, in the richest format, prints no token on stdout or stderr."""
    result = run("check", *EXAMPLES, "--observed", str(OBSERVED), "--now", NOW, "--format", "html")
    assert result.returncode == 2, result.stderr
    for token in filter(None, TOKENS):
        assert token not in result.stdout and token not in result.stderr


def _hostile_report(tmp_path: Path) -> Report:
    spec = spec_from_data(
        {
            "version": 1,
            "notebooks": {"evil": {"name": "evil", "flavor": "x<b>y</b>", "lease": {"enable": False}}},
        },
        file="spec <&>.yaml",
    )
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nrules:\n  MA007: {allowed_flavors: [modelarts.vm.cpu.2u]}\n")
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "version: 1\nwaivers:\n  - rule: MA004\n    notebook: evil\n    owner: '<img src=x onerror=alert(1)>'\n"
        f"    reason: {json.dumps(HOSTILE)}\n    expires: 2026-12-31\n"
    )
    rules = load_policy(policy)
    return evaluate(spec, rules, load_waivers(waivers, rules={"MA004"}, now=WHEN), now=WHEN)


def test_html_escapes_everything_and_loads_nothing(tmp_path: Path) -> None:
    """Spec and waiver text is escaped in HTML; the page has no script, no external asset, no link out."""
    page = render_report(_hostile_report(tmp_path), "html")
    assert "<script" not in page and "<img" not in page and "\x1b" not in page
    assert "&lt;script&gt;" in page and "x&lt;b&gt;y&lt;/b&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.IGNORECASE)
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_markdown_and_junit_escape_hostile_text(tmp_path: Path) -> None:
    """Markdown renders hostile text literally (GitHub's parser makes no element and no link of it);
    JUnit XML parses and keeps it as text."""
    report = _hostile_report(tmp_path)
    md = render_report(report, "markdown")
    assert "\x1b" not in md
    page = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    assert "<script" not in page and "<a " not in page and "<em>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    xml = render_report(report, "junit")
    root = ET.fromstring(xml.encode())
    texts = " ".join(e.get("message", "") for e in root.iter())
    assert "<script>" in texts  # escaped in the XML, itself again once parsed
    assert "\x1b" not in xml


def by_key_of(cases: list[ET.Element]) -> dict[tuple[str | None, str], ET.Element]:
    """The test cases by classname and rule id."""
    return {(c.get("classname"), c.get("name", "").split()[0]): c for c in cases}


def test_junit_cases_per_notebook_and_rule(tmp_path: Path) -> None:
    """One test case per notebook and rule with a file attribute: failure, skipped (waived, n/a) or pass."""
    xml = run("check", *EXAMPLES, "--observed", str(OBSERVED), "--now", NOW, "--format", "junit").stdout
    suite = ET.fromstring(xml.encode()).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    keys = [(c.get("classname"), c.get("name", "").split()[0]) for c in cases]
    assert len(keys) == len(set(keys))
    # Every spec entry's case names its file; an unmanaged notebook (MA013) has no spec to name.
    assert all(
        c.get("file", "").startswith("examples/")
        for c in cases
        if "vision-scratch-kim" not in c.get("classname", "")
    )
    stray = by_key_of(cases)["huaweicloud_modelarts_notebook.vision-scratch-kim", "MA013"]
    assert stray.find("failure") is not None and stray.get("file") is None
    by_key = {(c.get("classname"), c.get("name", "").split()[0]): c for c in cases}
    assert by_key["huaweicloud_modelarts_notebook.vision-gpu-02", "MA001"].find("failure") is not None
    managed = by_key["huaweicloud_modelarts_notebook.shared-demo", "MA013"]  # in the listing, and managed
    assert managed.find("skipped") is None and managed.find("failure") is None
    assert int(suite.get("failures", "0")) == sum(c.find("failure") is not None for c in cases)
    waived = render_report(_hostile_report(tmp_path), "junit")
    skipped = ET.fromstring(waived.encode()).find(".//testcase[@name='MA004 Auto-stop disabled']/skipped")
    assert skipped is not None and "waived by <img" in skipped.get("message", "")


def test_markdown_is_capped_and_lists_failures_by_severity() -> None:
    """A fleet with thousands of failures gives Markdown under the cap, critical failures first."""
    notebooks = {
        f"nb{i:04d}": {
            "name": f"nb{i:04d}",
            "lease": {"enable": False},
            "endpoints": [{"dev_service": "SSH", "allowed_access_ips": ["0.0.0.0/0"]}],
        }
        for i in range(1500)
    }
    report = evaluate(spec_from_data({"version": 1, "notebooks": notebooks}), now=WHEN)
    md = render_report(report, "markdown")
    assert len(md) <= MAX_CHARS
    assert "more findings left out" in md
    rows = [line for line in md.splitlines() if line.startswith("| **FAIL**")]
    severities = [row.split("|")[2].strip() for row in rows]
    assert severities[0] == "critical" and severities == sorted(
        severities, key=["critical", "high", "medium", "low", "info"].index
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium is not installed")
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    """Chromium renders the HTML report to a non-empty PNG without any network access."""
    page = tmp_path / "report.html"
    result = run(
        "check", *EXAMPLES, "--observed", str(OBSERVED), "--now", NOW, "--format", "html", "--out", str(page)
    )
    assert result.returncode == 2
    png = tmp_path / "report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--screenshot={png}",
            "--window-size=1280,1600",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=90,
        check=True,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
