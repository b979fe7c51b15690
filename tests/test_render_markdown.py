"""Tests for `reconcile._render.markdown`: PR comments and CI job summaries."""

from __future__ import annotations

import html
import re

import attrs
import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given

from reconcile._core.plan import Action, ApplyMethod, Difference, Plan, PlanError
from reconcile._render import markdown
from tests import plan_samples as samples

UPDATE_RESTART = """\
## modelarts-reconcile plan

| to add | to change | to destroy | unchanged | pending | errors |
|---:|---:|---:|---:|---:|---:|
| 0 | 1 | 0 | 0 | 0 | 0 |

**Plan: 0 to add, 1 to change, 0 to destroy.**

<details><summary><code>huaweicloud&#95;modelarts&#95;notebook.train-box</code>: update in place</summary>

health: healthy, status: `RUNNING`, id: `f9937afa-631e-4a8f-a8f7-3b6c800585f0`

- `the notebook is RUNNING: it is stopped for the update and started again afterwards`

| path | observed | desired | how applied |
|---|---|---|---|
| `flavor` | `"modelarts.vm.cpu.2u"` | `"modelarts.vm.cpu.8u"` | stop, update, start |

</details>
"""


def _github(md: str) -> str:
    """HTML as GitHub renders the Markdown (cmark-gfm, GitHub's parser), raw HTML kept as it passes."""
    return cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)


def _table_rows(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("| ")]


def test_update_renders_exactly() -> None:
    """A small update renders as the counts table, the plan line and one collapsible section."""
    assert markdown.render(samples.update_restart()) == UPDATE_RESTART


def test_no_drift_says_no_changes_without_sections() -> None:
    """A plan without changes has the counts and the no-changes sentence, and no sections."""
    md = markdown.render(samples.no_drift())
    assert "**No changes.** Your notebooks match the desired state." in md
    assert "<details>" not in md
    assert "| 0 | 0 | 0 | 1 | 0 | 0 |" in md


def test_summary_table_comes_first() -> None:
    """The counts table precedes everything else, with the right numbers."""
    md = markdown.render(samples.many())
    assert md.index("| to add |") < md.index("### Errors") < md.index("<details>")
    assert "| 12 | 6 | 6 | 6 | 0 | 3 |" in md


def test_replace_section_marks_forcing_difference() -> None:
    """A replacement's section says replace and marks the forcing path in bold."""
    md = markdown.render(samples.replace())
    assert "</code>: replace</summary>" in md
    assert '| `volume.category` | `"EFS"` | `"EVS"` | **forces replacement** |' in md


def test_pending_failed_and_ignored_in_sections() -> None:
    """Pending and failed notebooks say so in their titles, notes are listed, ignored paths named."""
    assert "warm-box</code>: no changes (pending)</summary>" in markdown.render(samples.pending())
    failed = markdown.render(samples.failed())
    assert "broken-box</code>: update in place (failed)</summary>" in failed
    assert "- `fail_reason: insufficient resources in the pool`" in failed
    nested = markdown.render(samples.nested())
    assert "Not compared (`ignore_changes`): `lease.enable`" in nested


def test_errors_are_listed() -> None:
    """Observation errors are listed with their address and message."""
    md = markdown.render(samples.errors())
    assert "### Errors\n\n- `huaweicloud_modelarts_notebook.bad-body`: `notebooks/bad.json" in md


def test_special_characters_cannot_break_the_markup() -> None:
    """Pipes, angle brackets, backticks, emphasis and line breaks in values stay literal; rows stay whole."""
    md = markdown.render(samples.special_characters())
    page = _github(md)
    rows = page.split("<tbody>")[-1].split("</tbody>")[0].count("<tr>")
    assert rows == 2
    assert "<script>" not in page and "<b>" not in page and "<strong>bold" not in page
    assert "<a " not in page
    assert "\x1b" not in md
    codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", page, re.S)]
    assert samples.NASTY.replace("\n", " ").replace("\x1b", "\\u001b") in codes
    assert '{"odd key|<>": "w]]>"}' in codes


def test_escape_leaves_plain_text_alone_and_round_trips_through_html() -> None:
    """`escape` keeps ordinary text and its output decodes back to the original."""
    assert markdown.escape("modelarts.vm.cpu.8u") == "modelarts.vm.cpu.8u"
    for raw in ["a|b", "<b>", "`x`", "**y**", "[l](u)", "&amp;", "\\", "@team", "~~s~~", "#1", "$x$"]:
        escaped = markdown.escape(raw)
        assert html.unescape(escaped) == raw
        assert not set(escaped) & set("|<>`*[]~@\\$")


@pytest.mark.parametrize(
    "text",
    ["plain", "`", "``a``", "a ` b", " lead", "trail ", "  ", "", "x|y", "a\\|b", "\\", "`|`", "*x* _y_"],
)
@pytest.mark.parametrize("in_table", [False, True])
def test_code_span_shows_any_text_literally(text: str, in_table: bool) -> None:
    """`code` puts any text in one code span that GitHub's own parser renders as exactly that text."""
    span = markdown.code(text, in_table=in_table)
    doc = f"| a |\n|---|\n| {span} |\n" if in_table else f"x {span} y\n"
    page = _github(doc)
    assert re.findall(r"<code>(.*?)</code>", page, re.S) == [html.escape(text or " ", quote=False)]


