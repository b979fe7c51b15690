"""Renderers: one module per output format, each a pure function of a `Plan`.

- `text`: Terraform's look, optionally coloured (`reconcile.render.text`);
- `json`: the shape of `terraform show -json`, pinned by `schemas/plan.schema.json`
  (`reconcile.render.jsonplan`, which also reads it back: `read_plan`);
- `markdown`: pull-request comments and CI job summaries, capped under GitHub's size limit;
- `junit`: JUnit XML, one test case per notebook.

`render(plan, fmt)` picks the renderer by name; the CLI offers exactly `FORMATS`.
"""

from __future__ import annotations

import enum

from reconcile.plan import Plan
from reconcile.render import jsonplan, junit, markdown, text
from reconcile.render.jsonplan import read_plan

__all__ = ["FORMATS", "Format", "read_plan", "render"]


class Format(enum.StrEnum):
    """An output format of `reconcile plan --format` and `reconcile show --format`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"


#: The format names, in the order the CLI lists them.
FORMATS: tuple[str, ...] = tuple(f.value for f in Format)


def render(plan: Plan, fmt: Format | str, *, color: bool = False, artifact_name: str = "plan.json") -> str:
    """Render a plan in the named format.

    Args:
        plan: the plan to show.
        fmt: one of `FORMATS`.
        color: ANSI colours in the text format (ignored by the others).
        artifact_name: the JSON plan's artifact name, named by Markdown when it truncates.

    Returns:
        The rendered document, ending with a newline.

    Raises:
        ValueError: `fmt` is not one of `FORMATS`.
    """
    try:
        chosen = Format(fmt)
    except ValueError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    match chosen:
        case Format.TEXT:
            return text.render(plan, color=color)
        case Format.JSON:
            return jsonplan.render(plan)
        case Format.MARKDOWN:
            return markdown.render(plan, artifact_name=artifact_name)
        case Format.JUNIT:
            return junit.render(plan)
