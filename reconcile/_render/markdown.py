"""The plan as GitHub-flavoured Markdown, for pull-request comments and CI job summaries.

Layout: a heading, the counts table, the plan line (`Plan: X to add, ...`), then one block per entry,
most important first: the errors, the replacements (and destroys), the creates, the updates, then
the notebooks that change nothing but are worth a look (pending, failed, with notes). Each notebook
is a collapsible `<details>` section with its differences as a table: path, observed, desired, how
applied.

Safety: text from the service or the spec (values, names, statuses, ids, notes, messages) is only
ever printed inside a code span (`code`), whose content GitHub shows literally: no link (GitHub
autolinks a bare `https://...` or `www....` anywhere else), no mention, no emphasis, no HTML. The
fence is longer than any run of backticks in the text; line breaks become spaces; control and bidi
characters are written as `\\uXXXX`; in a table cell `|` is written `\\|` (which GFM unescapes
before it reads the cell, even inside a code span). The one place Markdown does not reach is the
`<summary>` line of a section, raw HTML: there the address goes through `escape`, which writes every
character HTML or Markdown might act on as a numeric character reference. Values print as one line of
JSON, at most `VALUE_CHARS` characters each; notes and messages at most `TEXT_CHARS`.

Size: GitHub refuses comments over 65,536 characters. The output never exceeds `MAX_CHARS`; when the
blocks do not all fit, the rest are left out (so what is left out is the least important) and a
notice counts them by kind and names the artifact that holds the full JSON plan.
"""

from __future__ import annotations

import enum
import re
from typing import Final

from reconcile._core.plan import Action, Health, Plan, PlanError, ResourceChange, Unmanaged
from reconcile._render.common import (
    METHOD_LABEL,
    action_label,
    clean_text,
    compact_json,
    is_noteworthy,
    notes_of,
    redacted,
    secret_keys,
)
from reconcile._render.text import coverage_line

__all__ = ["MAX_CHARS", "TEXT_CHARS", "VALUE_CHARS", "code", "escape", "render"]

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
_BACKTICKS = re.compile("`+")


def escape(text: str) -> str:
    """Make text safe inside raw HTML (a `<summary>` line): it renders as itself, literally."""
    text = clean_text(_LINE_BREAKS.sub(" ", text))
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group())};", text)


def code(text: str, *, in_table: bool = False) -> str:
    """Put untrusted text in a code span that shows it literally (`in_table`: inside a table cell).

    The fence is one backtick longer than the longest run inside; a space pads text that starts or
    ends with a backtick or a space (CommonMark strips exactly one from each side).
    """
    text = clean_text(_LINE_BREAKS.sub(" ", text))
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    padded = bool(text.strip(" ")) and (text[0] in "` " or text[-1] in "` ")
    body = f" {text} " if padded else text or " "
    if in_table:
        body = body.replace("|", "\\|")
    return fence + body + fence


class _Kind(enum.IntEnum):
    """The kinds of blocks, in the order they are shown (and kept when the output is cut)."""

    ERROR = 0
    REPLACE = 1
    CREATE = 2
    UPDATE = 3
    OTHER = 4
    UNMANAGED = 5

    def noun(self, count: int) -> str:
        """`3 replacements`, `1 error`."""
        singular = {
            _Kind.ERROR: "error",
            _Kind.REPLACE: "replacement or destroy",
            _Kind.CREATE: "create",
            _Kind.UPDATE: "update",
            _Kind.OTHER: "notebook without changes",
            _Kind.UNMANAGED: "unmanaged notebook",
        }[self]
        plural = {
            _Kind.REPLACE: "replacements or destroys",
            _Kind.OTHER: "notebooks without changes",
        }.get(self, singular + "s")
        return f"{count:,} {singular if count == 1 else plural}"


