"""Tests for `reconcile._render.markdown`: PR comments and CI job summaries."""

from __future__ import annotations

import html

from hypothesis import given

from reconcile._core.plan import Plan
from reconcile._render import markdown
from tests import plan_samples as samples

UPDATE_RESTART = """\
## modelarts-reconcile plan

| to add | to change | to destroy | unchanged | pending | errors |
|---:|---:|---:|---:|---:|---:|
| 0 | 1 | 0 | 0 | 0 | 0 |

**Plan: 0 to add, 1 to change, 0 to destroy.**

<details><summary><code>huaweicloud&#95;modelarts&#95;notebook.train-box</code>: update in place</summary>

health: healthy, status: <code>RUNNING</code>, id: <code>f9937afa-631e-4a8f-a8f7-3b6c800585f0</code>

- the notebook is RUNNING: it is stopped for the update and started again afterwards

| path | observed | desired | how applied |
|---|---|---|---|
| <code>flavor</code> | <code>"modelarts.vm.cpu.2u"</code> | <code>"modelarts.vm.cpu.8u"</code> \
| stop, update, start |

</details>
"""


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
    assert (
        '| <code>volume.category</code> | <code>"EFS"</code> | <code>"EVS"</code> | **forces replacement** |'
        in md
    )


def test_pending_failed_and_ignored_in_sections() -> None:
    """Pending and failed notebooks say so in their titles, notes are listed, ignored paths named."""
    assert "warm-box</code>: no changes (pending)</summary>" in markdown.render(samples.pending())
    failed = markdown.render(samples.failed())
    assert "broken-box</code>: update in place (failed)</summary>" in failed
    assert "- fail&#95;reason: insufficient resources in the pool" in failed
    nested = markdown.render(samples.nested())
    assert "Not compared (<code>ignore_changes</code>): <code>lease.enable</code>" in nested


def test_errors_are_listed() -> None:
    """Observation errors are listed with their address and message."""
    md = markdown.render(samples.errors())
    assert (
        "### Errors\n\n- <code>huaweicloud&#95;modelarts&#95;notebook.bad-body</code>: notebooks/bad.json"
        in md
    )


def test_special_characters_cannot_break_the_markup() -> None:
    """Pipes, angle brackets, backticks, emphasis and line breaks in values are escaped; rows stay whole."""
    md = markdown.render(samples.special_characters())
    difference_rows = [r for r in _table_rows(md) if r.startswith("| <code>")]
    assert len(difference_rows) == 2
    assert all(r.count("|") == 5 for r in difference_rows)
    assert "<script>" not in md
    assert "`" not in md
    assert "**bold**" not in md
    assert "\x1b" not in md
    assert "@team" not in md
    assert "a&#124;b &#60;script&#62;alert(" in md
    assert html.unescape("a&#124;b &#60;script&#62;") == "a|b <script>"


def test_escape_leaves_plain_text_alone_and_round_trips_through_html() -> None:
    """`escape` keeps ordinary text and its output decodes back to the original."""
    assert markdown.escape("modelarts.vm.cpu.8u") == "modelarts.vm.cpu.8u"
    for raw in ["a|b", "<b>", "`x`", "**y**", "[l](u)", "&amp;", "\\", "@team", "~~s~~", "#1", "$x$"]:
        escaped = markdown.escape(raw)
        assert html.unescape(escaped) == raw
        assert not set(escaped) & set("|<>`*[]~@\\$")


def test_long_plan_is_truncated_with_notice_naming_the_artifact() -> None:
    """A plan over the size limit is cut between sections, with a notice naming the JSON artifact."""
    md = markdown.render(samples.long_plan(), artifact_name="drift-plan.json")
    assert len(md) <= markdown.MAX_CHARS
    assert md.count("<details>") == md.count("</details>") > 0
    shown = md.count("<details>")
    assert shown < 120
    assert md.endswith(
        f"> **Truncated:** {120 - shown} more entries were left out to stay under GitHub's size limit. "
        "The full plan is in the JSON artifact <code>drift-plan.json</code>.\n"
    )


def test_long_values_are_shortened_in_cells() -> None:
    """A value longer than VALUE_CHARS is cut with an ellipsis in its table cell."""
    md = markdown.render(samples.long_plan(count=1))
    assert "…</code>" in md
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
        if row.startswith("| <code>"):
            assert row.count("|") == 5
