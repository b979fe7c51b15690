"""The plan as GitHub-flavoured Markdown, for pull-request comments and CI job summaries.

Layout: a heading, the counts table, the plan line (`Plan: X to add, ...`), the errors (before the
notebooks, so truncation never drops them first), then one collapsible `<details>` section per
notebook worth showing (a change, a notebook that is not healthy, or one with notes) with its
differences as a table: path, observed, desired, how applied.

Safety: every value, name, note and message goes through `escape`, which writes `|`, `<`, `>`,
backticks, `&`, `@` and the other Markdown punctuation as numeric character references. CommonMark
treats a reference as literal text, in Markdown and inside HTML blocks (`<summary>`) alike, so a
value can neither break the table, open HTML, start emphasis or a link, nor mention anyone. Line
breaks become spaces. Values print as one line of JSON, at most `VALUE_CHARS` characters each; notes
and messages at most `TEXT_CHARS`.

Size: GitHub refuses comments over 65,536 characters. The output never exceeds `MAX_CHARS`; when
the sections do not all fit, the remaining ones are left out and a notice names the artifact that
holds the full JSON plan.
"""

from __future__ import annotations

import re
from typing import Final

from reconcile._core.plan import Health, Plan, PlanError, ResourceChange
from reconcile._render.common import (
    METHOD_LABEL,
    action_label,
    clean_text,
    compact_json,
    is_noteworthy,
    redacted,
    secret_keys,
)

__all__ = ["MAX_CHARS", "TEXT_CHARS", "VALUE_CHARS", "escape", "render"]

#: The longest output, in characters (GitHub's comment limit is 65,536).
MAX_CHARS: Final = 65_000
#: The longest value printed in a table cell, in characters of its JSON text.
VALUE_CHARS: Final = 300
#: The longest note, error message or name printed, in characters.
TEXT_CHARS: Final = 1_000

# Everything Markdown or HTML might act on; `.`, `-`, `+`, `:` and `(` only matter at the start of a
# line or after `]`, which escaped text never is.
_SPECIAL = re.compile(r"[&<>|`@\\*_\[\]~#!$]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")


def escape(text: str) -> str:
    """Make text safe inside a table cell or a line of Markdown: it renders as itself, literally."""
    text = clean_text(_LINE_BREAKS.sub(" ", text))
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group())};", text)


def render(plan: Plan, *, artifact_name: str = "plan.json") -> str:
    """Render a plan as Markdown no longer than `MAX_CHARS` characters.

    Args:
        plan: the plan to show.
        artifact_name: the name under which CI publishes the full JSON plan, for the truncation notice.

    Returns:
        The Markdown, ending with a newline; equal plans give equal text.
    """
    summary = plan.summary
    head = [
        "## modelarts-reconcile plan",
        "",
        "| to add | to change | to destroy | unchanged | pending | errors |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {summary.add} | {summary.change} | {summary.destroy} | {summary.no_op} "
        f"| {summary.pending} | {summary.errors} |",
        "",
    ]
    if plan.has_changes or plan.errors:
        head.append(
            f"**Plan: {summary.add} to add, {summary.change} to change, {summary.destroy} to destroy.**"
        )
    else:
        head.append("**No changes.** Your notebooks match the desired state.")
    head.append("")

    # One block per entry (an error or a notebook), so truncation counts what it leaves out.
    blocks = [_error(e) for e in plan.errors]
    if blocks:
        blocks[0] = "### Errors\n\n" + blocks[0]
        blocks[-1] += "\n"
    blocks += [_section(rc) for rc in plan.resource_changes if is_noteworthy(rc)]

    text = "\n".join(head) + "\n"
    reserve = len(_notice(len(blocks), artifact_name))
    for index, block in enumerate(blocks):
        last = index == len(blocks) - 1
        if len(text) + len(block) + (0 if last else reserve) > MAX_CHARS:
            return text + _notice(len(blocks) - index, artifact_name)
        text += block
    return text.rstrip("\n") + "\n"


def _notice(left_out: int, artifact_name: str) -> str:
    """The truncation notice, naming how much was left out and where the full plan is."""
    noun = "entry was" if left_out == 1 else "entries were"
    return (
        f"> **Truncated:** {left_out} more {noun} left out to stay under "
        f"GitHub's size limit. The full plan is in the JSON artifact "
        f"<code>{escape(_cut(artifact_name))}</code>.\n"
    )


def _error(error: PlanError) -> str:
    """One error as a list item."""
    return f"- <code>{escape(_cut(error.address))}</code>: {escape(_cut(error.message))}\n"


def _section(rc: ResourceChange) -> str:
    """One collapsible section for a notebook: status line, notes, differences table."""
    title = f"<code>{escape(_cut(rc.address))}</code>: {escape(action_label(rc.actions))}"
    if rc.health is not Health.HEALTHY:
        title += f" ({escape(rc.health.value)})"
    lines = [f"<details><summary>{title}</summary>", ""]
    facts = [f"health: {escape(rc.health.value)}"]
    if rc.status is not None:
        facts.append(f"status: <code>{escape(_cut(rc.status))}</code>")
    if rc.notebook_id is not None:
        facts.append(f"id: <code>{escape(_cut(rc.notebook_id))}</code>")
    lines += [", ".join(facts), ""]
    if rc.notes:
        lines += [f"- {escape(_cut(note))}" for note in rc.notes]
        lines.append("")
    if rc.differences:
        lines += ["| path | observed | desired | how applied |", "|---|---|---|---|"]
        for d in (redacted(d, secret_keys(rc)) for d in rc.differences):
            how = escape(METHOD_LABEL[d.method])
            if d.forces_replacement:
                how = f"**{how}**"
            lines.append(
                f"| <code>{escape(_cut(d.dotted_path))}</code> "
                f"| {_value(d.observed)} | {_value(d.desired)} | {how} |"
            )
        lines.append("")
    if rc.ignored:
        ignored = ", ".join(f"<code>{escape(_cut(p))}</code>" for p in rc.ignored)
        lines += [f"Not compared (<code>ignore_changes</code>): {ignored}", ""]
    lines += ["</details>", "", ""]
    return "\n".join(lines)


def _value(value: object) -> str:
    """A value for a table cell: one line of JSON, shortened past `VALUE_CHARS`, escaped."""
    if value is None:
        return "<em>absent</em>"
    text = compact_json(value)
    return f"<code>{escape(_cut(text, VALUE_CHARS))}</code>"


def _cut(text: str, limit: int = TEXT_CHARS) -> str:
    """`text`, shortened to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
