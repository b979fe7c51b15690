"""Renderers: one module per output format, each a pure function of a `Plan`.

- `text`: Terraform's look, optionally coloured (`reconcile._render.text`);
- `json`: the shape of `terraform show -json`, pinned by `schemas/plan.schema.json`
  (`reconcile._render.jsonplan`, which also reads it back: `read_plan`);
- `markdown`: pull-request comments and CI job summaries, capped under GitHub's size limit;
- `junit`: JUnit XML, one test case per notebook.

`render(plan, fmt)` picks the renderer by name; the CLI offers exactly `FORMATS`.
"""

from __future__ import annotations

import enum
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconcile._core.plan import Plan

__all__ = ["FORMATS", "Format", "read_plan", "render"]


class Format(enum.StrEnum):
    """An output format of `reconcile plan --format` and `reconcile show --format`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"


_MODULES = {Format.TEXT: "text", Format.JSON: "jsonplan", Format.MARKDOWN: "markdown", Format.JUNIT: "junit"}

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
    # Each renderer is imported when first used: a run renders one format, and start-up matters.
    module = importlib.import_module(f"reconcile._render.{_MODULES[chosen]}")
    match chosen:
        case Format.TEXT:
            return module.render(plan, color=color)  # type: ignore[no-any-return]
        case Format.MARKDOWN:
            return module.render(plan, artifact_name=artifact_name)  # type: ignore[no-any-return]
        case _:
            return module.render(plan)  # type: ignore[no-any-return]


def read_plan(text: str | bytes, source: str) -> Plan:
    """Read a JSON plan back (see `reconcile._render.jsonplan.read_plan`)."""
    from reconcile._render.jsonplan import read_plan as read

    return read(text, source)
