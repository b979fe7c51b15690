"""_planning: see docs/design.md."""