def _kind(rc: ResourceChange) -> _Kind:
    if Action.DELETE in rc.actions:
        return _Kind.REPLACE
    if Action.CREATE in rc.actions:
        return _Kind.CREATE
    if Action.UPDATE in rc.actions:
        return _Kind.UPDATE
    return _Kind.OTHER


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
    coverage = coverage_line(plan)
    if coverage is not None:
        head += [f"Coverage: {escape(coverage)}", ""]

    # One block per entry (an error or a notebook), most important first, so truncation drops the
    # least important and counts what it leaves out.
    blocks = [(_Kind.ERROR, _error(e)) for e in plan.errors]
    if blocks:
        blocks[0] = (_Kind.ERROR, "### Errors\n\n" + blocks[0][1])
        blocks[-1] = (_Kind.ERROR, blocks[-1][1] + "\n")
    notebooks = [(_kind(rc), rc) for rc in plan.resource_changes if is_noteworthy(rc)]
    notebooks.sort(key=lambda item: item[0])  # stable: address order within a kind
    blocks += [(kind, _section(rc)) for kind, rc in notebooks]
    unmanaged = [(_Kind.UNMANAGED, _unmanaged(u)) for u in plan.unmanaged]
    if unmanaged:
        title = "### Unmanaged notebooks\n\nListed in the project, but no spec entry manages them:\n\n"
        unmanaged[0] = (_Kind.UNMANAGED, title + unmanaged[0][1])
        unmanaged[-1] = (_Kind.UNMANAGED, unmanaged[-1][1] + "\n")
    blocks += unmanaged

    text = "\n".join(head) + "\n"
    # The notice for everything left out is the longest one there can be: reserve room for it.
    reserve = len(_notice([kind for kind, _ in blocks], artifact_name))
    for index, (_, block) in enumerate(blocks):
        last = index == len(blocks) - 1
        if len(text) + len(block) + (0 if last else reserve) > MAX_CHARS:
            return text + _notice([kind for kind, _ in blocks[index:]], artifact_name)
        text += block
    return text.rstrip("\n") + "\n"


def _notice(left_out: list[_Kind], artifact_name: str) -> str:
    """The truncation notice, counting what was left out by kind and naming where the full plan is."""
    noun = "entry was" if len(left_out) == 1 else "entries were"
    counts = ", ".join(kind.noun(left_out.count(kind)) for kind in _Kind if kind in left_out)
    return (
        f"> **Truncated:** {len(left_out):,} more {noun} left out ({counts}) to stay under "
        f"GitHub's size limit. The full plan is in the JSON artifact {code(_cut(artifact_name))}.\n"
    )


def _unmanaged(u: Unmanaged) -> str:
    """One unmanaged notebook as a list item: name, id, status, workspace, and the ignore reason."""
    facts = [code(_cut(u.notebook_id)), code(_cut(u.status)) if u.status is not None else "no status"]
    if u.workspace_id is not None:
        facts.append(f"workspace {code(_cut(u.workspace_id))}")
    name = code(_cut(u.name)) if u.name is not None else "*(no name)*"
    ignored = f", ignored: {escape(_cut(u.ignored))}" if u.ignored is not None else ""
    return f"- {name} ({', '.join(facts)}){ignored}\n"


def _error(error: PlanError) -> str:
    """One error as a list item."""
    return f"- {code(_cut(error.address))}: {code(_cut(error.message))}\n"


def _section(rc: ResourceChange) -> str:
    """One collapsible section for a notebook: status line, notes, differences table."""
    title = f"<code>{escape(_cut(rc.address))}</code>: {escape(action_label(rc.actions))}"
    if rc.health is not Health.HEALTHY:
        title += f" ({escape(rc.health.value)})"
    lines = [f"<details><summary>{title}</summary>", ""]
    facts = [f"health: {rc.health.value}"]
    if rc.status is not None:
        facts.append(f"status: {code(_cut(rc.status))}")
    if rc.notebook_id is not None:
        facts.append(f"id: {code(_cut(rc.notebook_id))}")
    lines += [", ".join(facts), ""]
    if notes := notes_of(rc):
        lines += [f"- {code(_cut(note))}" for note in notes]
        lines.append("")
    if rc.differences:
        lines += ["| path | observed | desired | how applied |", "|---|---|---|---|"]
        for d in (redacted(d, secret_keys(rc)) for d in rc.differences):
            how = METHOD_LABEL[d.method]
            if d.forces_replacement:
                how = f"**{how}**"
            lines.append(
                f"| {code(_cut(d.dotted_path), in_table=True)} "
                f"| {_value(d.observed)} | {_value(d.desired)} | {how} |"
            )
        lines.append("")
    if rc.ignored:
        ignored = ", ".join(code(_cut(p)) for p in rc.ignored)
        lines += [f"Not compared (`ignore_changes`): {ignored}", ""]
    lines += ["</details>", "", ""]
    return "\n".join(lines)


def _value(value: object) -> str:
    """A value for a table cell: one line of JSON, shortened past `VALUE_CHARS`, in a code span."""
    if value is None:
        return "*absent*"
    return code(_cut(compact_json(value), VALUE_CHARS), in_table=True)


def _cut(text: str, limit: int = TEXT_CHARS) -> str:
    """`text`, shortened to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