def test_service_text_never_becomes_a_link_or_mention() -> None:
    """URLs, `www.` hosts, mentions and HTML from the service render as code on GitHub, never as links."""
    nasty = "see https://evil.example/x or www.evil.example, ping @org/team #12 <img src=x onerror=alert(1)>"
    rc = samples.failed().resource_changes[0]
    diff = Difference(("description",), nasty, "ok", ApplyMethod.IN_PLACE)
    plan = Plan(
        [attrs.evolve(rc, status=nasty, notes=(nasty,), differences=(diff,), notebook_id=nasty)],
        [PlanError("gone", nasty, nasty)],
    )
    page = _github(markdown.render(plan))
    assert "<a " not in page
    assert "<img" not in page
    assert page.count("https://evil.example/x") == 5  # status, id, note, cell, error: all in code


def test_bidi_controls_are_escaped() -> None:
    """Bidi controls (U+202E, U+2066-2069, U+200E/F, U+061C) from the service are written as escapes."""
    evil = "a\u202eb\u2066c\u2067d\u2068e\u2069f\u200eg\u200fh\u061ci"
    rc = samples.failed().resource_changes[0]
    plan = Plan([attrs.evolve(rc, status=evil, notes=(evil,))], [PlanError("x", evil)])
    md = markdown.render(plan)
    assert not set(md) & set("\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
    assert "a\\u202eb\\u2066c\\u2067d\\u2068e\\u2069f\\u200eg\\u200fh\\u061ci" in md


def test_truncation_keeps_errors_replacements_and_creates_first() -> None:
    """A 2,000-notebook plan cut to size shows its errors, replacements and creates before any update."""
    big = samples.long_plan(count=2_000)
    small = samples.many()
    rare = [
        rc
        for rc in small.resource_changes
        if rc.actions != (Action.NO_OP,) and Action.UPDATE not in rc.actions
    ]
    replaced = [rc for rc in rare if Action.DELETE in rc.actions][:5]
    created = [rc for rc in rare if rc.actions == (Action.CREATE,)][:5]
    plan = Plan([*big.resource_changes, *replaced, *created], small.errors)
    assert plan.summary.destroy == 5
    md = markdown.render(plan)
    assert len(md) <= markdown.MAX_CHARS
    for rc in [*replaced, *created]:
        assert f"<code>{markdown.escape(rc.address)}</code>" in md
    for error in small.errors:
        assert f"`{error.address}`" in md
    order = [md.index(f"<code>{markdown.escape(rc.address)}</code>") for rc in [*replaced, *created]]
    assert order == sorted(order)
    assert order[-1] < md.index("<code>huaweicloud&#95;modelarts&#95;notebook.box-000</code>")
    shown = md.count("<details>") - 10
    assert md.endswith(
        f"> **Truncated:** {2_000 - shown:,} more entries were left out ({2_000 - shown:,} updates) to stay "
        "under GitHub's size limit. The full plan is in the JSON artifact `plan.json`.\n"
    )


def test_long_plan_is_truncated_with_notice_naming_the_artifact() -> None:
    """A plan over the size limit is cut between sections, with a notice naming the JSON artifact."""
    md = markdown.render(samples.long_plan(), artifact_name="drift-plan.json")
    assert len(md) <= markdown.MAX_CHARS
    assert md.count("<details>") == md.count("</details>") > 0
    shown = md.count("<details>")
    assert shown < 120
    assert md.endswith(
        f"> **Truncated:** {120 - shown} more entries were left out ({120 - shown} updates) to stay under "
        "GitHub's size limit. The full plan is in the JSON artifact `drift-plan.json`.\n"
    )


def test_long_values_are_shortened_in_cells() -> None:
    """A value longer than VALUE_CHARS is cut with an ellipsis in its table cell."""
    md = markdown.render(samples.long_plan(count=1))
    assert "…` |" in md
    assert "Truncated" not in md


def test_short_plan_is_not_truncated() -> None:
    """A plan under the limit shows every section and no notice."""
    md = markdown.render(samples.many())
    assert "Truncated" not in md
    assert md.count("<details>") == 18


@given(samples.plans(max_notebooks=8))
def test_any_plan_renders_deterministically_within_limit(plan: Plan) -> None:
    """Any plan renders the same twice, within MAX_CHARS, without control characters or the token value."""
    md = markdown.render(plan)
    assert md == markdown.render(plan)
    assert len(md) <= markdown.MAX_CHARS
    assert samples.SECRET_VALUE not in md
    assert all(ch == "\n" or ch >= " " for ch in md)
    for row in _table_rows(md):
        if row.startswith("| `"):
            assert len(re.findall(r"(?<!\\)\|", row)) == 5
